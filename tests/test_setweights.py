"""``%setweights`` and ``tf_weightmagic.set_weights`` against Keras and numpy ground truth.

Every expected value here comes from Keras, numpy or tf.nn, never from our own output:
a Sobel kernel is checked by convolving, an initializer by numpy statistics, a freeze by
setting ``trainable`` by hand on a twin, a save by ``model.load_weights``.
"""

from __future__ import annotations

import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError

import tf_weightmagic
from tf_weightmagic import SESSION

from conftest import assert_unchanged, refused, sw, weights_of

SOBEL = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype="float32")


def dense(units: int = 3, inputs: int = 4, name: str | None = None, seed: int = 0) -> keras.layers.Dense:
    layer = keras.layers.Dense(units, name=name, kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
                               bias_initializer=keras.initializers.RandomUniform(seed=seed + 1))
    layer.build((None, inputs))
    return layer


def two_layer_model(name: str = "net", hidden: int = 3) -> keras.Model:
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(hidden, name="a"), keras.layers.Dense(2, name="b")], name=name
    )


def arrays(model) -> list:
    return [np.array(v.numpy()) for v in model.weights]


@pytest.fixture(autouse=True)
def clean_journal():
    """Each test starts with an empty journal at the default bound, and leaves none behind."""
    limit = SESSION.journal.limit_bytes
    SESSION.journal.entries.clear()
    yield SESSION.journal
    SESSION.journal.entries.clear()
    SESSION.journal.limit_bytes = limit


# --- seed scenarios -------------------------------------------------------------------------


