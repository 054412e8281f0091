"""How much an array changed: the numbers every diff, edit and step prints."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .stats import CHUNK


@dataclass(frozen=True)
class Change:
    """``new - old`` for one variable: L2 norm, relative to ``‖old‖``, max |Δ|, fraction changed."""

    l2: float
    relative: float
    max_abs: float
    fraction_changed: float

    @property
    def unchanged(self) -> bool:
        return self.fraction_changed == 0.0

    def to_dict(self) -> dict:
        return {k: (None if not math.isfinite(v) else v) for k, v in asdict(self).items()}


def compare(old: np.ndarray, new: np.ndarray) -> Change:
    """Chunked, so comparing never holds more than one chunk of the difference."""
    a = np.asarray(old).reshape(-1)
    b = np.asarray(new).reshape(-1)
    work = np.float32 if a.dtype.kind == "f" and a.dtype.itemsize <= 4 else np.float64
    delta_sq = old_sq = 0.0
    max_abs = 0.0
    changed = 0
    for start in range(0, a.size, CHUNK):
        x = a[start:start + CHUNK].astype(work, copy=False)
        y = b[start:start + CHUNK].astype(work, copy=False)
        with np.errstate(invalid="ignore", over="ignore"):
            d = y - x
        same = (x == y) | (np.isnan(x) & np.isnan(y))
        changed += int(d.size - np.count_nonzero(same))
        d[same] = 0
        delta_sq += float(np.dot(d.astype(np.float64), d.astype(np.float64))) if work is np.float32 else float(np.dot(d, d))
        old_sq += float(np.dot(x, x))
        if d.size:
            largest = float(np.max(np.abs(d)))
            max_abs = largest if math.isnan(largest) or largest > max_abs else max_abs
    l2 = math.sqrt(delta_sq)
    relative = l2 / math.sqrt(old_sq) if old_sq > 0 else (0.0 if l2 == 0 else math.inf)
    return Change(l2=l2, relative=relative, max_abs=max_abs, fraction_changed=changed / a.size if a.size else 0.0)
