"""Statistics and a histogram of one array: numpy's min/max, then one compiled pass, never a full copy.

The histogram is exactly ``np.histogram(finite_values.astype(float64), bins)``: the same
float64 edges and the same counts, values on an edge included. (In float32, numpy's own
edges collapse for ranges a few ulps wide, such as BatchNorm statistics after a step.)
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
    """float32 for float32 and narrower floats (float16, bfloat16), float64 for the rest."""
    if dtype.itemsize <= 4 and (dtype.kind == "f" or dtype.name == "bfloat16"):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _range(flat: np.ndarray) -> tuple:
    return float(flat.min()), float(flat.max())


def _edges(lo: float, hi: float, bins: int) -> np.ndarray:
    """numpy's edges (a constant gets ±0.5), widened only where they would not strictly increase:
    a range a few float64 ulps wide, such as subnormals or integers past 2**53."""
    from .kernels import numpy_edges

    edges = np.empty(bins + 1)
    if numpy_edges(lo, hi, edges):
        return edges
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    while not np.all(np.diff(edges) > 0):
        pad = bins * max(hi - lo, float(np.spacing(max(abs(lo), abs(hi)))))
        lo, hi = lo - pad, hi + pad
        edges = np.linspace(lo, hi, bins + 1)
    return edges


def _chunks(flat: np.ndarray, work: np.dtype):
    """The array itself when the kernel takes its dtype, else converted one chunk at a time."""
    if flat.dtype == work:
        yield flat
        return
    for start in range(0, flat.size, CHUNK):
        yield flat[start:start + CHUNK].astype(work)


def _one_pass(values: np.ndarray, lo: float, hi: float, bins: int) -> tuple:
    """``(sum, Σ(x - mean)², zeros, counts, edges)`` of finite ``values`` of any dtype in one compiled
    pass; dtypes the kernel does not take are converted a chunk at a time."""
    from .kernels import BLOCK, about_mean, pass_about

    edges = _edges(lo, hi, bins)
    counts = np.zeros(bins, dtype=np.int64)
    work = _work_dtype(values.dtype)
    largest = float(np.finfo(work).max)
    idx = np.empty(BLOCK, np.uint8 if bins <= 256 else np.uint32)
    total = squares = 0.0
    zeros = shift = 0
    for chunk in _chunks(values, work):
        t, s, z, shift = pass_about(chunk, lo, hi, edges, counts, idx, largest)
        total, squares, zeros = total + t, squares + s, zeros + z
    squares = about_mean(squares, total, values.size, shift)
    return total, squares, zeros, counts, edges


def _finite(flat: np.ndarray) -> tuple:
    """``(finite values, nan, inf)``: a copy without the NaN/Inf entries, made only when there are any."""
    nan = int(np.count_nonzero(np.isnan(flat)))
    inf = int(np.count_nonzero(np.isinf(flat)))
    return flat[np.isfinite(flat)], nan, inf


def _summary(size: int, nan: int, inf: int, n: int, lo: float, hi: float, total: float, squares: float, zeros: int,
             counts: np.ndarray, edges: np.ndarray) -> tuple:
    mean = total / n
    stats = Stats(
        size=size, finite=n, nan=nan, inf=inf, zero_fraction=zeros / size,
        min=lo, max=hi, mean=mean, std=math.sqrt(squares / n), norm=math.sqrt(squares + n * mean * mean),
    )
    return stats, Histogram(counts, edges)


def summarize(array: np.ndarray, bins: int = 32) -> tuple:
    """``(Stats, Histogram)`` of ``array``: min/max, then one compiled pass; copies only if it holds
    NaN/Inf (its min or max is then not finite)."""
    return summarize_many([array], bins)[0]


def summarize_many(arrays: list, bins: int = 32) -> list:
    """``summarize`` of each array; the float32 ones (nearly every Keras weight) in a single compiled
    call that needs the GIL only to start and to finish, which is what a worker thread wants."""
    flat = [np.asarray(a).reshape(-1) for a in arrays]
    fast = [i for i, a in enumerate(flat) if a.dtype == np.float32 and a.flags.c_contiguous]
    results: list = [None] * len(flat)
    if fast:
        from numba.typed import List

        from .kernels import BLOCK, summarize_float32

        k = len(fast)
        sums, zeros, done = np.empty((k, 4)), np.zeros(k, np.int64), np.zeros(k, np.bool_)
        counts, edges = np.zeros((k, bins), np.int64), np.empty((k, bins + 1))
        idx = np.empty(BLOCK, np.uint8 if bins <= 256 else np.uint32)
        summarize_float32(List([flat[i] for i in fast]), sums, zeros, counts, edges, done, idx)
        for row, i in enumerate(fast):
            if done[row]:
                lo, hi, total, squares = (float(x) for x in sums[row])
                size = flat[i].size
                results[i] = _summary(size, 0, 0, size, lo, hi, total, squares, int(zeros[row]), counts[row], edges[row])
    return [r if r is not None else _summarize_one(a, bins) for r, a in zip(results, flat)]


def _summarize_one(flat: np.ndarray, bins: int) -> tuple:
    """``summarize`` of one flat array: any dtype, NaN/Inf, edges that need widening."""
    if flat.dtype == np.bool_:
        flat = flat.view(np.uint8)
    values, nan, inf = flat, 0, 0
    lo, hi = _range(flat) if flat.size else (math.nan, math.nan)
    if flat.size and not (math.isfinite(lo) and math.isfinite(hi)):
        values, nan, inf = _finite(flat)
        lo, hi = _range(values) if values.size else (math.nan, math.nan)
    n = values.size
    if n == 0:
        edges = np.linspace(0.0, 1.0, bins + 1)
        stats = Stats(flat.size, 0, nan, inf, 0.0, math.nan, math.nan, math.nan, math.nan, math.nan)
        return stats, Histogram(np.zeros(bins, dtype=np.int64), edges)
    total, squares, zeros, counts, edges = _one_pass(values, lo, hi, bins)
    return _summary(flat.size, nan, inf, n, lo, hi, total, squares, zeros, counts, edges)
