"""The widget's kernel side, no browser: every browser message simulated, checked against Keras."""

import json

import keras
import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

import tf_weightmagic
from tf_weightmagic import SESSION
from tf_weightmagic.widget.protocol import ACTIONS

from conftest import assert_unchanged, weights_of


@pytest.fixture
def model():
    return keras.Sequential([
        keras.Input((6, 6, 1)), keras.layers.Conv2D(4, 3, name="conv"), keras.layers.BatchNormalization(name="bn"),
        keras.layers.Flatten(), keras.layers.Dense(3, name="head"),
    ], name="net")


@pytest.fixture
def widget(model, shell, ns):
    rng = np.random.default_rng(0)
    ns.update(xs=rng.normal(size=(8, 6, 6, 1)).astype("float32"), ys=rng.integers(0, 3, size=8))
    return tf_weightmagic.inspect(model)


def path_of(variable):
    return variable.path


def test_report_matches_keras_counts_and_carries_no_values(widget, model):
    data = widget.report
    assert data["trainable_params"] == sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    assert data["non_trainable_params"] == sum(int(np.prod(v.shape)) for v in model.non_trainable_weights)
    kernel = model.get_layer("conv").kernel.numpy()
    record = next(v for v in data["variables"] if v["path"] == path_of(model.get_layer("conv").kernel))
    assert record["histogram"]["counts"] == np.histogram(kernel, 32)[0].tolist()
    assert "values" not in json.dumps(record).replace('"values": null', "")


def test_set_constant_scale_noise_and_reinit_go_through_the_journal(widget, model):
    kernel = model.get_layer("head").kernel
    before = kernel.numpy().copy()
    entries = len(SESSION.journal.entries)
    assert widget.handle({"action": "set_constant", "path": kernel.path, "value": 0.25})["kind"] == "ok"
    np.testing.assert_array_equal(kernel.numpy(), np.full_like(before, 0.25))
    assert widget.handle({"action": "scale", "path": kernel.path, "factor": 2.0})["kind"] == "ok"
    np.testing.assert_array_equal(kernel.numpy(), np.full_like(before, 0.5))
    assert widget.handle({"action": "add_noise", "path": kernel.path, "std": 0.1})["kind"] == "ok"
    noisy = kernel.numpy()
    assert not np.array_equal(noisy, np.full_like(before, 0.5)) and abs(float(np.std(noisy - 0.5)) - 0.1) < 0.05
    assert len(SESSION.journal.entries) == entries + 3
    assert widget.handle({"action": "reinit", "path": kernel.path})["kind"] == "ok"
    assert widget.handle({"action": "undo"})["kind"] == "ok"
    np.testing.assert_array_equal(kernel.numpy(), noisy)
    tf_weightmagic.undo(3)
    np.testing.assert_array_equal(kernel.numpy(), before)
    record = next(v for v in widget.report["variables"] if v["path"] == kernel.path)
    assert record["stats"]["mean"] == pytest.approx(float(before.mean()), rel=1e-5)


def test_trainable_toggle_changes_keras_and_magic_undo_takes_it_back(widget, model, shell, ns):
    ns["model"] = model
    layer = model.get_layer("conv")
    node = next(n for n in widget.report["layers"] if n["name"] == "conv")
    assert widget.handle({"action": "set_trainable", "path": node["path"], "value": False})["kind"] == "ok"
    assert layer.trainable is False
    assert layer.kernel.path not in {v.path for v in model.trainable_weights}
    assert not next(n for n in widget.report["layers"] if n["name"] == "conv")["trainable"]
    assert "--trainable False" in str(shell.run_line_magic("setweights", "--history"))
    shell.run_line_magic("setweights", "--undo")
    assert layer.trainable is True


def test_step_action_equals_the_api_step_and_shows_its_result(widget, model, ns):
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    status = widget.handle({"action": "step", "x": "xs", "y": "ys", "loss": "sparse_categorical_crossentropy",
                            "optimizer": "sgd", "lr": 0.05, "steps": 1})
    assert status["kind"] == "ok" and "loss:" in status["text"]
    tf_weightmagic.step(twin, x=ns["xs"], y=ns["ys"], loss="sparse_categorical_crossentropy", lr=0.05)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("message", [
    None, [], {"action": "format_disk"}, {"action": "scale", "path": "net/nope/kernel", "factor": 2.0},
    {"action": "scale", "path": "KERNEL", "factor": float("nan")}, {"action": "set_constant", "value": 1.0},
    {"action": "set_trainable", "path": "LAYER", "value": "yes"}, {"action": "add_noise", "path": "KERNEL", "std": -1.0},
    {"action": "scale", "path": "KERNEL", "factor": 1e300}, {"action": "scale", "path": "KERNEL", "factor": 2.0, "code": "x"},
    {"action": "step", "x": "__import__('os').system('true')", "y": "ys", "loss": "mse", "optimizer": "sgd", "lr": 0.1, "steps": 1},
    {"action": "step", "x": "xs", "y": "ys", "loss": "mse", "optimizer": "sgd", "lr": 0.1, "steps": 10**9},
    {"action": "step", "x": "missing_name", "y": "ys", "loss": "mse", "optimizer": "sgd", "lr": 0.1, "steps": 1},
    {"action": "step", "x": "xs", "y": "ys", "loss": "mse", "optimizer": "eval", "lr": 0.1, "steps": 1},
])
def test_bad_messages_are_rejected_and_change_nothing(widget, model, message):
    kernel_path, layer_path = model.get_layer("conv").kernel.path, widget.report["layers"][1]["path"]
    if isinstance(message, dict):
        message = {k: kernel_path if v == "KERNEL" else layer_path if v == "LAYER" else v for k, v in message.items()}
    before, entries = weights_of(model), len(SESSION.journal.entries)
    status = widget.handle(message)
    assert status["kind"] == "error" and status["text"] and widget.status == status
    assert_unchanged(model, before)
    assert len(SESSION.journal.entries) == entries