def manual_valid_conv(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Cross-correlation, 'valid' padding, stride 1, as loops over the kernel window (NHWC, HWIO)."""
    kh, kw, _, cout = kernel.shape
    h, w = image.shape[1] - kh + 1, image.shape[2] - kw + 1
    out = np.zeros((image.shape[0], h, w, cout), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nhwc,co->nhwo", image[:, i:i + h, j:j + w, :], kernel[i, j])
    return out


def test_sobel_kernel_on_an_unbuilt_conv_with_build_then_the_layer_runs(shell, ns):
    conv = keras.layers.Conv2D(4, 3)
    ns["conv"] = conv
    ns["sobel"] = np.repeat(SOBEL[:, :, None, None], 4, axis=3)
    refused(shell, "conv kernel=sobel bias=0", "not built", "--build")
    refused(shell, "conv.kernel = sobel", "not built", "--build")
    assert not conv.built

    result = sw(shell, "conv --build 1,32,32,1 kernel=sobel bias=0")
    assert conv.built and conv.kernel.shape == (3, 3, 1, 4)
    np.testing.assert_array_equal(conv.kernel.numpy(), ns["sobel"])
    np.testing.assert_array_equal(conv.bias.numpy(), np.zeros(4, "float32"))
    assert [v.path for v in result.variables] == [conv.kernel.path, conv.bias.path]

    image = np.random.default_rng(0).normal(size=(1, 32, 32, 1)).astype("float32")
    out = conv(image).numpy()
    assert out.shape == (1, 30, 30, 4)
    np.testing.assert_allclose(out, tf.nn.conv2d(image, ns["sobel"], strides=1, padding="VALID").numpy(), atol=1e-5)
    np.testing.assert_allclose(out, manual_valid_conv(image, ns["sobel"]), atol=1e-4)
    # a vertical edge lights up the Sobel-x response, a flat image gives zero
    edge = np.zeros((1, 32, 32, 1), "float32")
    edge[:, :, 16:, :] = 1.0
    np.testing.assert_allclose(conv(edge).numpy()[0, 5, 14, :], 4.0)
    np.testing.assert_allclose(conv(np.ones((1, 32, 32, 1), "float32")).numpy(), 0.0)


def test_a_failed_set_after_build_says_the_layer_was_built(shell, ns):
    ns["conv"] = keras.layers.Conv2D(4, 3)
    refused(shell, "conv --build 1,32,32,1 kernel=np.zeros((3, 3, 2, 4))",
            "shape mismatch", "(3, 3, 1, 4)", "(3, 3, 2, 4)", "--build did build")


def test_a_random_normal_initializer_shows_in_the_stats(shell, ns):
    layer = dense(64, 32)
    ns["layer"] = layer
    result = sw(shell, "layer.kernel = keras.initializers.RandomNormal(0.1, 0.01, seed=7)")
    kernel = layer.kernel.numpy()
    np.testing.assert_array_equal(kernel, keras.initializers.RandomNormal(0.1, 0.01, seed=7)((32, 64)).numpy())
    assert abs(kernel.mean() - 0.1) < 1e-3 and abs(kernel.std() - 0.01) < 1e-3
    stats = next(v.stats for v in tf_weightmagic.report(layer).variables if v.path == layer.kernel.path)
    assert stats.mean == pytest.approx(float(kernel.mean()), rel=1e-5)
    assert stats.std == pytest.approx(float(kernel.std()), rel=1e-4)
    assert stats.min == pytest.approx(float(kernel.min())) and stats.max == pytest.approx(float(kernel.max()))
    after = result.variables[0].after
    assert after.mean == pytest.approx(float(kernel.mean()), rel=1e-5)
    assert after.std == pytest.approx(float(kernel.std()), rel=1e-4)
    # the same initializer, given to --init as an expression
    sw(shell, "layer.kernel *= 0")
    sw(shell, "layer --init keras.initializers.RandomNormal(0.1, 0.01, seed=7)")
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)


def test_vgg16_freeze_all_but_block5_matches_doing_it_by_hand(shell, ns):
    magic = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    hand = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    for layer in hand.layers:
        layer.trainable = layer.name.startswith("block5")
    ns["base"] = magic
    before = weights_of(magic)

    result = sw(shell, 'base --freeze "*" --unfreeze "block5*"')
    assert [w.path for w in magic.trainable_weights] == [w.path for w in hand.trainable_weights]
    assert [w.path for w in magic.non_trainable_weights] == [w.path for w in hand.non_trainable_weights]
    assert [(layer.name, layer.trainable) for layer in magic.layers if layer.weights] == \
        [(layer.name, layer.trainable) for layer in hand.layers if layer.weights]
    assert magic.trainable  # freezing "everything" means the layers, not the model
    count = sum(int(np.prod(w.shape)) for w in hand.trainable_weights)
    assert result.trainable_params == (sum(int(np.prod(w.shape)) for w in magic.weights), count)
    assert len(magic.trainable_weights) == 6 and all("block5" in w.path for w in magic.trainable_weights)

    sw(shell, "--undo")
    assert_unchanged(magic, before)
    assert len(magic.trainable_weights) == 26


# --- the forms of SPEC -----------------------------------------------------------------------


@pytest.mark.parametrize("op, fn", [("+=", np.add), ("-=", np.subtract), ("*=", np.multiply), ("/=", np.divide)])
def test_in_place_ops_match_numpy(shell, ns, op, fn):
    layer = dense()
    ns["layer"] = layer
    ns["factor"] = np.array([2.0, -0.5, 4.0], dtype="float32")
    kernel = layer.kernel.numpy().copy()
    sw(shell, f"layer.kernel {op} factor")
    np.testing.assert_array_equal(layer.kernel.numpy(), fn(kernel, ns["factor"]).astype("float32"))
    sw(shell, f"layer.kernel {op} 0.25")
    np.testing.assert_array_equal(layer.kernel.numpy(), fn(fn(kernel, ns["factor"]), np.float32(0.25)))


def test_every_kind_of_value(shell, ns):
    layer, other = dense(), dense(seed=5)
    ns.update(layer=layer, other=other, tf=tf)
    values = {
        "np.arange(12, dtype='float32').reshape(4, 3)": np.arange(12, dtype="float32").reshape(4, 3),
        "[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]": np.arange(1, 13, dtype="float32").reshape(4, 3),
        "0.5": np.full((4, 3), 0.5, "float32"),
        "-2": np.full((4, 3), -2, "float32"),
        "tf.ones((4, 3)) * 3": np.full((4, 3), 3, "float32"),
        "other.kernel": other.kernel.numpy(),
        "keras.initializers.Constant(0.125)": np.full((4, 3), 0.125, "float32"),
        "keras.initializers.GlorotUniform(seed=3)": keras.initializers.GlorotUniform(seed=3)((4, 3)).numpy(),
    }
    for expr, expected in values.items():
        sw(shell, f"layer.kernel = {expr}")
        np.testing.assert_array_equal(layer.kernel.numpy(), expected, err_msg=expr)
    # a whole layer from a scalar: every variable, broadcast
    sw(shell, "layer = 0.75")
    assert all(np.all(w.numpy() == 0.75) for w in layer.weights)


def test_several_variables_under_one_layer_and_options_anywhere(shell, ns):
    layer = dense()
    ns["layer"] = layer
    sw(shell, "--dry-run layer kernel=np.zeros((4, 3)) bias=np.full(3, 2.0)")
    assert np.any(layer.kernel.numpy() != 0)
    result = sw(shell, "layer kernel=np.ones((4, 3)) * 0.5 bias=[1, 2, 3] --allow-nonfinite")
    np.testing.assert_array_equal(layer.kernel.numpy(), np.full((4, 3), 0.5, "float32"))
    np.testing.assert_array_equal(layer.bias.numpy(), np.array([1, 2, 3], "float32"))
    assert len(result.variables) == 2
    # the same variable twice: the second sees the first
    sw(shell, "layer kernel = 1 kernel *= 3")
    np.testing.assert_array_equal(layer.kernel.numpy(), np.full((4, 3), 3.0, "float32"))
    # full form, two targets, and keyword arguments inside an expression
    sw(shell, "layer.kernel = np.full((4, 3), fill_value=2.0) layer.bias = np.full(3, fill_value=-1.0)")
    assert np.all(layer.kernel.numpy() == 2) and np.all(layer.bias.numpy() == -1)


def test_what_changed_matches_numpy(shell, ns):
    layer = dense()
    ns["layer"] = layer
    old = layer.kernel.numpy().copy()
    mask = np.zeros((4, 3), "float32")
    mask[0] = 1.0
    ns["mask"] = mask
    result = sw(shell, "layer.kernel += mask")
    new = layer.kernel.numpy()
    change = result.variables[0]
    assert change.path == layer.kernel.path
    assert change.before.mean == pytest.approx(float(old.mean()), rel=1e-5, abs=1e-7)
    assert change.after.mean == pytest.approx(float(new.mean()), rel=1e-5, abs=1e-7)
    assert change.before.std == pytest.approx(float(old.std()), rel=1e-5)
    assert (change.before.min, change.after.max) == pytest.approx((float(old.min()), float(new.max())))
    assert change.change.l2 == pytest.approx(float(np.linalg.norm(new - old)), rel=1e-5)
    assert change.change.fraction_changed == pytest.approx(3 / 12)
    text, html = str(result), result._repr_html_()
    assert layer.kernel.path in text and "→" in text and "25.0%" in text
    assert layer.kernel.path in html and "tf-weightmagic-edit" in html


def test_init_matches_what_keras_builds_for_lstm_and_depthwise_conv(shell, ns):
    # Keras 3 initializer instances give the same values on every call: --init restores the build's
    lstm, depthwise = keras.layers.LSTM(3), keras.layers.DepthwiseConv2D(3)
    lstm(np.zeros((1, 2, 4), "float32"))
    depthwise(np.zeros((1, 5, 5, 2), "float32"))
    built = [w.numpy().copy() for w in lstm.weights + depthwise.weights]
    assert built[2][3:6].tolist() == [1, 1, 1]  # unit_forget_bias: ones for the forget gate
    ns.update(lstm=lstm, depthwise=depthwise)
    sw(shell, "lstm = 0")
    sw(shell, "depthwise = 0")
    sw(shell, "lstm --init")
    sw(shell, "depthwise --init")
    for w, b in zip(lstm.weights + depthwise.weights, built):
        np.testing.assert_array_equal(w.numpy(), b, err_msg=w.path)


def test_init_with_the_layers_own_initializers_or_a_named_one(shell, ns):
    layer = dense(8, 6)
    ns["layer"] = layer
    sw(shell, "layer = 9")
    sw(shell, "layer --init")
    np.testing.assert_array_equal(layer.kernel.numpy(), layer.kernel_initializer((6, 8)).numpy())
    np.testing.assert_array_equal(layer.bias.numpy(), layer.bias_initializer((8,)).numpy())
    sw(shell, "layer --init he_normal --seed 3")
    np.testing.assert_array_equal(layer.kernel.numpy(), keras.initializers.HeNormal(seed=3)((6, 8)).numpy())
    np.testing.assert_array_equal(layer.bias.numpy(), keras.initializers.HeNormal(seed=3)((8,)).numpy())
    sw(shell, "layer --init zeros")
    assert all(not np.any(w.numpy()) for w in layer.weights)
    refused(shell, "layer --init not_an_initializer", "not a Keras initializer")
    refused(shell, "layer --seed 3", "--seed", "--init")


def test_trainable_true_and_false(shell, ns):
    model = two_layer_model()
    ns["model"] = model
    result = sw(shell, "model.get_layer('a') --trainable false")
    assert model.get_layer("a").trainable is False
    assert [w.path for w in model.trainable_weights] == ["net/b/kernel", "net/b/bias"]
    assert result.flags == (("net/a", True, False),)
    sw(shell, "model --trainable no")
    assert not model.trainable and model.trainable_weights == []
    sw(shell, "model --trainable true")
    assert model.trainable and len(model.trainable_weights) == 4
    refused(shell, "model --trainable maybe", "true or false")


def test_history_lists_the_edits(shell, ns):
    layer = dense()
    ns["layer"] = layer
    assert "no edits" in str(sw(shell, "--history"))
    sw(shell, "layer.bias = 1")
    sw(shell, "layer.kernel *= 2")
    text = str(sw(shell, "--history"))
    assert "2 edits" in text and "1. " in text and "2. " in text and "*= 2" in text


def test_freeze_and_unfreeze_errors_and_ambiguous_names(shell, ns):
    model = two_layer_model()
    ns["model"] = model
    before = weights_of(model)
    refused(shell, 'model --freeze "block9*"', "matches no layer", "a", "b")
    refused(shell, "model kernel=0", "matches several variables", "net/a/kernel", "net/b/kernel")
    refused(shell, "model.get_layer('a').kernel --trainable false", "trainable flags belong to layers")
    assert_unchanged(model, before)
    sw(shell, 'model --freeze "*" --unfreeze b')
    assert [w.path for w in model.trainable_weights] == ["net/b/kernel", "net/b/bias"]
    sw(shell, "model a/kernel=0 b/bias=1")
    assert not np.any(model.get_layer("a").kernel.numpy()) and np.all(model.get_layer("b").bias.numpy() == 1)


def test_braces_and_dollars_reach_python_unexpanded(shell, ns):
    layer = dense()
    ns.update(layer=layer, x=5.0)
    sw(shell, "layer.bias = {'two': 2.0}['two']")
    assert np.all(layer.bias.numpy() == 2)
    refused(shell, "layer.bias = {x}", "object values")  # a set literal {5.0}: IPython did not substitute x
    sw(shell, "layer.bias = [x] * 3;")
    assert np.all(layer.bias.numpy() == 5)
    refused(shell, "layer.bias = $x", "not a Python expression")


def test_python_api_forms():
    model = two_layer_model()
    a = model.get_layer("a")
    kernel = a.kernel.numpy().copy()
    tf_weightmagic.set_weights(a.kernel, 2, op="*=")
    np.testing.assert_array_equal(a.kernel.numpy(), kernel * 2)
    tf_weightmagic.set_weights(values=[(a.kernel, "=", 0.0), (a.bias, "+=", 1.0)])
    assert not np.any(a.kernel.numpy()) and np.all(a.bias.numpy() == 1)
    result = tf_weightmagic.set_weights(model, freeze="*", unfreeze="a")
    assert [w.path for w in model.trainable_weights] == ["net/a/kernel", "net/a/bias"]
    assert result.trainable_params == (23, 15)
    assert "3 edits" in str(tf_weightmagic.history())
    tf_weightmagic.undo(3)
    np.testing.assert_array_equal(a.kernel.numpy(), kernel)
    assert len(model.trainable_weights) == 4
    with pytest.raises(tf_weightmagic.WeightMagicError, match="operator"):
        tf_weightmagic.set_weights(a.kernel, 2, op="**=")


# --- all or nothing ------------------------------------------------------------------------------


@pytest.mark.parametrize("line, fragments", [
    ("layer kernel=np.ones((4, 3)) bias=np.ones(5)", ["shape mismatch", "(3,)", "(5,)"]),
    ("layer kernel=np.ones((4, 3)) bias=float('nan')", ["NaN/Inf", "--allow-nonfinite"]),
    ("layer kernel=np.ones((4, 3)) bias='abc'", ["string"]),
    ("layer kernel=np.ones((4, 3)) bais=1", ["no variable 'bais'", "candidates", "bias"]),
    ("layer bias=1 kernel=np.ones((2, 2))", ["shape mismatch", "(4, 3)", "(2, 2)"]),
    ("layer.bias = 1 layer.kernel = 1j", ["complex"]),
    ("layer.bias = 1 layer.kernel = undefined_thing", ["undefined_thing"]),
    ("layer kernel=1 --trainable false", ["cannot be combined"]),
])
def test_one_bad_item_changes_nothing(shell, ns, line, fragments):
    layer = dense()
    ns["layer"] = layer
    before = weights_of(layer)
    refused(shell, line, *fragments)
    assert_unchanged(layer, before)
    assert SESSION.journal.entries == []


def test_the_api_is_all_or_nothing_too():
    layer = dense()
    before = weights_of(layer)
    with pytest.raises(tf_weightmagic.WeightMagicError, match="shape mismatch"):
        tf_weightmagic.set_weights(layer, {"kernel": np.zeros((4, 3)), "bias": np.zeros(4)})
    assert_unchanged(layer, before)
    result = tf_weightmagic.set_weights(layer, {"kernel": np.zeros((4, 3)), "bias": 1.0})
    assert not np.any(layer.kernel.numpy()) and np.all(layer.bias.numpy() == 1)
    assert len(result.variables) == 2
    tf_weightmagic.undo()
    assert_unchanged(layer, before)


def test_undo_3_after_three_edits_restores_every_byte_and_flag(shell, ns):
    model = two_layer_model()
    ns["model"] = model
    before = weights_of(model)
    sw(shell, "model.get_layer('a').kernel *= 3")
    sw(shell, "model.get_layer('b') --trainable false")
    sw(shell, "model.get_layer('b') kernel=np.random.default_rng(1).normal(size=(3, 2)) bias=7")
    assert not model.get_layer("b").trainable and np.all(model.get_layer("b").bias.numpy() == 7)
    result = sw(shell, "--undo 3")
    assert "undo 3" in result.label
    values, flags, layer_flags = weights_of(model)
    assert flags == before[1] and layer_flags == before[2]
    for now, then in zip(values, before[0]):
        assert now.dtype == then.dtype and now.tobytes() == then.tobytes()
    assert [w.path for w in model.trainable_weights] == ["net/a/kernel", "net/a/bias", "net/b/kernel", "net/b/bias"]
    refused(shell, "--undo", "only 0 edits")
    refused(shell, "--undo 0", "positive number")


def test_undo_of_a_part_and_a_dry_undo(shell, ns):
    layer = dense()
    ns["layer"] = layer
    sw(shell, "layer.bias = 1")
    after_first = weights_of(layer)
    sw(shell, "layer.bias = 2")
    sw(shell, "layer.kernel = 3")
    text = str(sw(shell, "--undo 2 --dry-run"))
    assert "dry run" in text and f"{layer.kernel.path} = 3; {layer.bias.path} = 2" in text
    assert np.all(layer.kernel.numpy() == 3) and len(SESSION.journal.entries) == 3
    sw(shell, "--undo 2")
    assert_unchanged(layer, after_first)


@pytest.mark.parametrize("line", [
    "layer.kernel = 0", "layer kernel=1 bias=2", "layer.bias *= 10", "layer --init zeros",
    "layer --trainable false", "layer --load {npz}",
])
def test_dry_run_changes_nothing(shell, ns, tmp_path, line):
    layer = dense()
    ns["layer"] = layer
    npz = tmp_path / "w.npz"
    np.savez(npz, **{w.path: np.full(w.shape, 4.0, "float32") for w in layer.weights})
    before = weights_of(layer)
    result = sw(shell, "--dry-run " + line.format(npz=npz))
    assert result.dry_run and any("dry run" in n for n in result.notes)
    assert_unchanged(layer, before)
    assert SESSION.journal.entries == []
    if result.variables:  # it still says what would change
        assert any(not v.change.unchanged for v in result.variables)


def test_dry_run_save_writes_nothing(shell, ns, tmp_path):
    ns["model"] = two_layer_model()
    path = tmp_path / "m.weights.h5"
    assert "dry run" in str(sw(shell, f"model --save {path} --dry-run"))
    assert not path.exists()


# --- values and casting ---------------------------------------------------------------------------


def test_casting_rules(shell, ns):
    layer = dense()
    ints = keras.Variable(np.arange(6, dtype="int32").reshape(2, 3), dtype="int32", name="counts")
    small = keras.Variable(np.zeros(3, dtype="uint8"), dtype="uint8", name="small")
    ns.update(layer=layer, ints=ints, small=small)
    data = np.random.default_rng(0).normal(size=(4, 3))  # float64
    ns["data"] = data
    sw(shell, "layer.kernel = data")
    assert layer.kernel.dtype == "float32"
    np.testing.assert_array_equal(layer.kernel.numpy(), data.astype("float32"))
    sw(shell, "ints = [[1.0, 2.0, 3.0], [4.0, 5.0, -6.0]]")
    np.testing.assert_array_equal(ints.numpy(), np.array([[1, 2, 3], [4, 5, -6]], "int32"))
    before = ints.numpy().copy()
    refused(shell, "ints = 0.5", "fractions", "int32")
    refused(shell, "ints = 2 ** 40", "out of range", "int32")
    refused(shell, "ints = np.full((2, 3), 2 ** 31, dtype='int64')", "out of range")
    refused(shell, "ints = float('nan')", "int32")
    refused(shell, "ints = 1 + 2j", "complex")
    refused(shell, "ints = 'seven'", "string")
    refused(shell, "ints /= 4", "fractions")
    refused(shell, "small = -1", "out of range", "uint8")
    refused(shell, "small = 256", "out of range", "uint8")
    np.testing.assert_array_equal(ints.numpy(), before)
    sw(shell, "ints *= 2")
    np.testing.assert_array_equal(ints.numpy(), before * 2)
    sw(shell, "small = 255")
    assert small.numpy().tolist() == [255, 255, 255]
    refused(shell, "layer.kernel = 1e40", "out of range for float32")
    refused(shell, "layer.kernel = 1e40 --allow-nonfinite", "out of range for float32")
    refused(shell, "layer.kernel = np.ones((4, 3)) * 1j", "complex")
    refused(shell, "layer.kernel = np.array([['a'] * 3] * 4)", "expected numbers")
    refused(shell, "layer.kernel = [[1, 2], [3]]", "kernel", "cannot read list as an array")


def test_nonfinite_values_are_refused_unless_allowed(shell, ns):
    layer = dense()
    ns["layer"] = layer
    before = weights_of(layer)
    refused(shell, "layer.bias = [0, np.inf, 1]", "1 NaN/Inf", "--allow-nonfinite")
    refused(shell, "layer.bias /= 0", "NaN/Inf")
    assert_unchanged(layer, before)
    sw(shell, "layer.bias = [0, np.nan, 1] --allow-nonfinite")
    assert np.isnan(layer.bias.numpy()[1])


# --- save and load ------------------------------------------------------------------------------


def test_weights_h5_written_by_us_loads_with_keras_and_the_other_way(shell, ns, tmp_path):
    ours, theirs = two_layer_model("m"), two_layer_model("m")
    ns.update(ours=ours, theirs=theirs)
    sw(shell, "ours.get_layer('a') kernel=np.random.default_rng(2).normal(size=(4, 3)) bias=0.5")
    path = tmp_path / "ours.weights.h5"
    assert "saved 4 variables" in str(sw(shell, f"ours --save {path}"))
    theirs.load_weights(path)
    for a, b in zip(arrays(ours), arrays(theirs)):
        np.testing.assert_array_equal(a, b)

    keras_file = tmp_path / "keras.weights.h5"
    source = two_layer_model("m")
    source.get_layer("b").kernel.assign(np.full((3, 2), 0.25, "float32"))
    source.save_weights(keras_file)
    before = weights_of(ours)
    sw(shell, f'ours --load "{keras_file}"')
    for a, b in zip(arrays(ours), arrays(source)):
        np.testing.assert_array_equal(a, b)
    sw(shell, "--undo")
    assert_unchanged(ours, before)


def test_npz_round_trip_keyed_by_variable_path(shell, ns, tmp_path):
    model = two_layer_model("m")
    ns["model"] = model
    path = tmp_path / "m.npz"
    sw(shell, f"model --save {path}")
    saved = arrays(model)
    with np.load(path) as data:
        assert sorted(data.files) == sorted(w.path for w in model.weights)
        for w in model.weights:
            np.testing.assert_array_equal(data[w.path], w.numpy())
    sw(shell, "model = 0")
    sw(shell, f"model --load {path}")
    for a, b in zip(arrays(model), saved):
        np.testing.assert_array_equal(a, b)


def test_npz_loads_into_the_same_model_made_again_with_new_names(shell, ns, tmp_path):
    # re-running the cell that makes a model gives it, and its layers, new automatic names
    def make():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])

    first, again = make(), make()
    assert [w.path for w in first.weights] != [w.path for w in again.weights]
    ns.update(first=first, again=again)
    path = tmp_path / "first.npz"
    sw(shell, f"first --save {path}")
    result = sw(shell, f"again --load {path}")
    for a, b in zip(again.weights, first.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert any("loaded by position" in n for n in result.notes)


@pytest.mark.parametrize("suffix", [".weights.h5", ".npz"])
def test_a_mismatched_file_names_the_variables_and_loads_nothing(shell, ns, tmp_path, suffix):
    source, wider = two_layer_model("m", hidden=3), two_layer_model("m", hidden=5)
    ns.update(source=source, wider=wider)
    path = tmp_path / f"m{suffix}"
    sw(shell, f"source --save {path}")
    before = weights_of(wider)
    message = refused(shell, f"wider --load {path}", "does not match", "m/a/kernel", "m/b/kernel",
                      "Nothing was loaded", "--skip-mismatch")
    assert "(4, 5)" in message
    assert_unchanged(wider, before)
    assert SESSION.journal.entries == []

    # one extra layer: the others load with --skip-mismatch, the extra one keeps its values
    longer = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="a"), keras.layers.Dense(2, name="b"),
                               keras.layers.Dense(2, name="c")], name="m")
    ns["longer"] = longer
    kept = longer.get_layer("c").kernel.numpy().copy()
    refused(shell, f"longer --load {path}", "m/c/kernel", "Nothing was loaded")
    result = sw(shell, f"longer --load {path} --skip-mismatch")
    for name in ("a", "b"):
        for w, v in zip(longer.get_layer(name).weights, source.get_layer(name).weights):
            np.testing.assert_array_equal(w.numpy(), v.numpy())
    np.testing.assert_array_equal(longer.get_layer("c").kernel.numpy(), kept)
    assert any("m/c/kernel" in n for n in result.notes)


def test_load_and_save_errors(shell, ns, tmp_path):
    layer = dense()
    ns["layer"] = layer
    refused(shell, f"layer --load {tmp_path / 'missing.npz'}", "no such file")
    refused(shell, f"layer --save {tmp_path / 'x.txt'}", "unknown file type")
    refused(shell, f"layer --save {tmp_path / 'x.weights.h5'}", "not one", ".npz")


# --- compiled models ------------------------------------------------------------------------------


def _fit_once(model, rng_seed: int = 0) -> None:
    rng = np.random.default_rng(rng_seed)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)


def _compiled(name: str) -> keras.Model:
    model = two_layer_model(name)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def test_compiled_note_matches_what_fit_does(shell, ns):
    """The note's claims, checked against fit on Keras 3 / TF 2.x."""
    fresh = _compiled("fresh")
    ns["fresh"] = fresh
    result = sw(shell, "fresh.get_layer('a') --trainable false")
    assert any("fresh" in n and "next fit()" in n for n in result.notes), result.notes
    frozen = fresh.get_layer("a").kernel.numpy().copy()
    _fit_once(fresh)
    np.testing.assert_array_equal(fresh.get_layer("a").kernel.numpy(), frozen)  # it did take effect

    trained = _compiled("trained")
    ns["trained"] = trained
    _fit_once(trained)
    result = sw(shell, "trained --freeze a")
    assert any("compile(" in n and "again" in n for n in result.notes), result.notes
    frozen = trained.get_layer("a").kernel.numpy().copy()
    _fit_once(trained, 1)
    assert not np.array_equal(trained.get_layer("a").kernel.numpy(), frozen)  # fit did not see the freeze
    trained.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    assert any("next fit()" in n for n in sw(shell, "trained --freeze a").notes)
    frozen = trained.get_layer("a").kernel.numpy().copy()
    _fit_once(trained, 2)
    np.testing.assert_array_equal(trained.get_layer("a").kernel.numpy(), frozen)  # after compile it does


def test_compiled_note_for_a_base_inside_a_compiled_model(shell, ns):
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="inner")], name="base")
    model = keras.Sequential([base, keras.layers.Dense(2, name="head")], name="whole")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    _fit_once(model)
    ns.update(base=base, model=model)
    result = sw(shell, "base --trainable false")
    assert any("whole" in n and "compile(" in n for n in result.notes), result.notes
    assert not sw(shell, "base.get_layer('inner').kernel = 0").notes  # values are not flags


