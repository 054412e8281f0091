"""``%weights`` and the WeightReport (issue 2), through a real IPython shell and real Keras.

Ground truth is always Keras or numpy: ``count_params()``, the sizes of
``trainable_weights`` / ``non_trainable_weights``, ``model.summary()``'s totals,
``get_weights()`` and numpy's min/max/mean/std/``np.histogram`` — never our own output.
"""

import fnmatch
import gc
import json
import math
import re
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_unchanged, weights_of
from IPython.core.error import UsageError

import tf_weightmagic
from tf_weightmagic import WeightReport
from tf_weightmagic.adapters.base import VarRef

# --- helpers -------------------------------------------------------------------------


def weights(shell, line: str):
    return shell.run_line_magic("weights", line)


def size_of(variables) -> int:
    return sum(int(np.prod(v.shape)) for v in variables)


def finite(a: np.ndarray) -> np.ndarray:
    flat = np.asarray(a).reshape(-1)
    if flat.dtype == np.bool_:
        flat = flat.astype(np.uint8)
    return flat[np.isfinite(flat)] if flat.dtype.kind == "f" else flat


def assert_counts_match_keras(report: WeightReport, layer) -> None:
    """Totals, the variable list and every built layer's counts equal Keras's own."""
    assert report.trainable_params == size_of(layer.trainable_weights)
    assert report.non_trainable_params == size_of(layer.non_trainable_weights)
    assert report.params == layer.count_params()
    assert sorted(v.path for v in report.variables) == sorted(w.path for w in layer.weights)
    trainable = {w.path for w in layer.trainable_weights}
    assert {v.path for v in report.variables if v.trainable} == trainable
    by_name = {sub.name: sub for sub in layer._flatten_layers()}
    for info in report.layers:
        sub = by_name[info.name]
        assert (info.cls, info.built, info.trainable) == (type(sub).__name__, sub.built, sub.trainable), info.path
        if sub.built:
            assert info.params == sub.count_params(), info.path
            assert info.trainable_params == size_of(sub.trainable_weights), info.path
            assert info.non_trainable_params == size_of(sub.non_trainable_weights), info.path


def assert_stats_match_numpy(report: WeightReport, layer, bins: int = 32, paths=None) -> None:
    """Every variable's record (or those in ``paths``) against ``get_weights()`` and numpy."""
    by_path = {v.path: v for v in report.variables}
    for w, value in zip(layer.weights, layer.get_weights()):
        if paths is not None and w.path not in paths:
            continue
        info = by_path[w.path]
        a = np.asarray(value)
        assert info.shape == tuple(w.shape) == a.shape
        assert info.dtype == np.dtype(a.dtype).name
        assert (info.size, info.bytes) == (a.size, a.nbytes)
        s, h, fin = info.stats, info.histogram, finite(a)
        assert (s.size, s.finite) == (a.size, fin.size)
        assert s.zero_fraction == np.count_nonzero(a == 0) / a.size
        assert s.nan == (int(np.isnan(a).sum()) if a.dtype.kind == "f" else 0)
        assert s.inf == (int(np.isinf(a).sum()) if a.dtype.kind == "f" else 0)
        assert s.min == fin.min() and s.max == fin.max(), w.path
        scale = max(1.0, float(np.abs(fin.astype(np.float64)).max()))
        assert math.isclose(s.mean, float(np.mean(fin, dtype=np.float64)), rel_tol=1e-5, abs_tol=1e-6 * scale), w.path
        assert math.isclose(s.std, float(np.std(fin, dtype=np.float64)), rel_tol=1e-4, abs_tol=1e-6 * scale), w.path
        assert len(h.counts) == bins and h.counts.sum() == fin.size
        # numpy's bins (float32 numpy cannot always make them: a BatchNorm variance after one
        # step spans a few ulps) and numpy's counts on those very edges
        ref_edges = np.histogram(fin.astype(np.float64), bins)[1]
        np.testing.assert_allclose(h.edges, ref_edges, rtol=1e-6, atol=1e-6 * scale)
        if np.all(np.diff(h.edges) > 0):  # else the known stats.py bug, see test_stats.test_narrow_float32_range...
            np.testing.assert_array_equal(h.counts, np.histogram(fin, h.edges)[0])


