"""What the widget sends per variable for ResNet50: statistics, histograms and the distribution
strip over time, never values; and the detail pane's payload for the largest kernel.

    python bench/bench_widget_payload.py

The state is measured as the widget syncs it (its traits, as JSON), with the distribution strip
full: as many refreshes as it keeps columns, as during a long ``fit`` with ``WeightWatch``.
"""

import json

from common import table

import keras  # noqa: E402

import tf_weightmagic  # noqa: E402


def main() -> None:
    model = keras.applications.ResNet50(weights=None)
    inspector = tf_weightmagic.inspect(model, history=24)
    for epoch in range(30):  # more refreshes than the strip keeps: it must stay bounded
        inspector.refresh(record=f"epoch {epoch + 1}")
    variables = inspector.report["variables"]
    largest = max(variables, key=lambda v: v["size"])
    inspector.handle({"action": "select", "path": largest["path"]})
    per_variable = [len(json.dumps(v)) + len(json.dumps(inspector.history.get(v["path"], []))) for v in variables]
    total = sum(len(json.dumps(getattr(inspector, name))) for name in ("report", "history", "detail", "names", "status"))
    rows = [
        ("variables", len(variables)),
        ("max bytes per variable (record + 24-column strip)", max(per_variable)),
        ("mean bytes per variable", f"{sum(per_variable) / len(per_variable):.0f}"),
        (f"bytes for the largest variable ({largest['size']:,} values)", per_variable[variables.index(largest)]),
        ("detail pane of that variable (64-bin histogram, 32×32 heatmap)", len(json.dumps(inspector.detail))),
        ("whole widget state", total),
        ("the values themselves, for comparison", sum(v["bytes"] for v in variables)),
    ]
    print(table(rows, ["widget payload, ResNet50", "bytes"]))
    print(f"\ntarget ≤ 4096 bytes per variable: {'met' if max(per_variable) <= 4096 else 'not met'}")
    inspector.close()


if __name__ == "__main__":
    main()