def test_every_action_in_the_schema_is_handled(widget, model):
    kernel = model.get_layer("conv").kernel.path
    fields = {"refresh": {}, "undo": {}, "select": {"path": kernel}, "set_trainable": {"path": "net/conv", "value": True},
              "set_constant": {"path": kernel, "value": 1.0}, "scale": {"path": kernel, "factor": 1.0},
              "add_noise": {"path": kernel, "std": 0.0}, "reinit": {"path": kernel},
              "step": {"x": "xs", "y": "ys", "loss": "sparse_categorical_crossentropy", "optimizer": "sgd", "lr": 0.01, "steps": 1}}
    assert set(fields) == set(ACTIONS)
    tf_weightmagic.set_weights(model.get_layer("head").bias, 0.0)
    for action, extra in fields.items():
        status = widget.handle({"action": action, **extra})
        assert status["kind"] == "ok", (action, status)


def test_detail_pane_sends_a_small_heatmap_of_a_kernel(widget, model):
    kernel = model.get_layer("conv").kernel
    widget.handle({"action": "select", "path": kernel.path})
    detail = widget.detail
    assert detail["shape"] == [3, 3, 1, 4] and detail["heatmap"]["rows"] == 9 and detail["heatmap"]["cols"] == 4
    assert detail["heatmap"]["min"] == pytest.approx(float(kernel.numpy().min()), rel=1e-6)
    assert detail["histogram"]["counts"] == np.histogram(kernel.numpy(), 64)[0].tolist()


def test_saved_widget_state_coming_back_changes_nothing_in_the_kernel(widget, model):
    before, entries = weights_of(model), len(SESSION.journal.entries)
    state = widget.get_state()
    state["report"] = {"layers": [], "variables": [], "trainable_params": 0}
    state["status"] = {"kind": "ok", "text": "set_trainable"}
    widget.set_state(state)
    assert_unchanged(model, before)
    assert len(SESSION.journal.entries) == entries


def test_display_bundle_has_static_html_and_text_fallbacks(widget, model):
    data, _ = DisplayFormatter().format(widget)
    assert "application/vnd.jupyter.widget-view+json" in data
    assert 'data-testid="tf-weightmagic-report"' in data["text/html"]
    assert "net" in data["text/plain"] and str(model.count_params()) in data["text/plain"].replace(",", "")


def test_weight_watch_keeps_a_bounded_distribution_history_during_fit(widget, model, ns):
    widget = tf_weightmagic.Inspector(model, history=3, namespace=ns)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(ns["xs"], ns["ys"], epochs=4, verbose=0, callbacks=[tf_weightmagic.WeightWatch(widget)])
    kernel = model.get_layer("head").kernel
    strip = widget.history[kernel.path]
    assert [c["t"] for c in strip] == ["epoch 2", "epoch 3", "epoch 4"]
    assert strip[-1]["lo"] == pytest.approx(float(kernel.numpy().min()), rel=1e-6)
    with pytest.raises(tf_weightmagic.WeightMagicError):
        tf_weightmagic.WeightWatch(widget, every=0)


def test_payload_per_variable_stays_small_and_does_not_grow_with_size(shell):
    big = keras.Sequential([keras.Input((512,)), keras.layers.Dense(1024), keras.layers.Dense(8)])
    widget = tf_weightmagic.inspect(big)
    sizes = [len(json.dumps(v)) for v in widget.report["variables"]]
    assert max(sizes) <= 4096
    kernel_sizes = [len(json.dumps(v)) for v in widget.report["variables"] if v["path"].endswith("kernel")]
    assert abs(kernel_sizes[0] - kernel_sizes[1]) < 400


def test_widget_magic_builds_and_returns_the_inspector(shell, ns):
    ns["unbuilt"] = keras.layers.Dense(3)
    widget = shell.run_line_magic("weights", "unbuilt --widget --build 2,5")
    assert isinstance(widget, tf_weightmagic.Inspector)
    assert widget.report["trainable_params"] == ns["unbuilt"].count_params() == 18
