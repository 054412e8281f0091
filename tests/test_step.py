"""``%setweights MODEL --step`` and ``tf_weightmagic.step`` against hand-written GradientTape steps.

The ground truth of every test is a twin model (same architecture, same starting values)
stepped by hand: ``tf.GradientTape``, then ``w - lr * grad`` or Adam's update in numpy,
or Keras's own ``train_on_batch``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_weightmagic
from tf_weightmagic import SESSION

from conftest import refused, sw

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 4)).astype("float32")
Y = RNG.normal(size=(8, 2)).astype("float32")


def state(model) -> list:
    """Every variable of the model (weights, BatchNorm statistics, seed states) as bytes."""
    return [(v.path, v.numpy().tobytes()) for v in model.variables]


def flags(model) -> list:
    return [v.trainable for v in model.variables] + [layer.trainable for layer in model._flatten_layers()]


def twin(model, build) -> keras.Model:
    """A second instance with the same values."""
    other = build()
    other.set_weights(model.get_weights())
    return other


def tape_gradients(model, x, y, loss_fn=keras.losses.mean_squared_error):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(loss_fn(y, model(x, training=True)))
    return float(loss), [g.numpy() for g in tape.gradient(loss, model.trainable_weights)]


def sgd_by_hand(model, x, y, lr, loss_fn=keras.losses.mean_squared_error):
    """One plain SGD step: ``w - lr * grad``; returns the loss before and the gradients."""
    loss, grads = tape_gradients(model, x, y, loss_fn)
    for w, g in zip(model.trainable_weights, grads):
        w.assign(w.numpy() - lr * g)
    return loss, grads


def assert_same_values(model, reference, rtol=1e-6, atol=1e-7):
    for a, b in zip(model.variables, reference.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol, atol=atol, err_msg=a.path)


@pytest.fixture(autouse=True)
def clean_journal():
    SESSION.journal.entries.clear()
    yield
    SESSION.journal.entries.clear()


@pytest.fixture
def batch(ns):
    ns.update(xb=X, yb=Y)
    return X, Y


# --- models of every kind ----------------------------------------------------------------------


def sequential():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="tanh", name="a"),
                             keras.layers.Dense(2, name="b")], name="seq")


def functional():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(5, activation="relu", name="a")(inputs)
    skip = keras.layers.Dense(5, name="skip")(inputs)
    outputs = keras.layers.Dense(2, name="b")(keras.layers.Add()([hidden, skip]))
    return keras.Model(inputs, outputs, name="func")


class Subclassed(keras.Model):
    def __init__(self, unused: bool = False, counter: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.a = keras.layers.Dense(5, activation="sigmoid", name="a")
        self.b = keras.layers.Dense(2, name="b")
        self.unused = keras.layers.Dense(3, name="unused") if unused else None
        self.counter = counter

    def build(self, shape):
        self.a.build(shape)
        self.b.build((shape[0], 5))
        if self.unused is not None:
            self.unused.build(shape)
        if self.counter:
            self.calls = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False, name="calls")

    def call(self, x):
        return self.b(self.a(x))


def subclassed():
    model = Subclassed(name="sub")
    model.build((None, 4))
    return model


def single_layer():
    layer = keras.layers.Dense(2, name="single")
    layer.build((None, 4))
    return layer


@pytest.mark.parametrize("build", [sequential, functional, subclassed, single_layer])
def test_one_sgd_step_equals_w_minus_lr_grad_and_undo_is_bit_exact(shell, ns, batch, build):
    model = build()
    reference = twin(model, build)
    ns["model"] = model
    before, before_flags = state(model), flags(model)

    result = sw(shell, "model --step --loss mse --optimizer sgd --lr 0.01 --x xb --y yb")
    loss, grads = sgd_by_hand(reference, X, Y, 0.01)
    assert_same_values(model, reference)
    summary = result.extra
    assert summary.loss_before == pytest.approx(loss, rel=1e-5)
    assert summary.loss_after < summary.loss_before
    norms = dict(summary.gradient_norms)
    for w, g in zip(model.trainable_weights, grads):
        assert norms[w.path] == pytest.approx(float(np.linalg.norm(g)), rel=1e-4)
    updates = {v.path: v.change.l2 for v in result.variables}
    for w, g in zip(model.trainable_weights, grads):
        assert updates[w.path] == pytest.approx(0.01 * float(np.linalg.norm(g)), rel=1e-3, abs=1e-9)
    text = str(result)
    assert "loss:" in text and "‖grad‖" in text and "‖update‖/‖w‖" in text

    undone = sw(shell, "--undo")
    assert "--step" in undone.label
    assert state(model) == before and flags(model) == before_flags


def test_an_unbuilt_layer_is_built_on_the_shape_of_x(batch):
    def build():
        return keras.layers.Dense(2, kernel_initializer=keras.initializers.GlorotUniform(seed=4),
                                  bias_initializer=keras.initializers.RandomNormal(seed=5))

    layer, reference = build(), build()
    result = tf_weightmagic.step(layer, x=X, y=Y, loss="mse", lr=0.1)
    assert layer.built and any("built" in n for n in result.notes)
    reference.build((None, 4))
    sgd_by_hand(reference, X, Y, 0.1)
    assert_same_values(layer, reference)


# --- frozen and unreachable variables --------------------------------------------------------


def test_a_frozen_layer_is_untouched_and_reported(shell, ns, batch):
    model = sequential()
    model.get_layer("a").trainable = False
    reference = twin(model, sequential)
    reference.get_layer("a").trainable = False
    ns["model"] = model
    frozen = [w.numpy().tobytes() for w in model.get_layer("a").weights]

    result = sw(shell, "model --step --loss mse --lr 0.05 --x xb --y yb")
    assert [w.numpy().tobytes() for w in model.get_layer("a").weights] == frozen
    sgd_by_hand(reference, X, Y, 0.05)
    assert_same_values(model, reference)
    why = dict(result.extra.no_gradient)
    assert set(why) == {"seq/a/kernel", "seq/a/bias"} and all("frozen" in w for w in why.values())
    assert "no gradient: seq/a/kernel (" in str(result)
    assert {v.path for v in result.variables} == {"seq/b/kernel", "seq/b/bias"}


def test_a_layer_off_the_loss_path_is_reported_and_nothing_changes(shell, ns, batch):
    model = Subclassed(unused=True, counter=True, name="sub")
    model.build((None, 4))
    ns["model"] = model
    before = state(model)
    message = refused(shell, "model --step --loss mse --x xb --y yb", "no gradient", "sub/unused/kernel",
                      "sub/unused/bias", "not on the loss path")
    assert "sub/a/kernel" not in message
    assert state(model) == before and SESSION.journal.entries == []

    model.unused.trainable = False
    result = sw(shell, "model --step --loss mse --x xb --y yb")
    why = dict(result.extra.no_gradient)
    assert "frozen" in why["sub/unused/kernel"] and why["sub/calls"] == "integer dtype"
    assert model.unused.kernel.numpy().tobytes() == dict(before)["sub/unused/kernel"]


def test_nothing_trainable_is_an_error(shell, ns, batch):
    model = sequential()
    model.trainable = False
    ns["model"] = model
    refused(shell, "model --step --loss mse --x xb --y yb", "no trainable variables")


# --- optimizers ----------------------------------------------------------------------------------


def adam_by_hand(model, x, y, lr, steps, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Adam as Keras documents it, in numpy, with gradients from a GradientTape each step."""
    m = [np.zeros(w.shape, "float32") for w in model.trainable_weights]
    v = [np.zeros(w.shape, "float32") for w in model.trainable_weights]
    for t in range(1, steps + 1):
        _, grads = tape_gradients(model, x, y)
        alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        for i, (w, g) in enumerate(zip(model.trainable_weights, grads)):
            m[i] = m[i] + (g - m[i]) * (1 - beta_1)
            v[i] = v[i] + (g * g - v[i]) * (1 - beta_2)
            w.assign(w.numpy() - alpha * m[i] / (np.sqrt(v[i]) + epsilon))