def summary_totals(model) -> tuple:
    lines: list = []
    model.summary(print_fn=lambda text, line_break=None: lines.append(text))
    text = "\n".join(lines)

    def read(label: str) -> int:
        found = re.search(rf"^\s*{label}: ([\d,]+)", text, re.M)
        return int(found.group(1).replace(",", "")) if found else 0

    # a trained model's total also counts the optimizer's variables, which are not the model's
    return read("Total params") - read("Optimizer params"), read("Trainable params"), read("Non-trainable params")


def usage_error(shell, line: str) -> str:
    with pytest.raises(UsageError) as info:
        weights(shell, line)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


class Counter(keras.layers.Layer):
    """A custom layer: a trainable kernel, a non-trainable float, an int counter and a bool mask."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 4), initializer="glorot_uniform", name="kernel")
        self.ema = self.add_weight(shape=(4,), initializer="ones", trainable=False, name="ema")
        self.steps = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False, name="steps")
        self.mask = self.add_weight(shape=(4,), initializer="zeros", dtype="bool", trainable=False, name="mask")

    def call(self, x):
        return x @ self.kernel


class TwoDense(keras.Model):
    """A subclassed model: its sub-layers exist only once it is called."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(5, activation="relu")
        self.norm = keras.layers.BatchNormalization()
        self.out = keras.layers.Dense(2)

    def call(self, x):
        return self.out(self.norm(self.hidden(x)))


# --- module-scoped models (TF is slow on 2 cores: build each once) ---------------------


@pytest.fixture(scope="module")
def mobilenet():
    return keras.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), include_top=False)


@pytest.fixture(scope="module")
def efficientnet():
    return keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3))


@pytest.fixture(scope="module")
def nested():
    """Nested models, a layer shared inside and across sub-models, BatchNorm, a frozen layer."""
    shared = keras.layers.Dense(4, name="shared_dense")
    left = keras.Sequential([keras.Input((4,)), shared, keras.layers.Dense(4, name="left_dense")], name="left")
    right = keras.Sequential([keras.Input((4,)), shared, keras.layers.BatchNormalization(name="right_bn")], name="right")
    frozen = keras.layers.Dense(3, name="frozen_dense")
    frozen.trainable = False
    inputs = keras.Input((4,), name="x")
    h = shared(inputs)
    outputs = frozen(keras.layers.Concatenate(name="join")([left(h), right(h)]))
    return keras.Model(inputs, outputs, name="outer")


# --- the seed scenarios --------------------------------------------------------------


def test_unbuilt_conv2d_says_why_and_what_it_will_create(shell, ns):
    conv = ns["conv"] = keras.layers.Conv2D(32, 3, name="seed_conv")
    report = weights(shell, "conv")
    assert isinstance(report, WeightReport)
    assert report.variables == () and conv.weights == [] and conv.trainable_variables == []
    assert (report.params, report.build_state, report.built) == (0, "not built", False)
    (layer,) = report.layers
    assert layer.built is False and layer.pending == (("kernel", (3, 3, None, 32)), ("bias", (32,)))
    assert "not built" in layer.note and "first call" in layer.note and "--build" in layer.note
    text, html = str(report), report._repr_html_()
    for view in (text, html):
        assert "not built" in view and "--build" in view
        assert "kernel (3, 3, ?, 32)" in view and "bias (32,)" in view
    assert any("trainable_variables is empty" in n for n in report.notes)
    assert not conv.built  # looking did not build it


