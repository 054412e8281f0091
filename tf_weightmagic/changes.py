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
    """One compiled pass over both; arrays the kernel does not take are converted a chunk at a time."""
    from .kernels import change

    a = np.asarray(old).reshape(-1)
    b = np.asarray(new).reshape(-1)
    if a.dtype == b.dtype and a.dtype in (np.float32, np.float64):
        delta_sq, old_sq, max_abs, changed = change(a, b)
    else:
        delta_sq = old_sq = max_abs = 0.0
        changed = 0
        for start in range(0, a.size, CHUNK):
            d, o, m, c = change(a[start:start + CHUNK].astype(np.float64), b[start:start + CHUNK].astype(np.float64))
            delta_sq, old_sq, changed = delta_sq + d, old_sq + o, changed + c
            max_abs = m if math.isnan(m) or m > max_abs else max_abs
    l2 = math.sqrt(delta_sq)
    relative = l2 / math.sqrt(old_sq) if old_sq > 0 else (0.0 if l2 == 0 else math.inf)
    return Change(l2=l2, relative=relative, max_abs=float(max_abs), fraction_changed=changed / a.size if a.size else 0.0)
