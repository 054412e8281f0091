"""Number and histogram formatting both renderers share."""

from __future__ import annotations

import math
from typing import Optional

from ..shapes import format_shape
from ..snapshots import format_bytes

BLOCKS = " ▁▂▃▄▅▆▇█"
FLAG_TEXT = {
    "nan": "NaN", "all_nan": "ALL NaN", "inf": "Inf", "all_zero": "ALL ZERO", "replicas_differ": "REPLICAS DIFFER",
}

__all__ = ["BLOCKS", "FLAG_TEXT", "counted", "fmt_int", "fmt_num", "fmt_pct", "sparkline", "format_shape", "format_bytes", "flag_text"]


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_num(x: Optional[float]) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.4g}"


def counted(n: int, noun: str) -> str:
    """``1 variable``, ``2 variables``."""
    return f"{fmt_int(n)} {noun}{'' if n == 1 else 's'}"


def fmt_pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def regroup(counts, width: int) -> list:
    """Sum adjacent bins so at most ``width`` columns remain."""
    counts = [int(c) for c in counts]
    if len(counts) <= width:
        return counts
    step = math.ceil(len(counts) / width)
    return [sum(counts[i:i + step]) for i in range(0, len(counts), step)]


def sparkline(counts, width: int = 16) -> str:
    """A unicode bar per column; any non-empty column shows at least the lowest bar."""
    cols = regroup(counts, width)
    top = max(cols) if cols else 0
    if top == 0:
        return " " * len(cols)
    return "".join(BLOCKS[0] if c == 0 else BLOCKS[max(1, round(8 * c / top))] for c in cols)


def flag_text(flags: list) -> str:
    return " ".join(f"!{FLAG_TEXT[f]}" for f in flags)