def test_conv2d_after_build(shell, ns):
    conv = ns["conv"] = keras.layers.Conv2D(32, 3, name="seed_conv_built")
    report = weights(shell, "conv --build 1,28,28,3")
    assert conv.built and tuple(conv.kernel.shape) == (3, 3, 3, 32) and tuple(conv.bias.shape) == (32,)
    assert {v.path.split("/")[-1]: v.shape for v in report.variables} == {"kernel": (3, 3, 3, 32), "bias": (32,)}
    assert report.params == 896 == conv.count_params()
    assert report.build_state == "built" and report.layers[0].pending == ()
    assert_counts_match_keras(report, conv)
    assert_stats_match_numpy(report, conv)
    assert "896 params" in str(report)
    kernel_bytes = "3.4 KB"  # 864 float32 = 3,456 B: each variable's memory is shown
    assert conv.kernel.numpy().nbytes == 3456 and kernel_bytes in str(report) and kernel_bytes in report._repr_html_()


def test_build_accepts_the_tuple_form_and_leaves_a_built_layer_alone(shell, ns):
    conv = ns["conv"] = keras.layers.Conv2D(8, 3, name="tuple_built")
    weights(shell, 'conv --build "(None, 12, 12, 2)"')
    assert tuple(conv.kernel.shape) == (3, 3, 2, 8)
    before = weights_of(conv)
    report = weights(shell, "conv --build 1,28,28,5")
    assert any("already built" in n for n in report.notes)
    assert tuple(conv.kernel.shape) == (3, 3, 2, 8)
    assert_unchanged(conv, before)


def test_strided_same_conv_on_a_real_batch(shell, ns):
    conv = keras.layers.Conv2D(64, (5, 5), strides=2, padding="same", name="strided")
    out = conv(np.zeros((2, 32, 32, 1), "float32"))
    assert tuple(out.shape) == (2, 16, 16, 64)
    ns["conv"] = conv
    report = weights(shell, "conv")
    assert report.params == 1664 == conv.count_params()
    assert "1,664 params" in str(report)
    assert_counts_match_keras(report, conv)
    assert_stats_match_numpy(report, conv)


def test_custom_layer_with_non_trainable_int_and_bool_weights(shell, ns):
    layer = ns["custom"] = Counter(name="counter")
    layer(np.ones((2, 3), "float32"))
    layer.steps.assign(7)
    layer.mask.assign([True, False, True, True])
    report = weights(shell, "custom")
    assert (report.trainable_params, report.non_trainable_params) == (12, 9)
    assert_counts_match_keras(report, layer)
    assert_stats_match_numpy(report, layer)
    steps, mask = report.variable("steps"), report.variable("mask")
    assert (steps.dtype, steps.trainable, steps.stats.mean, steps.stats.flags) == ("int32", False, 7.0, [])
    assert (mask.dtype, mask.bytes, mask.stats.mean, mask.stats.zero_fraction) == ("bool", 4, 0.75, 0.25)
    json.dumps(report.to_dict(), allow_nan=False)


def test_batchnorm_moving_statistics_are_non_trainable(shell, ns):
    model = ns["bn_model"] = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5), keras.layers.BatchNormalization()])
    model.compile("sgd", "mse")
    model.fit(np.random.default_rng(0).normal(size=(16, 6)).astype("float32"), np.ones((16, 5), "float32"), epochs=1, verbose=0)
    report = weights(shell, "bn_model")
    non_trainable = {v.path.split("/")[-1] for v in report.variables if not v.trainable}
    assert non_trainable == {"moving_mean", "moving_variance"}
    assert report.non_trainable_params == 10 == size_of(model.non_trainable_weights)
    assert_counts_match_keras(report, model)
    assert_stats_match_numpy(report, model)
    assert summary_totals(model) == (report.params, report.trainable_params, report.non_trainable_params)


# --- keras.applications, nested models, shared and frozen layers --------------------------


@pytest.mark.parametrize("fixture", ["mobilenet", "efficientnet"])
def test_applications_counts_and_statistics(shell, ns, request, fixture):
    model = ns["app"] = request.getfixturevalue(fixture)
    report = weights(shell, "app")
    assert report.build_state == "built"
    assert_counts_match_keras(report, model)
    assert summary_totals(model) == (report.params, report.trainable_params, report.non_trainable_params)
    assert_stats_match_numpy(report, model)
    assert report.total_variables == len(model.weights) == len(report.variables)
    assert report.bytes == sum(a.nbytes for a in model.get_weights())


