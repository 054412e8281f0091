"""stats.summarize and changes.compare against numpy, the ground truth.

The contract (stats.py's docstring, issue 2): min/max/mean/std over the finite entries,
NaN and Inf counts, the zero fraction over every entry, and a histogram that *is*
``np.histogram(finite_values, bins)``; a change is ``new - old`` measured by numpy.
The regression cases at the end were bugs once: narrow float32 ranges, subnormal and huge
ranges, warnings from ±Inf, NaN hidden by max().
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tf_weightmagic.changes import compare
from tf_weightmagic.stats import CHUNK, summarize

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def finite_of(a: np.ndarray) -> np.ndarray:
    flat = np.asarray(a).reshape(-1)
    if flat.dtype == np.bool_:
        flat = flat.astype(np.uint8)
    return flat[np.isfinite(flat)] if flat.dtype.kind == "f" else flat


def assert_stats_match_numpy(a: np.ndarray, bins: int) -> None:
    """Everything but exact histogram edges: those are pinned separately (float32 differs, see below)."""
    stats, hist = summarize(a, bins)
    flat = np.asarray(a).reshape(-1)
    fin = finite_of(a)
    assert stats.size == flat.size
    assert stats.finite == fin.size
    assert stats.nan == (int(np.isnan(flat).sum()) if flat.dtype.kind == "f" else 0)
    assert stats.inf == (int(np.isinf(flat).sum()) if flat.dtype.kind == "f" else 0)
    assert stats.zero_fraction == np.count_nonzero(flat == 0) / flat.size
    assert len(hist.counts) == bins and len(hist.edges) == bins + 1
    assert int(hist.counts.sum()) == fin.size
    if fin.size == 0:
        assert all(math.isnan(x) for x in (stats.min, stats.max, stats.mean, stats.std))
        return
    scale = max(1.0, float(np.abs(fin.astype(np.float64)).max()))
    assert stats.min == fin.min() and stats.max == fin.max()
    assert math.isclose(stats.mean, np.mean(fin, dtype=np.float64), rel_tol=1e-5, abs_tol=1e-6 * scale)
    assert math.isclose(stats.std, np.std(fin, dtype=np.float64), rel_tol=1e-4, abs_tol=1e-5 * scale)
    assert math.isclose(stats.norm, np.linalg.norm(fin.astype(np.float64)), rel_tol=1e-4, abs_tol=1e-5 * scale)
    # float16 is summarised in float32 (numpy's float16 edges cannot even bin a constant like 1026)
    _, ref_edges = np.histogram(fin.astype(np.float32) if fin.dtype == np.float16 else fin, bins)
    # numpy's bins up to the rounding of the array's precision, and exactly numpy's counts for those edges.
    eps = 4 * float(np.finfo(ref_edges.dtype).eps)
    np.testing.assert_allclose(hist.edges, ref_edges.astype(np.float64), rtol=eps, atol=eps * scale)
    np.testing.assert_array_equal(hist.counts, np.histogram(fin, hist.edges)[0])


def assert_histogram_is_numpys(a: np.ndarray, bins: int) -> None:
    """Exactly np.histogram of the finite values in float64 (summarize's definition)."""
    _, hist = summarize(a, bins)
    counts, edges = np.histogram(finite_of(a).astype(np.float64), bins)
    np.testing.assert_array_equal(hist.counts, counts)
    if not counts.sum():
        return
    np.testing.assert_array_equal(hist.edges, edges.astype(np.float64))


def elements(dtype, bound: float = 1e4, nonfinite: bool = False):
    if np.dtype(dtype) == np.int64:
        return st.integers(-2**40, 2**40)  # beyond 2**53 float64 stats lose integers (see test_large_constant...)
    if np.dtype(dtype).kind != "f":
        return None
    width = np.dtype(dtype).itemsize * 8
    finite = st.floats(-bound, bound, width=width, allow_subnormal=False)
    return st.one_of(finite, st.sampled_from([np.nan, np.inf, -np.inf])) if nonfinite else finite


# --- summarize ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.bool_])
def test_summarize_matches_numpy_on_every_dtype(dtype):
    @SETTINGS
    @given(arrays(dtype, st.integers(1, 60), elements=elements(dtype)), st.integers(1, 48))
    def check(a, bins):
        assert_stats_match_numpy(a, bins)

    check()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_summarize_counts_nan_and_inf_and_keeps_them_out_of_the_statistics(dtype):
    @SETTINGS
    @given(arrays(dtype, st.integers(1, 60), elements=elements(dtype, 10, nonfinite=True)), st.integers(1, 48))
    def check(a, bins):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # see test_inf_and_minus_inf_emit_no_warning
            assert_stats_match_numpy(a, bins)

    check()


def test_float64_histogram_is_exactly_numpys():
    @SETTINGS
    @given(arrays(np.float64, st.integers(1, 200), elements=elements(np.float64, 1e6, nonfinite=True)), st.integers(1, 64))
    def check(a, bins):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            assert_histogram_is_numpys(a, bins)

    check()


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_])
def test_integer_and_bool_histograms_are_exactly_numpys(dtype):
    @SETTINGS
    @given(arrays(dtype, st.integers(1, 100)), st.integers(1, 40))
    def check(a, bins):
        assert_histogram_is_numpys(a, bins)

    check()