# --- the journal's memory bound ----------------------------------------------------------------


def test_journal_drops_the_oldest_entry_over_its_bound_and_says_so(shell, ns, clean_journal):
    layer = dense(4, 4)  # kernel: 16 float32 = 64 bytes
    ns["layer"] = layer
    assert 0 < clean_journal.limit_bytes < os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    clean_journal.limit_bytes = 150
    sw(shell, "layer.kernel = 1")
    after_first = weights_of(layer)
    sw(shell, "layer.kernel = 2")
    result = sw(shell, "layer.kernel = 3")
    dropped = [n for n in result.notes if "dropped the oldest entry" in n]
    assert dropped and f"'{layer.kernel.path} = 1'" in dropped[0] and "no longer be undone" in dropped[0]
    assert [e.label for e in clean_journal.entries] == [f"{layer.kernel.path} = 2", f"{layer.kernel.path} = 3"]
    assert "150 B" in str(sw(shell, "--history"))
    refused(shell, "--undo 3", "only 2 edits")
    sw(shell, "--undo 2")
    assert_unchanged(layer, after_first)

    clean_journal.limit_bytes = 10
    result = sw(shell, "layer.kernel = 4")
    assert any("over the journal bound" in n for n in result.notes)
    sw(shell, "--undo")
    assert_unchanged(layer, after_first)