def test_efficientnet_integer_normalization_count(shell, ns, efficientnet):
    ns["app"] = efficientnet
    (count,) = [w for w in efficientnet.weights if w.path.endswith("count")]
    report = weights(shell, "app --filter *count")
    (info,) = report.variables
    value = np.asarray(count.numpy())
    assert info.path == count.path and info.dtype == value.dtype.name and np.dtype(info.dtype).kind == "i"
    assert info.trainable is False and (info.stats.min, info.stats.max, info.stats.mean) == (value.min(),) * 3
    assert info.histogram.counts.sum() == 1 and not info.stats.nan and not info.stats.inf


def test_nested_models_shared_and_frozen_layers(shell, ns, nested):
    ns["nested"] = nested
    report = weights(shell, "nested")
    assert_counts_match_keras(report, nested)
    assert_stats_match_numpy(report, nested)
    assert summary_totals(nested) == (report.params, report.trainable_params, report.non_trainable_params)
    # the shared layer is listed wherever it is used, its variables once
    shared = [layer for layer in report.layers if layer.name == "shared_dense"]
    assert len(shared) == 3 and sum(layer.shared_with is None for layer in shared) == 1
    assert [v.path for v in report.variables].count(nested.get_layer("left").layers[0].kernel.path) == 1
    for name in ("left", "right"):  # a sub-model counts the shared layer, as Keras does
        (info,) = [layer for layer in report.layers if layer.name == name]
        assert info.params == nested.get_layer(name).count_params()
    # the frozen layer: all its variables non-trainable, the model around it trainable
    (frozen,) = [layer for layer in report.layers if layer.name == "frozen_dense"]
    assert frozen.trainable is False and frozen.trainable_params == 0 and frozen.non_trainable_params == 8 * 3 + 3
    assert report.layers[0].trainable is True
    assert "shared" in str(report) and "shared" in report._repr_html_()


def test_sub_layer_expressions_are_targets(shell, ns, nested):
    ns["nested"] = nested
    right = nested.get_layer("right")
    report = weights(shell, 'nested.get_layer("right") --filter *bn*')
    assert report.target == 'nested.get_layer("right")'
    assert [v.path for v in report.variables] == [w.path for w in right.weights if "bn" in w.path]
    assert report.params == right.count_params()
    kernel = weights(shell, "nested.layers[1].kernel")
    assert kernel.kind == "variable" and kernel.variables[0].path == nested.layers[1].kernel.path
    assert kernel.params == int(np.prod(nested.layers[1].kernel.shape))


def test_sequential_without_input_builds_with_build(shell, ns):
    model = ns["seq"] = keras.Sequential([keras.layers.Dense(8, name="s_d1"), keras.layers.Dense(3, name="s_d2")])
    before = weights(shell, "seq")
    assert before.build_state == "not built" and before.variables == ()
    assert [layer.pending for layer in before.layers[1:]] == [(("kernel", (None, 8)), ("bias", (8,))),
                                                              (("kernel", (None, 3)), ("bias", (3,)))]
    report = weights(shell, "seq --build 2,5")
    assert model.built and all(layer.built for layer in model.layers)
    assert tuple(model.layers[0].kernel.shape) == (5, 8) and report.params == 5 * 8 + 8 + 8 * 3 + 3
    assert_counts_match_keras(report, model)
    assert tuple(model(np.zeros((2, 5), "float32")).shape) == (2, 3)


def test_subclassed_model_builds_with_build(shell, ns):
    model = ns["sub"] = TwoDense(name="two_dense")
    before = weights(shell, "sub")
    assert before.build_state == "not built" and len(before.layers) == 4
    report = weights(shell, 'sub --build "(None, 7)"')
    assert model.built and model.hidden.built and model.norm.built and model.out.built
    assert report.build_state == "built" and report.params == model.count_params() == 7 * 5 + 5 + 20 + 5 * 2 + 2
    assert_counts_match_keras(report, model)
    assert_stats_match_numpy(report, model)