def test_adam_three_steps_equal_three_hand_written_adam_steps(shell, ns, batch, capsys):
    model = functional()
    reference = twin(model, functional)
    ns["model"] = model
    before = state(model)
    result = sw(shell, "model --step --loss mse --optimizer adam --lr 0.01 --steps 3 --x xb --y yb")
    adam_by_hand(reference, X, Y, 0.01, 3)
    assert_same_values(model, reference, rtol=1e-5, atol=1e-6)
    assert result.extra.steps == 3 and "Adam" in result.extra.optimizer
    assert "3/3" in capsys.readouterr().out  # the progress bar
    sw(shell, "--undo")
    assert state(model) == before


def test_batch_size_splits_the_batch_across_steps(shell, ns, batch):
    model = sequential()
    reference = twin(model, sequential)
    ns["model"] = model
    sw(shell, "model --step --loss mse --lr 0.1 --steps 2 --batch-size 4 --x xb --y yb")
    sgd_by_hand(reference, X[:4], Y[:4], 0.1)
    sgd_by_hand(reference, X[4:], Y[4:], 0.1)
    assert_same_values(model, reference)


def test_compiled_optimizer_and_undo_restores_its_iterations(shell, ns, batch):
    model = sequential()
    reference = twin(model, sequential)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    ns["model"] = model
    before = state(model)
    result = sw(shell, "model --step --optimizer compiled --x xb --y yb")  # the compiled loss, too
    assert int(model.optimizer.iterations.numpy()) == 1 and "compiled Adam" in result.extra.optimizer
    adam_by_hand(reference, X, Y, 0.01, 1)
    assert_same_values(model, reference, rtol=1e-5, atol=1e-6)
    moments = [v.numpy().copy() for v in model.optimizer.variables]
    sw(shell, "model --step --optimizer compiled --x xb --y yb")
    assert int(model.optimizer.iterations.numpy()) == 2
    sw(shell, "--undo")
    assert int(model.optimizer.iterations.numpy()) == 1
    for v, m in zip(model.optimizer.variables, moments):
        assert v.numpy().tobytes() == m.tobytes(), v.path
    sw(shell, "--undo")
    assert int(model.optimizer.iterations.numpy()) == 0
    assert all(not np.any(v.numpy()) for v in model.optimizer.variables if "iteration" not in v.path
               and "learning_rate" not in v.path)
    assert state(model) == before
    # a fresh optimizer leaves the compiled one alone
    sw(shell, "model --step --optimizer sgd --x xb --y yb")
    assert int(model.optimizer.iterations.numpy()) == 0