# --- property: bad input never changes anything --------------------------------------------------

KERNEL, BIAS = (3, 2), (2,)
GOOD_VALUES = [
    "np.full((3, 2), 0.5)", "np.ones(2)", "[[1, 2], [3, 4], [5, 6]]", "[1.5, -2]", "0.25", "-3", "True", "0",
    "keras.initializers.Constant(0.5)", "keras.initializers.RandomNormal(0.1, 0.01, seed=1)",
    "keras.ops.ones((3, 2))", "np.array([2.0, 0.5], dtype='float64')", "np.zeros((1, 2))",
]
BAD_VALUES = [
    "float('nan')", "np.inf", "np.zeros((4, 4))", "np.arange(3)", "'abc'", "1j", "np.ones(2) * 1j",
    "undefined_name", "[[1, 2], [3]]", "np.zeros((3, 2)) + float('nan')", "np.float64(1e40)", "np.array(['a', 'b'])",
]
NAMES = ["kernel", "bias", "kernel", "bias", "kernal", "gamma"]
OPS = {"=": None, "+=": np.add, "-=": np.subtract, "*=": np.multiply, "/=": np.divide}
BROKEN = [
    "hd.kernel = [1, 2", "hd.kernel = (", "hd kernel='abc", "hd.kernel =", "hd kernel=", "= 3",
    "hd.kernel = 1 )", "hd --init --seed", "hd --trainable", "--undo x", "hd kernel=1 bias=]",
    "hd.kernel = np.ones((3, 2)", 'hd --freeze "*', "hd --seed", "hd --steps", "hd kernel==1",
]
FAIL = object()