def test_multi_input_layer_builds_with_a_list_of_shapes(shell, ns):
    mha = ns["mha"] = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
    report = weights(shell, 'mha --build "[(None, 4, 8), (None, 6, 8)]"')
    assert mha.built and report.build_state == "built"
    assert {(v.path, v.shape) for v in report.variables} == {(w.path, tuple(w.shape)) for w in mha.weights}
    assert report.params == mha.count_params() == 4 * (8 * 8 + 8)
    assert_counts_match_keras(report, mha)
    out = mha(np.zeros((1, 4, 8), "float32"), np.zeros((1, 6, 8), "float32"))
    assert tuple(out.shape) == (1, 4, 8)


def test_partially_built_model(shell, ns):
    model = ns["part"] = keras.Sequential([keras.layers.Dense(3, name="p_d1"), keras.layers.Dense(2, name="p_d2")])
    model.layers[0].build((None, 4))
    report = weights(shell, "part")
    assert report.build_state == "partially built" and "partially built" in str(report)
    by_name = {layer.name: layer for layer in report.layers}
    assert by_name["p_d1"].built and by_name["p_d1"].params == 15 and by_name["p_d1"].pending == ()
    assert not by_name["p_d2"].built and by_name["p_d2"].pending == (("kernel", (None, 2)), ("bias", (2,)))
    assert report.params == 15 == size_of(model.weights)
    assert any("p_d2" in n for n in report.notes)
    assert_stats_match_numpy(report, model.layers[0])
    html = report._repr_html_()
    assert "partially built" in html and "kernel (?, 2)" in html


def test_tf_variable_and_tf_module_targets(shell, ns):
    tv = ns["tv"] = tf.Variable(np.arange(6.0).reshape(2, 3) - 2, name="plain", trainable=False)
    report = weights(shell, "tv")
    (info,) = report.variables
    assert (report.kind, info.path, info.shape, info.dtype, info.trainable) == ("variable", "plain", (2, 3), "float64", False)
    assert (report.trainable_params, report.non_trainable_params) == (0, 6)
    value = tv.numpy()
    assert (info.stats.min, info.stats.max, info.stats.mean) == (value.min(), value.max(), value.mean())
    assert math.isclose(info.stats.std, value.std())
    np.testing.assert_array_equal(info.histogram.counts, np.histogram(value, 32)[0])

    class Holder(tf.Module):
        def __init__(self):
            super().__init__(name="holder")
            self.w = tf.Variable(np.ones((3, 2), "float32"))
            self.parts = [tf.Variable(2.0, trainable=False), tf.Variable(np.zeros(4, "float32"))]

    module = ns["module"] = Holder()
    report = weights(shell, "module")
    assert report.kind == "module" and len(report.variables) == len(module.variables) == 3
    assert report.trainable_params == size_of(module.trainable_variables) == 10
    assert report.non_trainable_params == 1
    assert {v.path for v in report.variables} == {"holder/w", "holder/parts/0", "holder/parts/1"}
    assert "ALL ZERO" in str(report)


# --- flags, views, serialisation ----------------------------------------------------------


def test_nan_inf_and_all_zero_stand_out_in_every_view(shell, ns):
    inner = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="deep")], name="inner_flags")
    model = ns["flags"] = keras.Sequential([keras.Input((2,)), inner, keras.layers.Dense(2, name="top")], name="flags")
    deep = inner.layers[0]
    deep.kernel.assign(np.array([[np.nan, 1, 2], [np.inf, 0, 1]], "float32"))
    deep.bias.assign(np.full(3, np.nan, "float32"))
    model.layers[1].kernel.assign(np.zeros((3, 2), "float32"))
    report = weights(shell, "flags")
    assert report.variable("deep/kernel").flags == ["nan", "inf"]
    assert report.variable("deep/kernel").stats.nan == 1 and report.variable("deep/kernel").stats.inf == 1
    assert report.variable("deep/bias").flags == ["all_nan"]
    assert report.variable("top/kernel").flags == ["all_zero"]
    kernel = deep.kernel.numpy()
    np.testing.assert_array_equal(report.variable("deep/kernel").histogram.counts, np.histogram(kernel[np.isfinite(kernel)], 32)[0])
    text = str(report)
    assert "!NaN" in text and "!Inf" in text and "!ALL NaN" in text and "!ALL ZERO" in text
    assert repr(report) == text
    html = report._repr_html_()
    for flag in ("NaN", "Inf", "ALL NaN", "ALL ZERO"):
        assert f'<span class="b bad">{flag}</span>' in html
    # the flags are visible without expanding anything: the outermost summary carries them
    root_summary = html[html.index("<summary>"):html.index("</summary>")]
    assert "NaN" in root_summary and "Inf" in root_summary
    assert json.loads(json.dumps(report.to_dict(), allow_nan=False))["variables"][1]["stats"]["mean"] is None