def test_compiled_optimizer_built_for_other_variables_is_refused(shell, ns, batch):
    model = sequential()
    model.get_layer("a").trainable = False
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    ns["model"] = model
    sw(shell, "model --step --optimizer compiled --x xb --y yb")  # builds it for b only
    model.get_layer("a").trainable = True
    before = state(model)
    refused(shell, "model --step --optimizer compiled --x xb --y yb", "another set of trainable variables",
            "Recompile")
    assert state(model) == before


def test_losses_by_name_object_and_callable(shell, ns, batch):
    def halved_mae(y_true, y_pred):
        return 0.5 * tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

    for loss_text, loss_fn in [("mae", keras.losses.mean_absolute_error),
                               ("keras.losses.MeanAbsoluteError()", keras.losses.mean_absolute_error),
                               ("halved_mae", halved_mae)]:
        model = sequential()
        reference = twin(model, sequential)
        ns.update(model=model, halved_mae=halved_mae)
        sw(shell, f"model --step --loss {loss_text} --lr 0.1 --x xb --y yb")
        sgd_by_hand(reference, X, Y, 0.1, loss_fn)
        assert_same_values(model, reference)
    refused(shell, "model --step --x xb --y yb", "no compiled loss", "--loss")
    refused(shell, "model --step --loss not_a_loss --x xb --y yb", "not a Keras loss")
    refused(shell, "model --step --loss mse --optimizer not_an_optimizer --x xb --y yb", "not a Keras optimizer")
    refused(shell, "model --step --loss mse --x xb", "--y")
    refused(shell, "model --step --loss mse --steps 0 --x xb --y yb", "positive number")
    refused(shell, "--step --loss mse --x xb --y yb", "needs a model")


