"""Statistics and a histogram of one array in two cache-sized passes, never a full copy.

The histogram is exactly ``np.histogram(finite_values.astype(float64), bins)``: the same
float64 edges and the same counts, values on an edge included. (In float32, numpy's own
edges collapse for ranges a few ulps wide, such as BatchNorm statistics after a step.)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

CHUNK = 1 << 16
SMALL = 1 << 12


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
    if flat.dtype.kind != "f":
        return flat, 0, 0
    with np.errstate(invalid="ignore", over="ignore"):
        if math.isfinite(float(flat.sum(dtype=work))):
            return flat, 0, 0
    nan = int(np.count_nonzero(np.isnan(flat)))
    inf = int(np.count_nonzero(np.isinf(flat)))
    return flat[np.isfinite(flat)], nan, inf


def _edges(lo: float, hi: float, bins: int) -> np.ndarray:
    """numpy's edges (a constant gets ±0.5), widened only where they would not strictly increase:
    a range a few float64 ulps wide, such as subnormals or integers past 2**53."""
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    while not np.all(np.diff(edges) > 0):
        pad = bins * max(hi - lo, float(np.spacing(max(abs(lo), abs(hi)))))
        lo, hi = lo - pad, hi + pad
        edges = np.linspace(lo, hi, bins + 1)
    return edges


def _bin_indices(chunk: np.ndarray, edges: np.ndarray, norm: float) -> np.ndarray:
    """numpy's rule: ``edges[i] <= x < edges[i+1]``, the last bin closed.

    A guess from ``(x - lo) * norm`` in the chunk's own precision is off by at most a few
    rounding errors (under ``bins * 1e-6`` bins), so it is right except next to an edge; only
    those few values are re-binned by searching the float64 edges. That also puts the
    maximum, whose guess is ``bins``, into the last bin. Where ``norm`` overflows (a
    subnormal range) every value is searched.
    """
    bins = edges.size - 1
    with np.errstate(over="ignore"):
        if not math.isfinite(chunk.dtype.type(norm)):
            return np.clip(np.searchsorted(edges, chunk.astype(np.float64), side="right") - 1, 0, bins - 1)
    position = (chunk - chunk.dtype.type(edges[0])) * chunk.dtype.type(norm)
    whole = np.floor(position)
    idx = whole.astype(np.int32)
    position -= whole
    tolerance = bins * 1e-6
    near = np.flatnonzero((position < tolerance) | (position > 1 - tolerance))
    if near.size:
        exact = np.searchsorted(edges, chunk[near].astype(np.float64), side="right") - 1
        idx[near] = np.clip(exact, 0, bins - 1)
    return idx


def _histogram(chunks, lo: float, hi: float, bins: int, mean: float) -> tuple:
    """np.histogram's uniform bins in float64, fused with the squared deviations for std."""
    edges = _edges(lo, hi, bins)
    with np.errstate(over="ignore"):
        norm = float(bins / (edges[-1] - edges[0]))
    counts = np.zeros(bins, dtype=np.int64)
    squares = 0.0
    for chunk in chunks:
        dev = chunk - chunk.dtype.type(mean)
        squares += float(np.dot(dev, dev))
        counts += np.bincount(_bin_indices(chunk, edges, norm), minlength=bins)
    return counts, edges, squares


def _chunked(values: np.ndarray, work: np.dtype, bins: int) -> tuple:
    """``(sum, min, max, zeros, squared deviations, counts, edges)`` in two cache-sized passes."""
    total, lo, hi, zeros = 0.0, math.inf, -math.inf, 0
    for chunk in _chunks(values, work):
        total += float(chunk.sum())
        lo = min(lo, float(chunk.min()))
        hi = max(hi, float(chunk.max()))
        zeros += int(np.count_nonzero(chunk == 0))
    counts, edges, squares = _histogram(_chunks(values, work), lo, hi, bins, total / values.size)
    return total, lo, hi, zeros, squares, counts, edges


def _small(values: np.ndarray, bins: int) -> tuple:
    """The same numbers for a small array (BatchNorm vectors, biases) in a dozen numpy calls."""
    x = values.astype(np.float64)
    total, lo, hi = float(x.sum()), float(x.min()), float(x.max())
    dev = x - total / x.size
    edges = _edges(lo, hi, bins)
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
    return total, lo, hi, int(np.count_nonzero(x == 0)), float(np.dot(dev, dev)), np.bincount(idx, minlength=bins), edges


def summarize(array: np.ndarray, bins: int = 32) -> tuple:
    """``(Stats, Histogram)`` of ``array``: reads it twice in chunks, copies only if it has NaN/Inf."""
    flat = np.asarray(array).reshape(-1)
    if flat.dtype == np.bool_:
        flat = flat.view(np.uint8)
    work = _work_dtype(flat.dtype)
    values, nan, inf = _finite_part(flat, work)
    n = values.size
    if n == 0:
        edges = np.linspace(0.0, 1.0, bins + 1)
        stats = Stats(flat.size, 0, nan, inf, 0.0, math.nan, math.nan, math.nan, math.nan, math.nan)
        return stats, Histogram(np.zeros(bins, dtype=np.int64), edges)
    parts = _small(values, bins) if n <= SMALL else _chunked(values, work, bins)
    total, lo, hi, zeros, squares, counts, edges = parts
    mean = total / n
    stats = Stats(
        size=flat.size, finite=n, nan=nan, inf=inf, zero_fraction=zeros / flat.size,
        min=lo, max=hi, mean=mean, std=math.sqrt(squares / n), norm=math.sqrt(squares + n * mean * mean),
    )
    return stats, Histogram(counts, edges)