def test_html_is_static_and_has_a_tree_and_drawn_histograms(shell, ns, nested):
    ns["nested"] = nested
    report = weights(shell, "nested")
    html = report._repr_html_()
    assert "<script" not in html.lower()
    assert html.count("<details") == len(report.layers)
    assert html.count("<svg") == len(report.variables)
    for v in report.variables:
        assert v.path in html


def test_report_api_and_magic_return_the_same_report(shell, ns, nested):
    ns["nested"] = nested
    shell.run_cell("report_from_magic = %weights nested --bins 8")
    from_magic = ns["report_from_magic"]
    assert isinstance(from_magic, WeightReport)
    from_api = tf_weightmagic.report(nested, bins=8, label="nested")
    assert type(from_api) is WeightReport
    assert from_magic.to_dict() == from_api.to_dict()
    assert str(from_magic) == str(from_api)


def test_to_dict_is_json_serialisable(shell, ns, efficientnet):
    ns["app"] = efficientnet
    data = json.loads(json.dumps(weights(shell, "app").to_dict(), allow_nan=False))
    assert data["params"] == efficientnet.count_params()
    assert len(data["variables"]) == len(efficientnet.weights)
    unbuilt = json.loads(json.dumps(tf_weightmagic.report(keras.layers.Dense(4)).to_dict(), allow_nan=False))
    assert unbuilt["layers"][0]["pending"] == [{"name": "kernel", "shape": [None, 4]}, {"name": "bias", "shape": [4]}]


def test_report_keeps_no_reference_to_the_model(shell, ns):
    shell.run_cell("doomed = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4), keras.layers.BatchNormalization()])")
    ref = weakref.ref(ns["doomed"])
    shell.run_cell("kept = %weights doomed --values")
    shell.run_cell("%weights doomed")  # shown: IPython's Out cache keeps this report alive
    shell.run_cell("kept_var = %weights doomed.layers[0].kernel")
    shell.run_cell("del doomed")
    gc.collect()
    assert ref() is None
    assert ns["kept"].params == 5 * 4 + 4 + 16 and "kernel" in str(ns["kept"])


def test_semicolon_silences_and_returns_none(shell, ns, capsys):
    ns["quiet"] = keras.layers.Dense(2, name="quiet_dense")
    capsys.readouterr()
    result = shell.run_cell("%weights quiet;")
    assert result.success and result.result is None
    assert "quiet" not in capsys.readouterr().out
    result = shell.run_cell("%weights quiet")
    assert isinstance(result.result, WeightReport)
    assert "quiet" in capsys.readouterr().out


def test_no_argument_lists_the_namespace(shell, ns):
    ns["ns_model"] = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.BatchNormalization()])
    ns["ns_layer"] = keras.layers.Dense(2)
    ns["ns_tfvar"] = tf.Variable(np.zeros(3, "float32"))
    ns["ns_kvar"] = ns["ns_model"].layers[0].kernel
    ns["_ns_hidden"] = keras.layers.Dense(2)
    ns["ns_array"] = np.zeros(10)
    listing = weights(shell, "")
    rows = {row.name: row for row in listing.rows}
    assert {"ns_model", "ns_layer", "ns_tfvar", "ns_kvar"} <= set(rows)
    assert "_ns_hidden" not in rows and "ns_array" not in rows and "np" not in rows
    model = ns["ns_model"]
    row = rows["ns_model"]
    assert (row.cls, row.built) == ("Sequential", "built")
    assert (row.trainable_params, row.non_trainable_params) == (size_of(model.trainable_weights), size_of(model.non_trainable_weights))
    assert row.bytes == sum(a.nbytes for a in model.get_weights())
    assert (rows["ns_layer"].built, rows["ns_layer"].trainable_params) == ("not built", 0)
    assert rows["ns_kvar"].trainable_params == 12 and rows["ns_tfvar"].trainable_params == 3
    text, html = str(listing), listing._repr_html_()
    for name in ("ns_model", "ns_layer", "ns_tfvar"):
        assert name in text and name in html
    json.dumps(listing.to_dict())