def _expected_value(ns: dict, text: str, op: str, current: np.ndarray, allow: bool):
    """What the variable holds after ``var op text`` by SPEC's rules, computed with numpy; FAIL if refused."""
    try:
        value = eval(text, ns)  # noqa: S307 - the test's own fixed expressions
    except Exception:
        return FAIL
    if isinstance(value, keras.initializers.Initializer):
        array = np.asarray(value(current.shape, dtype="float32"))
    elif isinstance(value, (str, bytes)):
        return FAIL
    else:
        try:
            array = np.asarray(value)
        except ValueError:
            return FAIL
        if array.dtype.kind not in "biuf":
            return FAIL
    if op == "=":
        if array.shape != current.shape and array.size != 1:
            return FAIL
        new = np.broadcast_to(array.reshape(()) if array.size == 1 else array, current.shape)
    else:
        try:
            if np.broadcast_shapes(array.shape, current.shape) != current.shape:
                return FAIL
        except ValueError:
            return FAIL
        with np.errstate(all="ignore"):
            new = OPS[op](current, array)
    with np.errstate(all="ignore"):
        cast = np.asarray(new).astype("float32")
    if np.any(np.isfinite(new) & ~np.isfinite(cast)):  # too large for float32: refused, even with --allow-nonfinite
        return FAIL
    new = cast
    if not allow and not np.all(np.isfinite(new)):
        return FAIL
    return new