def test_an_optimizer_instance(shell, ns, batch):
    model = sequential()
    reference = twin(model, sequential)
    ns["model"] = model
    result = sw(shell, "model --step --loss mse --optimizer keras.optimizers.SGD(0.05) --x xb --y yb")
    sgd_by_hand(reference, X, Y, 0.05)
    assert_same_values(model, reference)
    assert result.extra.optimizer == "SGD"


def test_regularization_losses_count_as_in_fit(shell, ns, batch):
    def build():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(
            3, kernel_regularizer=keras.regularizers.L2(0.5), name="a"), keras.layers.Dense(2, name="b")], name="reg")

    model = build()
    by_fit = twin(model, build)
    ns["model"] = model
    sw(shell, "model --step --loss mse --lr 0.1 --x xb --y yb")
    by_fit.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    by_fit.train_on_batch(X, Y)
    assert_same_values(model, by_fit, rtol=1e-5, atol=1e-6)


# --- BatchNorm, Dropout ----------------------------------------------------------------------------


def with_batchnorm():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, name="a"),
                             keras.layers.BatchNormalization(momentum=0.5, name="bn"),
                             keras.layers.Dense(2, name="b")], name="bnnet")


def test_batchnorm_statistics_move_as_in_fit_and_undo_restores_them(shell, ns, batch):
    model = with_batchnorm()
    by_hand, by_fit = twin(model, with_batchnorm), twin(model, with_batchnorm)
    ns["model"] = model
    before = state(model)
    sw(shell, "model --step --loss mse --optimizer sgd --lr 0.01 --x xb --y yb")
    bn = model.get_layer("bn")
    assert not np.array_equal(bn.moving_mean.numpy(), np.zeros(5))

    sgd_by_hand(by_hand, X, Y, 0.01)  # the tape's training=True call updates the statistics once
    assert_same_values(model, by_hand)
    by_fit.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    by_fit.train_on_batch(X, Y)
    assert_same_values(model, by_fit, rtol=1e-5, atol=1e-6)

    sw(shell, "--undo")
    assert state(model) == before


def test_a_dropout_model_steps_and_undo_restores_its_seed_state(shell, ns, batch):
    def build():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, name="a"),
                                 keras.layers.Dropout(0.5, seed=3, name="drop"), keras.layers.Dense(2, name="b")],
                                name="dropnet")

    model = build()
    ns["model"] = model
    before = state(model)
    first = sw(shell, "model --step --loss mse --lr 0.1 --x xb --y yb")
    assert np.isfinite(first.extra.loss_before) and np.isfinite(first.extra.loss_after)
    after_first = state(model)
    assert after_first != before
    sw(shell, "--undo")
    assert state(model) == before  # the dropout seed state too
    sw(shell, "model --step --loss mse --lr 0.1 --x xb --y yb")
    assert state(model) == after_first  # so the same step is taken again, the same mask
    # dropout is on in the step: a twin stepped by a tape without dropout ends elsewhere
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16), keras.layers.Dense(2)])
    plain.set_weights([np.frombuffer(b, dtype="float32").reshape(v.shape)
                       for (p, b), v in zip(before, model.variables) if "seed" not in p])
    sgd_by_hand(plain, X, Y, 0.1)
    assert not np.allclose(plain.layers[0].kernel.numpy(), model.get_layer("a").kernel.numpy())


# --- refused and dry-run steps ------------------------------------------------------------------------


def test_a_nan_gradient_is_refused_and_changes_nothing(shell, ns, batch):
    model = with_batchnorm()
    bad_y = Y.copy()
    bad_y[0, 0] = np.nan
    ns.update(model=model, bad_y=bad_y)
    before, before_flags = state(model), flags(model)
    refused(shell, "model --step --loss mse --x xb --y bad_y", "NaN/Inf in the gradient", "bnnet/b/kernel",
            "--allow-nonfinite")
    assert state(model) == before and flags(model) == before_flags  # BatchNorm statistics included
    assert SESSION.journal.entries == []
    sw(shell, "model --step --loss mse --x xb --y bad_y --allow-nonfinite")
    assert np.isnan(model.get_layer("b").kernel.numpy()).any()
    sw(shell, "--undo")
    assert state(model) == before