# --- options --------------------------------------------------------------------------


def test_filter_trainable_and_non_trainable(shell, ns, nested):
    ns["nested"] = nested
    report = weights(shell, "nested --filter *kernel")
    assert [v.path for v in report.variables] == [w.path for w in nested.weights if fnmatch.fnmatchcase(w.path, "*kernel")]
    assert report.params == nested.count_params() and report.total_variables == len(nested.weights)
    assert any("showing" in n for n in report.notes)
    report = weights(shell, 'nested --filter "right_bn/*"')
    assert [v.path for v in report.variables] == [w.path for w in nested.get_layer("right").layers[-1].weights]
    report = weights(shell, "nested --trainable")
    assert [v.path for v in report.variables] == [w.path for w in nested.trainable_weights]
    report = weights(shell, "nested --non-trainable")
    assert sorted(v.path for v in report.variables) == sorted(w.path for w in nested.non_trainable_weights)
    report = weights(shell, "nested --filter *kernel --non-trainable")
    assert [v.path for v in report.variables] == [nested.get_layer("frozen_dense").kernel.path]


def test_values_prints_values_with_truncation(shell, ns):
    layer = ns["vals"] = keras.layers.Dense(300, name="vals_dense")
    layer.build((None, 2))
    layer.bias.assign(np.arange(300, dtype="float32"))
    layer.kernel.assign(np.full((2, 300), 0.25, "float32"))
    report = weights(shell, "vals --values --filter *bias")
    (bias,) = report.variables
    assert bias.values is not None and "..." in bias.values  # 300 entries: truncated like numpy
    assert bias.values.startswith("[  0.   1.   2.") and "299." in bias.values
    assert bias.stats is not None
    text = str(report)
    assert f"{bias.path} =" in text and "299." in text
    assert "<pre>" in report._repr_html_()
    assert weights(shell, "vals").variables[0].values is None


def test_bins_sets_the_histogram_resolution(shell, ns, mobilenet):
    ns["app"] = mobilenet
    report = weights(shell, "app --bins 7 --filter *depthwise*")
    expected = [w.path for w in mobilenet.weights if fnmatch.fnmatchcase(w.path, "*depthwise*")]
    assert report.bins == 7 and [v.path for v in report.variables] == expected and expected
    assert_stats_match_numpy(report, mobilenet, bins=7, paths=set(expected))


def test_no_stats_reads_no_value(shell, ns, nested, monkeypatch):
    ns["nested"] = nested

    def refuse(self):
        raise AssertionError(f"--no-stats read {self.path}")

    monkeypatch.setattr(VarRef, "read", refuse)
    report = weights(shell, "nested --no-stats")
    assert all(v.stats is None and v.histogram is None and v.values is None for v in report.variables)
    assert_counts_match_keras(report, nested)
    str(report), report._repr_html_(), json.dumps(report.to_dict())


