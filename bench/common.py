"""Timing helpers shared by the benchmarks: medians after a warm-up, in one process."""

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def interleaved_medians_ms(cases: dict, rounds: int = 9, warmup: int = 1) -> dict:
    """Median wall time of each ``cases[name]()`` in ms, timed round by round (one call of each
    case per round), so a machine that slows down for a while slows every case alike."""
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    times: dict = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(t) for name, t in times.items()}


def table(rows: list, headers: list) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def peak_extra_bytes(fn) -> int:
    """Peak resident memory that ``fn()`` adds over what the process held before it (Linux).

    Resident memory counts every allocator (TensorFlow's, numpy's, numba's), unlike tracemalloc.
    """
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets the peak (VmHWM) to the current resident size
    before = _status_kb("VmRSS")
    fn()
    return max(0, _status_kb("VmHWM") - before) * 1024