def test_a_batch_the_model_or_loss_cannot_take_is_refused(shell, ns, batch):
    model = with_batchnorm()
    ns.update(model=model, wide=np.ones((8, 5), "float32"), y3=np.ones((8, 3), "float32"))
    before = state(model)
    refused(shell, "model --step --loss mse --x wide --y yb", "cannot take this batch", "(8, 5)",
            "expected axis -1 of input shape to have value 4")
    refused(shell, "model --step --loss mse --x xb --y y3", "cannot take this batch", "(8, 3)")
    refused(shell, "model --step --loss mse --x xb --y yb --batch-size 0", "--batch-size 0")
    assert state(model) == before and SESSION.journal.entries == []


def test_dry_run_step_changes_nothing_and_says_what_would(shell, ns, batch):
    model = with_batchnorm()
    reference = twin(model, with_batchnorm)
    ns["model"] = model
    before = state(model)
    result = sw(shell, "--dry-run model --step --loss mse --lr 0.01 --x xb --y yb")
    assert result.dry_run and state(model) == before and SESSION.journal.entries == []
    _, grads = sgd_by_hand(reference, X, Y, 0.01)
    updates = {v.path: v.change.l2 for v in result.variables}
    for w, g in zip(model.trainable_weights, grads):
        assert updates[w.path] == pytest.approx(0.01 * float(np.linalg.norm(g)), rel=1e-3, abs=1e-9)


def test_python_api_step_and_undo(batch):
    model = sequential()
    reference = twin(model, sequential)
    before = state(model)
    result = tf_weightmagic.step(model, x=X, y=Y, loss="mse", lr=0.02)
    sgd_by_hand(reference, X, Y, 0.02)
    assert_same_values(model, reference)
    assert result.to_dict()["extra"]["steps"] == 1
    tf_weightmagic.undo()
    assert state(model) == before


# --- what the audit of issue 4 found -------------------------------------------------------------


def regularized():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="r", kernel_regularizer=keras.regularizers.L2(0.5))],
                            name="reg")


@pytest.mark.parametrize("loss", ["--loss mse", ""])
def test_loss_before_and_after_both_count_the_regularizers(shell, ns, batch, loss):
    model = regularized()
    model.compile(optimizer="sgd", loss="mse")
    ns["model"] = model
    data = keras.losses.mean_squared_error(Y, model(X, training=True)).numpy().mean()
    penalty = 0.5 * float(np.sum(model.get_layer("r").kernel.numpy() ** 2))
    result = sw(shell, f"model --step {loss} --lr 1e-9 --x xb --y yb").extra
    assert math.isclose(result.loss_before, data + penalty, rel_tol=1e-5)
    assert math.isclose(result.loss_after, result.loss_before, rel_tol=1e-5)


def test_a_compiled_loss_given_as_a_list_is_used(shell, ns, batch):
    model = sequential()
    reference = twin(model, sequential)
    model.compile(optimizer="sgd", loss=["mse"])
    ns["model"] = model
    sw(shell, "model --step --lr 0.05 --x xb --y yb")
    sgd_by_hand(reference, X, Y, 0.05)
    assert_same_values(model, reference)


def test_the_users_optimizer_is_journaled_and_a_dry_run_leaves_it_unbuilt(shell, ns, batch):
    model = sequential()
    ns.update(model=model, mine=keras.optimizers.Adam(0.01))
    mine = ns["mine"]
    sw(shell, "--dry-run model --step --loss mse --optimizer mine --x xb --y yb")
    assert not mine.built
    sw(shell, "model --step --loss mse --optimizer mine --x xb --y yb")
    assert int(mine.iterations.numpy()) == 1
    moments = [v.numpy().copy() for v in mine.variables]
    sw(shell, "model --step --loss mse --optimizer mine --x xb --y yb")
    assert int(mine.iterations.numpy()) == 2
    sw(shell, "--undo")
    assert int(mine.iterations.numpy()) == 1
    assert all(v.numpy().tobytes() == m.tobytes() for v, m in zip(mine.variables, moments))