def test_arrays_larger_than_a_chunk_match_numpy():
    rng = np.random.default_rng(7)
    a = rng.standard_normal(3 * CHUNK + 123).astype(np.float64)
    a[[5, CHUNK + 1, 2 * CHUNK + 9]] = [np.nan, np.inf, -np.inf]
    assert_histogram_is_numpys(a, 64)
    assert_stats_match_numpy(a, 64)
    b = rng.standard_normal((CHUNK // 64 + 3, 130)).astype(np.float32)
    assert_stats_match_numpy(b, 32)


@pytest.mark.parametrize("bins", [7, 32, 300, 1000])
def test_many_blocks_values_on_edges_and_many_bins_are_exactly_numpys(bins):
    # Whole numbers on whole-number edges put many values exactly on an edge, across many of
    # the kernel's blocks; more than 256 bins takes its wide-index path.
    rng = np.random.default_rng(bins)
    on_edges = rng.integers(0, bins + 1, size=3 * 4096 + 5).astype(np.float32)
    assert_histogram_is_numpys(on_edges, bins)
    assert_stats_match_numpy(on_edges, bins)
    spread = rng.standard_normal(5 * 4096 + 3).astype(np.float32) * 1e3
    assert_histogram_is_numpys(spread, bins)
    assert_stats_match_numpy(spread, bins)


def test_float32_range_past_float32_max_is_binned_exactly():
    a = np.array([-3e38, 3e38, 0.0, 1e38, -1e38] * 1000, np.float32)
    assert_histogram_is_numpys(a, 32)


def test_all_nan_all_zero_and_inf_are_flagged():
    stats, hist = summarize(np.full((2, 3), np.nan, np.float32), 8)
    assert stats.flags == ["all_nan"] and stats.finite == 0 and hist.counts.sum() == 0
    assert math.isnan(stats.mean) and stats.to_dict()["mean"] is None
    assert summarize(np.zeros(5, np.float32))[0].flags == ["all_zero"]
    assert summarize(np.array([1.0, np.inf, np.nan], np.float32))[0].flags == ["nan", "inf"]
    assert summarize(np.array([1.0, -np.inf], np.float32))[0].flags == ["inf"]
    assert summarize(np.array([0.5, 0.0], np.float32))[0].flags == []


def test_scalar_and_empty_arrays():
    stats, hist = summarize(np.float32(2.5), 4)
    assert (stats.size, stats.min, stats.max, stats.mean, stats.std) == (1, 2.5, 2.5, 2.5, 0.0)
    np.testing.assert_array_equal(hist.counts, np.histogram([2.5], 4)[0])
    stats, hist = summarize(np.zeros((0, 3), np.float32), 4)
    assert stats.size == 0 and stats.finite == 0 and hist.counts.sum() == 0 and stats.flags == []


# Regressions: each was a bug once, kept as a minimal deterministic case.

def test_float32_histogram_is_exactly_numpys_in_float64():
    assert_histogram_is_numpys(np.array([1.8279050588607788], np.float32), 2)


def assert_edges_bin_every_value(a: np.ndarray, bins: int) -> None:
    """Where numpy refuses (its edges would not increase), ours still do, and bin every value."""
    stats, hist = summarize(a, bins)
    fin = finite_of(a).astype(np.float64)
    assert np.all(np.diff(hist.edges) > 0)
    assert int(hist.counts.sum()) == fin.size
    np.testing.assert_array_equal(hist.counts, np.histogram(fin, hist.edges)[0])
    assert stats.min == fin.min() and stats.max == fin.max()


def test_subnormal_range_does_not_crash():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_edges_bin_every_value(np.array([8.15807939960622e-41, 0.0], np.float32), 1)
        assert_edges_bin_every_value(np.array([5e-324, 0.0, 1e-323]), 32)


def test_large_constant_does_not_crash():
    assert_edges_bin_every_value(np.full(3, 2**60, np.int64), 4)


def test_narrow_float32_range_histogram_is_numpys_in_float64():
    # e.g. BatchNormalization's moving_variance after one fit step; float32 np.histogram refuses these
    a = np.float32(1) + np.spacing(np.float32(1)) * np.arange(4, dtype=np.float32)
    _, hist = summarize(a, 32)
    np.testing.assert_array_equal(hist.counts, np.histogram(a.astype(np.float64), 32)[0])


def test_inf_and_minus_inf_emit_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would show in the user's notebook
        summarize(np.array([np.inf, -np.inf, 1.0], np.float32))


# --- compare ---------------------------------------------------------------------


def numpy_change(old: np.ndarray, new: np.ndarray) -> tuple:
    """``(l2, relative, max_abs, fraction_changed)`` of ``new - old`` in float64; NaN → NaN is no change."""
    a = np.asarray(old, np.float64).reshape(-1)
    b = np.asarray(new, np.float64).reshape(-1)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        delta = np.where(same, 0.0, b - a)
    l2 = float(np.linalg.norm(delta))
    norm_old = float(np.linalg.norm(a))
    relative = l2 / norm_old if norm_old > 0 else (0.0 if l2 == 0 else math.inf)
    max_abs = float(np.abs(delta).max()) if delta.size else 0.0
    fraction = float(np.count_nonzero(~same)) / a.size if a.size else 0.0
    return l2, relative, max_abs, fraction


def assert_change_matches_numpy(old: np.ndarray, new: np.ndarray) -> None:
    change = compare(old, new)
    expected = numpy_change(old, new)
    assert change.fraction_changed == expected[3]
    assert change.unchanged == (expected[3] == 0.0)
    for got, want in zip((change.l2, change.relative, change.max_abs), expected[:3]):
        if math.isfinite(want):
            assert math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-30), (old, new, change, expected)
        else:
            assert got == want or (math.isnan(got) and math.isnan(want)), (old, new, change, expected)


def pairs(dtype, nonfinite: bool = False, max_size: int = 60):
    """``(old, new)`` with a random subset of entries kept equal."""
    el = elements(dtype, 1e3, nonfinite)
    if np.dtype(dtype).kind == "f":  # |Δ|² of float32 values below ~1e-19 underflows; weights never get there
        el = el.filter(lambda x: x == 0 or not math.isfinite(x) or abs(x) > 1e-6)
    return st.integers(0, max_size).flatmap(lambda n: st.tuples(
        arrays(dtype, n, elements=el), arrays(dtype, n, elements=el), arrays(np.bool_, n)
    )).map(lambda t: (t[0], np.where(t[2], t[0], t[1]).astype(dtype)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint8, np.bool_])
def test_compare_matches_numpy(dtype):
    @SETTINGS
    @given(pairs(dtype))
    def check(pair):
        assert_change_matches_numpy(*pair)

    check()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_compare_with_nan_and_inf_counts_like_numpy():
    @SETTINGS
    @given(pairs(np.float32, nonfinite=True))
    def check(pair):
        old, new = pair
        change, (l2, _, _, fraction) = compare(old, new), numpy_change(old, new)
        assert change.fraction_changed == fraction and change.unchanged == (fraction == 0)
        assert math.isclose(change.l2, l2, rel_tol=1e-5) or (math.isnan(change.l2) and math.isnan(l2)) or change.l2 == l2

    check()


def test_compare_unchanged_and_chunked():
    rng = np.random.default_rng(3)
    old = rng.standard_normal(2 * CHUNK + 17).astype(np.float32)
    change = compare(old, old.copy())
    assert change.unchanged and change.l2 == 0 and change.max_abs == 0 and change.relative == 0
    new = old.copy()
    new[[0, CHUNK, 2 * CHUNK + 16]] += 1.0
    assert_change_matches_numpy(old, new)
    assert compare(old, new).fraction_changed == 3 / old.size


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_compare_same_nan_and_inf_positions_are_unchanged():
    a = np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)
    assert compare(a, a.copy()).unchanged


