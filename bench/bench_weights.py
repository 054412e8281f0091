"""``%weights`` on ResNet50 (weights=None) against the baselines, all in one process.

    python bench/bench_weights.py

Prints a markdown table of medians (every case timed once per round, round after round) and
their ratio to the floor (a numpy sum over every variable's array: each byte read once), then
the peak extra resident memory of a full report.
"""

from common import interleaved_medians_ms, peak_extra_bytes, table

import keras  # noqa: E402
import lovely_numpy  # noqa: E402
import numpy as np  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

import tf_weightmagic  # noqa: E402


def naive_stats(a: np.ndarray) -> tuple:
    return a.min(), a.max(), a.mean(), a.std(), np.count_nonzero(a == 0), np.isnan(a).sum(), np.isinf(a).sum()


def main() -> None:
    model = keras.applications.ResNet50(weights=None)
    variables = model.weights
    tf_weightmagic.report(model)  # compiles the stats kernel (once per machine: it is cached on disk)
    peak = peak_extra_bytes(lambda: tf_weightmagic.report(model))  # before the baselines' copies exist
    arrays = [v.numpy() for v in variables]
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "tf_weightmagic")
    shell.user_ns["model"] = model

    FLOOR, SUMMARY, FULL = ("numpy sum over every variable (the floor)", "`model.summary()`",
                            "**`report(model)`: every statistic and histogram**")
    medians = interleaved_medians_ms({
        FLOOR: lambda: [a.sum() for a in arrays],
        "every variable to numpy (`v.numpy()`)": lambda: [v.numpy() for v in variables],
        "naive numpy stats": lambda: [naive_stats(a) for a in arrays],
        "lovely-numpy summary of every variable": lambda: [str(lovely_numpy.lo(a)) for a in arrays],
        SUMMARY: lambda: model.summary(print_fn=lambda *a, **k: None),
        "`np.histogram(a, 64)` on every variable": lambda: [np.histogram(a, 64) for a in arrays],
        "**`report(model, stats=False)`**": lambda: tf_weightmagic.report(model, stats=False),
        FULL: lambda: tf_weightmagic.report(model),
        "**`%weights model`** (IPython shell)": lambda: shell.run_line_magic("weights", "model"),
    }, rounds=11)
    floor = medians[FLOOR]
    rows = [(what, f"{ms:.0f} ms", f"{ms / floor:.1f}×") for what, ms in medians.items()]
    print(f"ResNet50(weights=None): {model.count_params():,} parameters, {len(variables)} variables\n")
    print(table(rows, ["what", "median", "× floor"]))

    largest = max(a.nbytes for a in arrays)
    full, summary = medians[FULL], medians[SUMMARY]
    print(f"\npeak extra resident memory of a full report: {peak / 2**20:.1f} MiB "
          f"(largest single variable: {largest / 2**20:.1f} MiB)")
    print(f"targets: full report ≤ 4× floor: {'met' if full <= 4 * floor else 'not met'} ({full / floor:.1f}×); "
          f"faster than model.summary(): {'met' if full < summary else 'not met'} ({full / summary:.2f}×); "
          f"peak extra ≤ largest variable: {'met' if peak <= largest else 'not met'}")


if __name__ == "__main__":
    main()