def test_snapshot_and_diff_against_numpy(shell, ns):
    model = ns["snap_model"] = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="snap_d1"), keras.layers.Dense(2, name="snap_d2")], name="snap_model"
    )
    report = weights(shell, "snap_model --snapshot t_before")
    assert any("t_before" in n and "4 variables" in n and "B" in n for n in report.notes)
    old = model.get_weights()
    d1, d2 = model.layers
    d1.kernel.assign_add(np.eye(4, 3, dtype="float32"))  # 3 of 12 entries change
    d2.bias.assign([0.5, 0.0])  # 1 of 2
    optimizer = keras.optimizers.SGD(0.1)  # and an optimizer step on d2's kernel only
    optimizer.apply_gradients([(tf.ones((3, 2)), d2.kernel)])
    new = model.get_weights()
    report = weights(shell, "snap_model --diff t_before")
    assert report.diff_against == "t_before"
    for w, a, b in zip(model.weights, old, new):
        change = report.variable(w.path).change
        delta = b.astype(np.float64) - a
        assert math.isclose(change.l2, np.linalg.norm(delta), rel_tol=1e-6, abs_tol=1e-12), w.path
        assert math.isclose(change.max_abs, np.abs(delta).max(), rel_tol=1e-6, abs_tol=1e-12), w.path
        assert change.fraction_changed == np.count_nonzero(a != b) / a.size, w.path
        if np.linalg.norm(a):
            assert math.isclose(change.relative, np.linalg.norm(delta) / np.linalg.norm(a), rel_tol=1e-5)
    assert report.unchanged == (d1.bias.path,)
    assert report.variable("snap_d1/kernel").change.fraction_changed == 0.25
    text = str(report)
    assert "Changes since snapshot 't_before'" in text and f"unchanged: {d1.bias.path}" in text
    assert "t_before" in report._repr_html_() and "unchanged" in report._repr_html_()
    json.dumps(report.to_dict(), allow_nan=False)
    # a snapshot is a copy: later edits do not rewrite it
    d1.bias.assign_add(np.ones(3, "float32"))
    again = weights(shell, "snap_model --diff t_before")
    assert again.variable("snap_d1/bias").change.l2 == pytest.approx(math.sqrt(3))
    tf_weightmagic.SESSION.snapshots.drop("t_before")


# --- errors: one line, says what was expected, changes nothing ------------------------------


@pytest.fixture
def target(ns):
    model = ns["err_model"] = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="err_dense")], name="err_model")
    ns["err_conv"] = keras.layers.Conv2D(4, 3, name="err_conv")
    ns["not_a_layer"] = np.ones(3)
    before = weights_of(model)
    yield model
    assert_unchanged(model, before)
    assert not ns["err_conv"].built


def test_error_non_layer_target_names_its_type(shell, target):
    message = usage_error(shell, "not_a_layer")
    assert "numpy.ndarray" in message and "Keras Layer or Model" in message
    assert "builtins.int" in usage_error(shell, "41 + 1")
    assert "builtins.str" in usage_error(shell, "'err_model'")


def test_error_undefined_name(shell, target):
    message = usage_error(shell, "no_such_model")
    assert "no_such_model" in message and "not defined" in message


def test_error_unparsable_build_shape(shell, target):
    for shape in ("1,,28", "abc", '"(None, 28"', "1,-2,3", "1.5,2"):
        message = usage_error(shell, f"err_conv --build {shape}")
        assert "--build" in message and "expected a shape like 1,28,28,3" in message


def test_error_build_shape_that_does_not_fit(shell, target):
    message = usage_error(shell, "err_conv --build 1,28")
    assert "--build" in message and "err_conv" in message and "cannot be built" in message


def test_error_bins_not_positive(shell, target):
    for bins in ("0", "-3"):
        message = usage_error(shell, f"err_model --bins {bins}")
        assert f"--bins {bins}" in message and "positive" in message
    assert "--bins" in usage_error(shell, "err_model --bins many")


def test_error_unknown_snapshot(shell, target):
    message = usage_error(shell, "err_model --diff never_taken")
    assert "never_taken" in message and "no snapshot" in message and "--snapshot never_taken" in message


def test_error_unknown_option(shell, target):
    message = usage_error(shell, "err_model --frobnicate")
    assert "unknown option --frobnicate" in message and "--filter" in message


def test_error_conflicting_and_misplaced_options(shell, target):
    assert "exclude each other" in usage_error(shell, "err_model --trainable --non-trainable")
    assert "only layers are built" in usage_error(shell, "err_model.layers[0].kernel --build 1,3")