def test_lr_with_an_optimizer_instance_is_said_to_be_ignored(shell, ns, batch):
    ns.update(model=sequential(), mine=keras.optimizers.SGD(0.5))
    result = sw(shell, "model --step --loss mse --optimizer mine --lr 0.001 --x xb --y yb")
    assert any("--lr 0.001 ignored" in note for note in result.notes)


def test_a_name_that_is_no_optimizer_is_refused(shell, ns, batch):
    ns.update(model=sequential(), notopt=np.zeros(3))
    refused(shell, "model --step --loss mse --optimizer notopt --x xb --y yb", "ndarray", "keras optimizer")


def two_inputs():
    a, b = keras.Input((4,), name="in_a"), keras.Input((3,), name="in_b")
    out = keras.layers.Dense(2, name="d")(keras.layers.Concatenate()([a, b]))
    return keras.Model([a, b], out, name="two")


def test_batch_size_splits_every_input_of_a_multi_input_model(shell, ns):
    model = two_inputs()
    reference = twin(model, two_inputs)
    x2 = RNG.normal(size=(8, 3)).astype("float32")
    ns.update(model=model, xs=[X, x2], yb=Y)
    sw(shell, "model --step --loss mse --lr 0.1 --steps 2 --batch-size 4 --x xs --y yb")
    sgd_by_hand(reference, [X[:4], x2[:4]], Y[:4], 0.1)
    sgd_by_hand(reference, [X[4:], x2[4:]], Y[4:], 0.1)
    assert_same_values(model, reference)


class Scaled(keras.Model):
    """Reads a plain Python attribute in call(): a traced step would keep its first value."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d = keras.layers.Dense(2, name="d")
        self.scale = 1.0

    def call(self, x):
        return self.d(x) * self.scale


def test_run_eagerly_steps_eagerly_and_sees_python_state(shell, ns, batch):
    model = Scaled(name="scaled")
    model(X)
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    reference = Scaled(name="scaled_ref")
    reference(X)
    reference.set_weights(model.get_weights())
    ns["model"] = model
    sw(shell, "model --step --lr 0.1 --x xb --y yb")
    sgd_by_hand(reference, X, Y, 0.1)
    model.scale = reference.scale = 3.0
    result = sw(shell, "model --step --lr 0.1 --x xb --y yb").extra
    expected, _ = sgd_by_hand(reference, X, Y, 0.1)
    assert math.isclose(result.loss_before, expected, rel_tol=1e-5)
    assert_same_values(model, reference, rtol=1e-5, atol=1e-6)


def test_a_dry_run_step_does_not_build_an_unbuilt_model(shell, ns, batch):
    model = keras.Sequential([keras.layers.Dense(2, name="d")], name="lazy")
    ns["model"] = model
    refused(shell, "--dry-run model --step --loss mse --x xb --y yb", "--dry-run", "not built")
    assert not model.built


def test_compile_again_with_another_loss_is_what_the_next_step_uses(shell, ns, batch):
    model = sequential()
    reference = twin(model, sequential)
    ns["model"] = model
    model.compile(optimizer="sgd", loss="mse")
    sw(shell, "model --step --lr 0.05 --x xb --y yb")
    sgd_by_hand(reference, X, Y, 0.05)
    model.compile(optimizer="sgd", loss="mae")
    sw(shell, "model --step --lr 0.05 --x xb --y yb")
    sgd_by_hand(reference, X, Y, 0.05, keras.losses.mean_absolute_error)
    assert_same_values(model, reference)


def test_set_weights_with_step_is_step(ns):
    model = sequential()
    reference = twin(model, sequential)
    result = tf_weightmagic.set_weights(model, step=True, x=X, y=Y, loss="mse", lr=0.05, optimizer="sgd")
    sgd_by_hand(reference, X, Y, 0.05)
    assert_same_values(model, reference)
    assert result.extra.steps == 1
