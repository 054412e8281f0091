"""What the widget sends per variable for ResNet50: statistics and histograms, never values.

    python bench/bench_widget_payload.py
"""

import json

from common import table

import keras  # noqa: E402

import tf_weightmagic  # noqa: E402


def main() -> None:
    model = keras.applications.ResNet50(weights=None)
    report = tf_weightmagic.report(model).to_dict()
    sizes = [len(json.dumps(v)) for v in report["variables"]]
    largest = max(report["variables"], key=lambda v: v["size"])
    rows = [
        ("variables", len(sizes)),
        ("max bytes per variable", max(sizes)),
        ("mean bytes per variable", f"{sum(sizes) / len(sizes):.0f}"),
        (f"bytes for the largest variable ({largest['size']:,} values)", len(json.dumps(largest))),
        ("whole report", len(json.dumps(report))),
    ]
    print(table(rows, ["widget payload, ResNet50", "value"]))
    print(f"\ntarget ≤ 4096 bytes per variable: {'met' if max(sizes) <= 4096 else 'not met'}")


if __name__ == "__main__":
    main()