@st.composite
def magic_lines(draw):
    """``(line, expected)``: expected is {"kernel": array, ...}, {"trainable": bool}, FAIL, or None (unknown)."""
    form = draw(st.sampled_from(["full", "full", "layer", "layer", "trainable", "init", "broken"]))
    options = draw(st.lists(st.sampled_from(["--dry-run", "--allow-nonfinite"]), max_size=2, unique=True))
    if draw(st.integers(0, 7)) == 0:
        options.append(draw(st.sampled_from(["--bogus", "--frobnicate=1", "--Dry-run"])))
    values = st.one_of(st.sampled_from(GOOD_VALUES), st.sampled_from(GOOD_VALUES), st.sampled_from(BAD_VALUES))
    if form == "broken":
        return draw(st.sampled_from(BROKEN)), FAIL, options
    if form == "full":
        items = [(draw(st.sampled_from(["kernel", "bias", "kernel", "bias", "kernal"])), draw(st.sampled_from(list(OPS))),
                  draw(values))]
        body = " ".join(f"hd.{name} {op} {value}" for name, op, value in items)
    elif form == "layer":
        items = draw(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(list(OPS)), values),
                              min_size=1, max_size=3))
        space = draw(st.sampled_from(["", " "]))
        body = "hd " + " ".join(f"{name}{space}{op}{space}{value}" for name, op, value in items)
    elif form == "trainable":
        word = draw(st.sampled_from(["true", "false", "no", "1", "maybe"]))
        return f"hd --trainable {word}", {"trainable": word}, options
    else:
        init = draw(st.sampled_from(["", "zeros", "ones", "not_an_initializer", "he_normal --seed 3"]))
        return f"hd --init {init}".strip(), {"init": init}, options
    truncate = draw(st.integers(0, 4)) == 0 and draw(st.integers(3, 100))
    if truncate and truncate < len(body):
        return body[:truncate], None, options
    return body, {"items": items}, options


