"""The one pass over a variable's values that every statistic and the histogram share (numba).

numpy would need a dozen passes and temporaries for the same numbers (``np.histogram`` alone
costs 30× a plain sum); compiled, the sum, the squares, the zero count and the bin of every
value come from one read, block by block in L1. Compiled once per dtype and cached on disk.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BLOCK = 4096


@njit(nogil=True, cache=True)
def _exact_bins(block, idx, near, edges):
    """numpy's rule by search in float64 (``edges[i] <= x < edges[i+1]``, the last bin closed),
    for the values of this block whose guess was next to an edge."""
    last = edges.size - 2
    for k in range(block.size):
        if near[k]:
            j = np.searchsorted(edges, np.float64(block[k]), side="right") - 1
            idx[k] = min(max(j, 0), last)


@njit(nogil=True, cache=True, fastmath=True)
def _block(block, lo, norm, shift, tol, upper, top, idx, near, search_all):
    """Sums of ``block`` and each value's guessed bin; returns how many are near an edge.

    ``block`` is a slice, not an offset into the whole array: indexing it is what lets LLVM vectorize."""
    total = 0.0
    squares = 0.0
    zeros = 0
    flagged = 0
    for k in range(block.size):
        x = block[k]
        wide = np.float64(x)
        total += wide
        d = wide - shift
        squares += d * d
        zeros += np.int64(x == 0)
        p = (x - lo) * norm
        whole = np.trunc(p)
        idx[k] = np.uint32(whole)
        f = p - whole
        bad = search_all | (f < tol) | (f > upper) | (p >= top)
        near[k] = bad
        flagged += np.int64(bad)
    return total, squares, zeros, flagged


@njit(nogil=True, cache=True)
def accumulate(values, lo, norm, edges, shift, tol, upper, top, search_all, counts, idx):
    """``(sum, Σ(x - shift)², zeros)`` of a 1-D float array; adds its histogram into ``counts``.

    ``lo``/``norm``/``tol``/``upper`` are in the array's dtype: each bin is guessed as
    ``(x - lo) * norm``, off by a few roundings at most, so only values whose fraction is under
    ``tol`` or over ``upper`` (next to an edge), or at ``top`` (the number of bins) and past it, are
    searched exactly; every index that is counted is then a bin. ``idx`` holds a block's bins:
    unsigned (uint8 up to 256 bins), which spares numba's negative-index check when counting.
    """
    n = values.size
    near = np.empty(BLOCK, np.bool_)
    spread = np.zeros((4, counts.size), np.int64)
    total = 0.0
    squares = 0.0
    zeros = 0
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        m = stop - start
        block = values[start:stop]
        t, s, z, flagged = _block(block, lo, norm, shift, tol, upper, top, idx, near, search_all)
        total += t
        squares += s
        zeros += z
        if flagged:
            _exact_bins(block, idx, near, edges)
        k = 0
        while k + 4 <= m:  # four interleaved tallies: no wait on the previous increment of a bin
            spread[0, idx[k]] += 1
            spread[1, idx[k + 1]] += 1
            spread[2, idx[k + 2]] += 1
            spread[3, idx[k + 3]] += 1
            k += 4
        while k < m:
            spread[0, idx[k]] += 1
            k += 1
    for r in range(4):
        for b in range(counts.size):
            counts[b] += spread[r, b]
    return total, squares, zeros


@njit(nogil=True, cache=True)
def pass_about(values, lo, hi, edges, counts, idx, largest):
    """``(sum, Σ(x - shift)², zeros, shift)`` of finite ``values`` within ``lo..hi``, their histogram
    added into ``counts``; ``shift`` is the range's midpoint, so the mean need not be known first.

    The guess runs in the array's dtype (``largest`` is its largest number): where it could
    overflow there, or its origin is not exact there, every value is searched instead.
    """
    bins = counts.size
    shift = lo / 2 + hi / 2
    if lo == hi:
        counts[min(max(np.searchsorted(edges, lo, side="right") - 1, 0), bins - 1)] += values.size
        return lo * values.size, 0.0, values.size if lo == 0 else 0, shift
    first, last = edges[0], edges[bins]
    norm = bins / (last - first)
    guess = np.zeros(5, values.dtype)  # origin, scale, tol, 1 - tol, bins: numbers in the array's dtype
    guess[0] = first
    search_all = not (abs(first) <= largest and abs(last) <= largest and last - first <= largest / 2
                      and norm <= largest and np.float64(guess[0]) == first)
    if search_all:
        guess[0] = 0
    else:
        guess[1] = norm
    guess[2] = bins * 1e-6
    guess[3] = 1 - guess[2]
    guess[4] = bins
    total, squares, zeros = accumulate(values, guess[0], guess[1], edges, shift, guess[2], guess[3], guess[4],
                                       search_all, counts, idx)
    return total, squares, zeros, shift


@njit(nogil=True, cache=True)
def about_mean(squares, total, n, shift):
    """``Σ(x - mean)²`` from ``Σ(x - shift)²``."""
    return max(squares - n * (total / n - shift) ** 2, 0.0)


@njit(nogil=True, cache=True)
def one_pass(values, lo, hi, edges, counts, idx, largest):
    """``(sum, Σ(x - mean)², zeros)`` of one array in one pass, its histogram added into ``counts``."""
    total, squares, zeros, shift = pass_about(values, lo, hi, edges, counts, idx, largest)
    return total, about_mean(squares, total, values.size, shift), zeros


@njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
def _change_block(old, new, magnitude, bits):
    """Σ Δ², Σ old², the bits of max |Δ| and how many changed, for one block.

    Only reassociation is allowed (NaN must stay NaN), which a float max cannot vectorize under;
    so each |Δ| is stored, and the largest found on its bits: for numbers ≥ 0 (and NaN, above
    them all) the int64 order is the float order.
    """
    delta_sq = 0.0
    old_sq = 0.0
    changed = 0
    for k in range(old.size):
        a = np.float64(old[k])
        b = np.float64(new[k])
        same = (a == b) | ((a != a) & (b != b))
        d = 0.0 if same else b - a
        changed += np.int64(not same)
        delta_sq += d * d
        old_sq += a * a
        magnitude[k] = abs(d)
    top = np.int64(0)
    for k in range(old.size):
        top = max(top, bits[k])
    return delta_sq, old_sq, top, changed


@njit(nogil=True, cache=True)
def change(old, new):
    """``(Σ (new - old)², Σ old², max |Δ| (NaN if a Δ is NaN), entries changed)`` of two 1-D arrays of
    one dtype; an entry NaN in both, or equal in both, has not changed."""
    magnitude = np.empty(BLOCK, np.float64)
    bits = magnitude.view(np.int64)
    delta_sq = 0.0
    old_sq = 0.0
    top = np.int64(0)
    changed = 0
    for start in range(0, old.size, BLOCK):
        stop = min(start + BLOCK, old.size)
        d, o, t, c = _change_block(old[start:stop], new[start:stop], magnitude, bits)
        delta_sq += d
        old_sq += o
        top = max(top, t)
        changed += c
    magnitude[0:1].view(np.int64)[0] = top
    return delta_sq, old_sq, magnitude[0], changed


@njit(nogil=True, cache=True, fastmath=True)
def _key_range(bits):
    """The smallest and largest order key of a block of float32 bits. The key (the bits with the
    magnitude flipped where the sign is set) orders as the floats do, NaN past ±Inf, and as
    integers it vectorizes, which a float min/max does not."""
    lo = np.int32(0x7FFFFFFF)
    hi = np.int32(-0x80000000)
    for k in range(bits.size):
        b = bits[k]
        key = b ^ ((b >> 31) & np.int32(0x7FFFFFFF))
        lo = min(lo, key)
        hi = max(hi, key)
    return lo, hi


@njit(nogil=True, cache=True)
def _from_key(key, scratch):
    scratch[0] = key ^ ((key >> 31) & np.int32(0x7FFFFFFF))
    return np.float64(scratch.view(np.float32)[0])


@njit(nogil=True, cache=True)
def numpy_edges(lo, hi, edges):
    """``np.linspace(lo, hi, bins + 1)`` op for op (a constant gets ±0.5, as in np.histogram);
    False where the edges would not strictly increase (the caller widens them)."""
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    bins = edges.size - 1
    step = (hi - lo) / bins
    if step == 0:
        return False
    for j in range(bins + 1):
        edges[j] = j * step + lo
    edges[bins] = hi
    for j in range(bins):
        if not edges[j + 1] > edges[j]:
            return False
    return True


@njit(nogil=True, cache=True)
def summarize_float32(arrays, sums, zeros, counts, edges, done, idx):
    """Everything ``stats.summarize`` computes, for a list of 1-D float32 arrays in one call, so a
    worker thread needs the GIL only to start and to finish.

    Per array ``i``: ``sums[i] = (min, max, sum, Σ(x - mean)²)``, ``zeros[i]``, ``counts[i]`` and
    ``edges[i]`` as numpy would give them. ``done[i]`` is False where the array is empty, holds
    NaN/Inf, or needs widened edges: ``summarize`` does those.
    """
    scratch = np.empty(1, np.int32)
    bins = counts.shape[1]
    largest = 3.4028234663852886e38
    for i in range(len(arrays)):
        values = arrays[i]
        n = values.size
        done[i] = False
        if n == 0:
            continue
        bits = values.view(np.int32)
        key_lo, key_hi = np.int32(0x7FFFFFFF), np.int32(-0x80000000)
        for start in range(0, n, BLOCK):
            a, b = _key_range(bits[start:min(start + BLOCK, n)])
            key_lo, key_hi = min(key_lo, a), max(key_hi, b)
        lo, hi = _from_key(key_lo, scratch), _from_key(key_hi, scratch)
        if not (np.isfinite(lo) and np.isfinite(hi)) or not numpy_edges(lo, hi, edges[i]):
            continue
        total, squares, z = one_pass(values, lo, hi, edges[i], counts[i], idx, largest)
        sums[i, 0], sums[i, 1], sums[i, 2], sums[i, 3] = lo, hi, total, squares
        zeros[i] = z
        done[i] = True