def test_compare_from_zero_is_infinitely_relative():
    change = compare(np.zeros(4, np.float32), np.array([0, 0, 3, 4], np.float32))
    assert (change.l2, change.relative, change.max_abs, change.fraction_changed) == (5.0, math.inf, 4.0, 0.5)
    assert change.to_dict()["relative"] is None


def test_compare_value_turning_nan_is_not_a_zero_max_change():
    assert_change_matches_numpy(np.array([0.0, 1.0], np.float32), np.array([0.0, np.nan], np.float32))


def test_compare_with_inf_emits_no_warning():
    a = np.array([np.inf, 1.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare(a, np.array([np.inf, 2.0], np.float32))


def test_kernels_stay_in_bounds(tmp_path):
    """The compiled kernels index without checks: here they run with numba's bounds checking on
    (a fresh compile in a subprocess), on arrays whose blocks end short after blocks full of
    values on edges, and on every tail length around a block."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import numpy as np
        from tf_weightmagic.kernels import BLOCK
        from tf_weightmagic.stats import summarize
        from tf_weightmagic.changes import compare
        rng = np.random.default_rng(0)
        for n in (1, 3, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 7):
            for bins in (1, 7, 32, 256, 300):
                on_edges = rng.integers(0, bins + 1, size=n).astype(np.float32)
                summarize(on_edges, bins)
                summarize(rng.standard_normal(n), bins)
            old = rng.standard_normal(n).astype(np.float32)
            compare(old, old + 1)
        print("in bounds")
    """)
    env = dict(__import__("os").environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "in bounds" in done.stdout, done.stderr[-3000:]