def _oracle(hd, ns: dict, expected, options: list):
    """The values and flags the line must leave, or FAIL."""
    if expected is FAIL or any(o in ("--bogus", "--frobnicate=1", "--Dry-run") for o in options):
        return FAIL
    allow = "--allow-nonfinite" in options
    values = {"kernel": hd.kernel.numpy(), "bias": hd.bias.numpy()}
    if "trainable" in expected:
        word = expected["trainable"]
        return FAIL if word == "maybe" else {"trainable": word in ("true", "1")}
    if "init" in expected:
        init = expected["init"]
        if init == "not_an_initializer":
            return FAIL
        if init == "":
            return {"kernel": hd.kernel_initializer(KERNEL).numpy(), "bias": hd.bias_initializer(BIAS).numpy()}
        if init == "he_normal --seed 3":
            make = keras.initializers.HeNormal(seed=3)
            return {"kernel": make(KERNEL).numpy(), "bias": make(BIAS).numpy()}
        return {k: np.full(v.shape, 0.0 if init == "zeros" else 1.0, "float32") for k, v in values.items()}
    for name, op, text in expected["items"]:
        if name not in values:
            return FAIL
        new = _expected_value(ns, text, op, values[name], allow)
        if new is FAIL:
            return FAIL
        values[name] = new
    return values


@pytest.fixture(scope="module")
def hd(shell):
    layer = keras.layers.Dense(2, name="hd", bias_initializer="ones")
    layer.build((None, 3))
    shell.user_ns["hd"] = layer
    yield layer
    shell.user_ns.pop("hd", None)


def _items(*items: tuple) -> dict:
    return {"items": list(items)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=magic_lines(), at_start=st.booleans())
