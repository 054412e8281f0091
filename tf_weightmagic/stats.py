"""Statistics and a histogram of one array in two cache-sized passes, never a full copy.

The histogram is exactly ``np.histogram(finite_values, bins)``: same edges (in the
array's float precision), same counts, including values that fall on an edge.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

CHUNK = 1 << 16


@dataclass(frozen=True)
class Stats:
    """Summary of a variable's values; min/max/mean/std/norm are over the finite entries."""

    size: int
    finite: int
    nan: int
    inf: int
    zero_fraction: float
    min: float
    max: float
    mean: float
    std: float
    norm: float

    @property
    def flags(self) -> list:
        """What should stand out: ``nan``, ``inf``, ``all_nan``, ``all_zero``."""
        flags = []
        if self.nan:
            flags.append("all_nan" if self.nan == self.size else "nan")
        if self.inf:
            flags.append("inf")
        if self.size and self.zero_fraction == 1.0:
            flags.append("all_zero")
        return flags

    def to_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True, eq=False)
class Histogram:
    """``counts[i]`` finite values in ``[edges[i], edges[i+1])``, the last bin closed."""

    counts: np.ndarray
    edges: np.ndarray

    def to_dict(self) -> dict:
        return {"counts": self.counts.tolist(), "edges": self.edges.tolist()}


def _work_dtype(dtype: np.dtype) -> np.dtype:
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _chunks(flat: np.ndarray, work: np.dtype):
    for start in range(0, flat.size, CHUNK):
        yield flat[start:start + CHUNK].astype(work, copy=False)


def _finite_part(flat: np.ndarray, work: np.dtype) -> tuple:
    """``(finite values, nan count, inf count)``; the common all-finite case costs one sum."""
    if flat.dtype.kind != "f" or math.isfinite(float(flat.sum(dtype=work))):
        return flat, 0, 0
    nan = int(np.count_nonzero(np.isnan(flat)))
    inf = int(np.count_nonzero(np.isinf(flat)))
    return flat[np.isfinite(flat)], nan, inf


def _histogram(chunks, lo: float, hi: float, bins: int, work: np.dtype, mean: float) -> tuple:
    """np.histogram's uniform-bin algorithm, fused with the squared deviations for std."""
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1, dtype=work)
    lo_w, norm, mean_w = work.type(lo), work.type(bins / (hi - lo)), work.type(mean)
    counts = np.zeros(bins, dtype=np.int64)
    squares = 0.0
    for chunk in chunks:
        dev = chunk - mean_w
        squares += float(np.dot(dev, dev))
        np.subtract(chunk, lo_w, out=dev)
        dev *= norm
        idx = dev.astype(np.intp)
        np.minimum(idx, bins - 1, out=idx)
        idx -= chunk < edges.take(idx)
        idx += (chunk >= edges.take(idx + 1)) & (idx != bins - 1)
        counts += np.bincount(idx, minlength=bins)
    return counts, edges.astype(np.float64), squares


def summarize(array: np.ndarray, bins: int = 32) -> tuple:
    """``(Stats, Histogram)`` of ``array``: reads it twice in chunks, copies only if it has NaN/Inf."""
    flat = np.asarray(array).reshape(-1)
    if flat.dtype == np.bool_:
        flat = flat.view(np.uint8)
    work = _work_dtype(flat.dtype)
    values, nan, inf = _finite_part(flat, work)
    n = values.size
    if n == 0:
        edges = np.linspace(-0.5, 0.5, bins + 1)
        stats = Stats(flat.size, 0, nan, inf, 0.0, math.nan, math.nan, math.nan, math.nan, math.nan)
        return stats, Histogram(np.zeros(bins, dtype=np.int64), edges)
    total, lo, hi, nonzero = 0.0, math.inf, -math.inf, 0
    for chunk in _chunks(values, work):
        total += float(chunk.sum())
        lo = min(lo, float(chunk.min()))
        hi = max(hi, float(chunk.max()))
        nonzero += int(np.count_nonzero(chunk))
    mean = total / n
    counts, edges, squares = _histogram(_chunks(values, work), lo, hi, bins, work, mean)
    stats = Stats(
        size=flat.size, finite=n, nan=nan, inf=inf, zero_fraction=(n - nonzero) / flat.size,
        min=lo, max=hi, mean=mean, std=math.sqrt(squares / n), norm=math.sqrt(squares + n * mean * mean),
    )
    return stats, Histogram(counts, edges)