@example(case=("hd.kernel = float('nan')", _items(("kernel", "=", "float('nan')")), ["--allow-nonfinite"]), at_start=True)
@example(case=("hd.bias *= np.float64(1e40)", _items(("bias", "*=", "np.float64(1e40)")), ["--allow-nonfinite"]),
         at_start=False)
@example(case=("hd kernel=np.full((3, 2), 0.5) bias=np.zeros((4, 4))",
               _items(("kernel", "=", "np.full((3, 2), 0.5)"), ("bias", "=", "np.zeros((4, 4))")), []), at_start=False)
@example(case=("hd kernel=keras.initializers.Constant(0.5) bias-=[1.5, -2]",
               _items(("kernel", "=", "keras.initializers.Constant(0.5)"), ("bias", "-=", "[1.5, -2]")), []),
         at_start=False)
@example(case=("hd.kernel = [1, 2", FAIL, ["--dry-run"]), at_start=False)
@example(case=("hd --trainable false", {"trainable": "false"}, []), at_start=False)
def test_property_each_line_succeeds_as_specified_or_changes_nothing(shell, hd, case, at_start):
    body, expected, options = case
    line = " ".join(options + [body]) if at_start else " ".join([body] + options)
    SESSION.journal.entries.clear()
    before = weights_of(hd)
    want = None if expected is None else _oracle(hd, shell.user_ns, expected, options)
    try:
        result = sw(shell, line)
    except UsageError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message, (line, message)
        assert want is None or want is FAIL, f"{line!r} was refused: {message}"
        assert_unchanged(hd, before)
        assert SESSION.journal.entries == []
        return
    assert want is not FAIL, f"{line!r} should have been refused"
    if "--dry-run" in options:
        assert_unchanged(hd, before)
        assert SESSION.journal.entries == []
        return
    if want is not None and "trainable" in want:
        assert hd.trainable is want["trainable"] and hd.kernel.trainable is want["trainable"]
    elif want is not None:
        for name, array in want.items():
            np.testing.assert_allclose(getattr(hd, name).numpy(), array, rtol=1e-6, atol=0, equal_nan=True,
                                       err_msg=line)
    assert len(SESSION.journal.entries) == 1 and result is not None
    sw(shell, "--undo")
    assert_unchanged(hd, before)


def test_messages_are_single_lines_for_unknown_options_and_names(shell, ns):
    def boom():
        raise ValueError("first line\nsecond line")

    ns.update(layer=dense(), boom=boom)
    refused(shell, "layer.kernel = boom()", "ValueError: first line second line")
    refused(shell, "boom() --trainable false", "first line second line")
    message = refused(shell, "layer.kernel = 0 --frobnicate", "unknown option --frobnicate")
    assert re.search(r"--dry-run", message)
    refused(shell, "nothing_here.kernel = 0", "nothing_here")
    refused(shell, "", "nothing to do")


def test_a_scalar_variable_round_trips_through_weights_h5(tmp_path):
    """A 0-d variable (a custom layer's counter) keeps its shape () through assign and load."""

    class Counter(keras.layers.Layer):
        def build(self, input_shape):
            self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

        def call(self, x):
            self.calls.assign_add(1.0)
            return x

    model = keras.Sequential([keras.Input((3,)), Counter(name="counter")], name="counted")
    model(np.ones((1, 3), "float32"))
    path = str(tmp_path / "counted.weights.h5")
    tf_weightmagic.set_weights(model, save=path)
    tf_weightmagic.set_weights(model.get_layer("counter").calls, 7.0)
    assert float(model.get_layer("counter").calls.numpy()) == 7.0
    tf_weightmagic.set_weights(model, load=path)
    assert model.get_layer("counter").calls.shape == () and float(model.get_layer("counter").calls.numpy()) == 1.0


def test_undo_of_a_flag_change_shows_the_flags_and_the_compiled_models_note(shell, ns):
    model = two_layer_model("m")
    model.compile("sgd", "mse")
    model.fit(np.zeros((4, 4), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    ns["model"] = model
    layer = model.get_layer("a")
    # the Python API, outside the magic, finds the compiled model in the notebook itself
    result = tf_weightmagic.set_weights(layer, trainable=False)
    assert any("compile" in n for n in result.notes), result.notes
    undone = sw(shell, "--undo")
    assert layer.trainable
    assert [(b, a) for _, b, a in undone.flags] == [(False, True)]
    assert any("compile" in n for n in undone.notes), undone.notes
    assert "trainable m/a: no → yes" in str(undone)


def test_a_dry_run_never_builds(shell, ns):
    conv = keras.layers.Conv2D(2, 3)
    ns["conv"] = conv
    refused(shell, "conv --build 1,8,8,1 kernel=0 --dry-run", "--dry-run", "not built", "cannot be undone")
    assert not conv.built and conv.weights == []


def test_one_value_for_a_layer_of_the_wrong_shape_lists_each_variables_shape(shell, ns):
    ns["layer"] = dense(3, 4)
    refused(shell, "layer = np.zeros((2, 2))", "expected (4, 3)", "kernel (4, 3)", "bias (3,)")


def test_a_bool_variable_takes_only_zero_and_one(shell, ns):
    class Flags(keras.layers.Layer):
        def build(self, shape):
            self.on = self.add_weight(shape=(2,), dtype="bool", initializer="zeros", trainable=False, name="on")

        def call(self, x):
            return x

    layer = Flags()
    layer(np.zeros((1, 2), "float32"))
    ns["flags"] = layer
    refused(shell, "flags.on = [2, 0]", "bool", "0/1")
    sw(shell, "flags.on = [1, 0]")
    assert layer.on.numpy().tolist() == [True, False]
