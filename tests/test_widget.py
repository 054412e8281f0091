"""The widget's kernel side, no browser: every browser message simulated, checked against Keras and numpy."""

import base64
import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

import tf_weightmagic
from tf_weightmagic import SESSION
from tf_weightmagic.widget import inspector as inspector_module
from tf_weightmagic.widget.inspector import heatmap
from tf_weightmagic.widget.protocol import ACTIONS

from conftest import assert_unchanged, weights_of

STATIC = Path(inspector_module.__file__).parent / "static"


@pytest.fixture
def model():
    return keras.Sequential([
        keras.Input((6, 6, 1)), keras.layers.Conv2D(4, 3, name="conv"), keras.layers.BatchNormalization(name="bn"),
        keras.layers.Flatten(name="flatten"), keras.layers.Dense(3, name="head"),
    ], name="net")


@pytest.fixture
def widget(model, shell, ns):
    rng = np.random.default_rng(0)
    ns.update(xs=rng.normal(size=(8, 6, 6, 1)).astype("float32"), ys=rng.integers(0, 3, size=8))
    inspector = tf_weightmagic.inspect(model)
    yield inspector
    inspector.close()


def record(widget, path):
    return next(v for v in widget.report["variables"] if v["path"] == path)


def node(widget, name):
    return next(n for n in widget.report["layers"] if n["name"] == name)


def send(widget, **message):
    """What the browser does: a custom comm message through ipywidgets' own dispatch."""
    widget._handle_msg({"content": {"data": {"method": "custom", "content": message}}, "buffers": []})
    return widget.status


# ----- look --------------------------------------------------------------------------------------

def test_report_is_the_weight_report_and_matches_keras(widget, model):
    data = widget.report
    assert data == tf_weightmagic.report(model).to_dict() | {"target": data["target"]}
    assert data["trainable_params"] == sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    assert data["non_trainable_params"] == sum(int(np.prod(v.shape)) for v in model.non_trainable_weights)
    kernel = model.get_layer("conv").kernel
    assert record(widget, kernel.path)["histogram"]["counts"] == np.histogram(kernel.numpy(), 32)[0].tolist()
    assert all(v["values"] is None for v in data["variables"])
    assert [n["name"] for n in data["layers"]] == ["net", "conv", "bn", "flatten", "head"]


def test_detail_pane_sends_a_finer_histogram_and_a_small_heatmap_of_block_means(widget, model):
    kernel = model.get_layer("conv").kernel
    assert send(widget, action="select", path=kernel.path, id=1)["kind"] == "ok"
    detail = widget.detail
    assert detail["shape"] == [3, 3, 1, 4] and detail["dtype"] == "float32" and detail["trainable"] is True
    assert detail["histogram"]["counts"] == np.histogram(kernel.numpy(), 64)[0].tolist()
    assert detail["stats"]["std"] == pytest.approx(float(kernel.numpy().std()), rel=1e-5)
    heat = detail["heatmap"]
    assert (heat["rows"], heat["cols"]) == (9, 4)
    cells = np.frombuffer(base64.b64decode(heat["cells"]), np.int8).reshape(9, 4)
    values = kernel.numpy().reshape(9, 4)
    np.testing.assert_allclose(cells, np.round(values / np.abs(values).max() * 127), atol=1)
    assert heat["min"] == pytest.approx(float(values.min()), rel=1e-6)


def test_heatmap_is_at_most_32_by_32_block_means_and_marks_nonfinite_blocks():
    a = np.arange(100 * 70, dtype=np.float32).reshape(100, 70)
    a[0, 0] = np.nan
    heat = heatmap(a)
    assert (heat["rows"], heat["cols"]) == (32, 32) and heat["block"] == [4, 3]
    cells = np.frombuffer(base64.b64decode(heat["cells"]), np.int8).reshape(32, 32)
    assert cells[0, 0] == -128 and (cells[1:, :] != -128).all()
    row_blocks = np.array_split(np.arange(100), 32)
    col_blocks = np.array_split(np.arange(70), 32)
    expected = a[np.ix_(row_blocks[-1], col_blocks[-1])].mean()
    assert heat["max"] == pytest.approx(float(expected), rel=1e-6) and cells[-1, -1] == 127


def test_display_bundle_has_the_widget_and_static_html_and_text_fallbacks(widget, model):
    data, _ = DisplayFormatter().format(widget)
    assert "application/vnd.jupyter.widget-view+json" in data
    assert 'data-testid="tf-weightmagic-report"' in data["text/html"]
    assert "<script" not in data["text/html"]
    assert "net" in data["text/plain"] and str(model.count_params()) in data["text/plain"].replace(",", "")


def test_the_widgets_own_bundle_carries_the_fallbacks(widget):
    data, _ = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert 'data-testid="tf-weightmagic-report"' in data["text/html"] and "net" in data["text/plain"]


def test_widget_magic_takes_the_report_options(shell, ns, model):
    ns["model"] = model
    inspector = shell.run_line_magic("weights", 'model -w --bins 8 --filter "*kernel" --no-stats')
    try:
        paths = [v["path"] for v in inspector.report["variables"]]
        assert paths == [w.path for w in model.weights if w.path.endswith("kernel")]
        assert inspector.report["bins"] == 8 and all(v["stats"] is None for v in inspector.report["variables"])
        inspector.refresh()
        assert [v["path"] for v in inspector.report["variables"]] == paths
    finally:
        inspector.close()
    with pytest.raises(Exception, match="not with --widget"):
        shell.run_line_magic("weights", "model -w --snapshot s")


def test_front_end_ships_in_the_package_and_loads_nothing_from_the_network():
    js, css = (STATIC / "inspector.js").read_text(), (STATIC / "inspector.css").read_text()
    assert "export default" in js and 'data-testid": "tf-weightmagic"' in js
    for text in (js, css):
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text)
        assert "import " not in text.replace("import(", "")
    assert "eval(" not in js and "innerHTML" not in js
    assert "model.set(" not in js and "save_changes" not in js  # the browser never writes state back


# ----- act ---------------------------------------------------------------------------------------

def test_set_constant_scale_noise_and_reinit_go_through_the_journal(widget, model):
    kernel = model.get_layer("head").kernel
    before = kernel.numpy().copy()
    entries = len(SESSION.journal.entries)
    assert send(widget, action="set_constant", path=kernel.path, value=0.25, id=1)["kind"] == "ok"
    np.testing.assert_array_equal(kernel.numpy(), np.full_like(before, 0.25))
    assert send(widget, action="scale", path=kernel.path, factor=2, id=2)["kind"] == "ok"
    np.testing.assert_array_equal(kernel.numpy(), np.full_like(before, 0.5))
    assert send(widget, action="add_noise", path=kernel.path, std=0.1, id=3)["kind"] == "ok"
    noisy = kernel.numpy()
    assert not np.array_equal(noisy, np.full_like(before, 0.5)) and abs(float(np.std(noisy - 0.5)) - 0.1) < 0.05
    assert len(SESSION.journal.entries) == entries + 3
    assert record(widget, kernel.path)["stats"]["mean"] == pytest.approx(float(noisy.mean()), rel=1e-5)
    status = send(widget, action="reinit", path=kernel.path, id=4)
    assert status["kind"] == "ok" and status["id"] == 4
    limit = np.sqrt(6 / (kernel.shape[0] + kernel.shape[1]))  # Dense's glorot_uniform
    assert np.abs(kernel.numpy()).max() <= limit and not np.array_equal(kernel.numpy(), noisy)
    assert send(widget, action="undo", id=5)["kind"] == "ok"
    np.testing.assert_array_equal(kernel.numpy(), noisy)
    tf_weightmagic.undo(3)
    np.testing.assert_array_equal(kernel.numpy(), before)
    assert record(widget, kernel.path)["stats"]["mean"] == pytest.approx(float(before.mean()), rel=1e-5)


def test_layer_reinit_uses_the_layers_own_initializers(widget, model):
    bias = model.get_layer("head").bias
    tf_weightmagic.set_weights(bias, 3.0)
    assert send(widget, action="reinit", path=node(widget, "head")["path"])["kind"] == "ok"
    np.testing.assert_array_equal(bias.numpy(), np.zeros(3))  # Dense's bias initializer: zeros


def test_trainable_toggle_changes_keras_and_magic_undo_takes_it_back(widget, model, shell, ns):
    ns["model"] = model
    layer = model.get_layer("conv")
    status = send(widget, action="set_trainable", path=node(widget, "conv")["path"], value=False, id=7)
    assert status == {"id": 7, "kind": "ok", "action": "set_trainable", "text": status["text"]}
    assert "--trainable False" in status["text"]
    assert layer.trainable is False
    assert layer.kernel.path not in {v.path for v in model.trainable_weights}
    assert not node(widget, "conv")["trainable"] and not record(widget, layer.kernel.path)["trainable"]
    assert "--trainable False" in str(shell.run_line_magic("setweights", "--history"))
    shell.run_line_magic("setweights", "--undo")
    assert layer.trainable is True
    assert node(widget, "conv")["trainable"]  # the magic's undo refreshed the widget


def test_model_level_and_nested_model_toggles(shell):
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, name="d1"), keras.layers.Dense(4, name="d2")],
                             name="base")
    outer = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(2, name="top")], name="outer")
    widget = tf_weightmagic.inspect(outer)
    paths = {n["name"]: n["path"] for n in widget.report["layers"]}
    assert send(widget, action="set_trainable", path=paths["base"], value=False)["kind"] == "ok"
    assert inner.trainable is False and outer.trainable is True
    assert widget.report["trainable_params"] == outer.get_layer("top").count_params()
    assert send(widget, action="set_trainable", path=paths["outer"], value=False)["kind"] == "ok"
    assert outer.trainable is False and widget.report["trainable_params"] == 0
    tf_weightmagic.undo(2)
    assert inner.trainable is True and outer.trainable is True
    widget.close()


def test_a_layer_without_variables_toggles_and_the_widget_follows(widget, model):
    flatten = model.get_layer("flatten")
    assert send(widget, action="set_trainable", path=node(widget, "flatten")["path"], value=False)["kind"] == "ok"
    assert flatten.trainable is False and node(widget, "flatten")["trainable"] is False
    tf_weightmagic.undo()


def test_step_action_equals_the_api_step_and_shows_its_result(widget, model, ns):
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    before = weights_of(model)
    status = send(widget, action="step", x="xs", y="ys", loss="sparse_categorical_crossentropy",
                  optimizer="sgd", lr=0.05, steps=2, id=3)
    assert status["kind"] == "ok" and "loss:" in status["text"]
    tf_weightmagic.step(twin, x=ns["xs"], y=ns["ys"], loss="sparse_categorical_crossentropy", lr=0.05, steps=2)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    tf_weightmagic.undo()  # the twin's step: the journal is one for the session, widget or not
    kernel = model.get_layer("head").kernel
    assert record(widget, kernel.path)["stats"]["mean"] == pytest.approx(float(kernel.numpy().mean()), rel=1e-5)
    assert send(widget, action="undo")["kind"] == "ok"
    assert_unchanged(model, before)


def test_step_panel_names_come_from_the_namespace_and_are_looked_up(widget, model, ns):
    ns.update(my_loss=keras.losses.MeanSquaredError(), my_opt=keras.optimizers.SGD(0.1), _hidden=np.ones(3),
              y_onehot=np.eye(3, dtype="float32")[ns["ys"]])
    widget.refresh()
    names = widget.names
    assert {"xs", "ys", "y_onehot"} <= set(names["arrays"]) and "_hidden" not in names["arrays"]
    assert "my_loss" in names["losses"] and "my_opt" in names["optimizers"]
    assert names["compiled_loss"] is False
    before = model.get_layer("head").kernel.numpy().copy()
    status = send(widget, action="step", x="xs", y="y_onehot", loss="my_loss", optimizer="my_opt", lr=0.1, steps=1)
    assert status["kind"] == "ok", status
    assert not np.array_equal(model.get_layer("head").kernel.numpy(), before)
    tf_weightmagic.undo()
    model.compile("sgd", "sparse_categorical_crossentropy")
    widget.refresh()
    assert widget.names["compiled_loss"] and widget.names["compiled_optimizer"]
    status = send(widget, action="step", x="xs", y="ys", loss="compiled", optimizer="compiled", lr=0.1, steps=1)
    assert status["kind"] == "ok", status
    tf_weightmagic.undo()


def test_errors_from_the_edit_path_show_in_the_widget(widget, model, ns):
    ns["wrong"] = np.zeros((8, 5), "float32")
    before, entries = weights_of(model), len(SESSION.journal.entries)
    status = send(widget, action="step", x="wrong", y="ys", loss="mse", optimizer="sgd", lr=0.1, steps=1, id=9)
    assert status["kind"] == "error" and status["id"] == 9 and "nothing was changed" in status["text"]
    status = send(widget, action="step", x="xs", y="ys", loss="no_such_loss", optimizer="sgd", lr=0.1, steps=1)
    assert status["kind"] == "error" and status["text"]
    assert_unchanged(model, before)
    assert len(SESSION.journal.entries) == entries


@pytest.mark.parametrize("message", [
    None, [], "refresh", {}, {"action": "format_disk"}, {"action": "scale", "path": "net/nope/kernel", "factor": 2.0},
    {"action": "scale", "path": "KERNEL", "factor": float("nan")}, {"action": "scale", "path": "KERNEL", "factor": float("inf")},
    {"action": "set_constant", "value": 1.0}, {"action": "set_constant", "path": "KERNEL", "value": "1.0"},
    {"action": "set_constant", "path": "KERNEL", "value": True}, {"action": "set_constant", "path": ["KERNEL"], "value": 1.0},
    {"action": "set_trainable", "path": "LAYER", "value": "yes"}, {"action": "set_trainable", "path": "KERNEL", "value": False},
    {"action": "add_noise", "path": "KERNEL", "std": -1.0}, {"action": "add_noise", "path": "KERNEL", "std": 1e7},
    {"action": "scale", "path": "KERNEL", "factor": 1e300}, {"action": "scale", "path": "KERNEL", "factor": 2.0, "code": "x"},
    {"action": "scale", "path": "KERNEL", "factor": 2.0, "id": "1; rm -rf"}, {"action": "select", "path": "LAYER"},
    {"action": "reinit", "path": "__import__('os')"},
    {"action": "step", "x": "__import__('os').system('true')", "y": "ys", "loss": "mse", "optimizer": "sgd", "lr": 0.1, "steps": 1},
    {"action": "step", "x": "xs", "y": "ys", "loss": "mse", "optimizer": "sgd", "lr": 0.1, "steps": 10**9},
    {"action": "step", "x": "xs", "y": "ys", "loss": "mse", "optimizer": "sgd", "lr": 0.1, "steps": 1.5},
    {"action": "step", "x": "xs", "y": "ys", "loss": "mse", "optimizer": "sgd", "lr": 0.0, "steps": 1},
    {"action": "step", "x": "missing_name", "y": "ys", "loss": "mse", "optimizer": "sgd", "lr": 0.1, "steps": 1},
    {"action": "step", "x": "_hidden", "y": "ys", "loss": "mse", "optimizer": "sgd", "lr": 0.1, "steps": 1},
    {"action": "step", "x": "xs", "y": "ys", "loss": "lambda: 0", "optimizer": "sgd", "lr": 0.1, "steps": 1},
    {"action": "step", "x": "xs", "y": "ys", "loss": "mse", "optimizer": "eval", "lr": 0.1, "steps": 1},
    {"action": "step", "x": "xs", "y": "ys", "loss": "mse", "optimizer": "sgd", "lr": 0.1},
])
def test_bad_messages_are_rejected_and_change_nothing(widget, model, ns, message):
    ns["_hidden"] = ns["xs"]
    kernel_path, layer_path = model.get_layer("conv").kernel.path, node(widget, "conv")["path"]
    if isinstance(message, dict):
        message = {k: kernel_path if v == "KERNEL" else layer_path if v == "LAYER" else
                   [kernel_path] if v == ["KERNEL"] else v for k, v in message.items()}
    before, entries, report = weights_of(model), len(SESSION.journal.entries), widget.report
    status = widget.handle(message)
    assert status["kind"] == "error" and status["text"] and widget.status == status
    assert_unchanged(model, before)
    assert len(SESSION.journal.entries) == entries
    assert widget.report == report


def test_every_action_in_the_schema_is_handled(widget, model):
    kernel = model.get_layer("conv").kernel.path
    fields = {"refresh": {}, "undo": {}, "select": {"path": kernel}, "set_trainable": {"path": "net/conv", "value": True},
              "set_constant": {"path": kernel, "value": 1.0}, "scale": {"path": kernel, "factor": 1.0},
              "add_noise": {"path": kernel, "std": 0.0}, "reinit": {"path": kernel},
              "step": {"x": "xs", "y": "ys", "loss": "sparse_categorical_crossentropy", "optimizer": "sgd", "lr": 0.01, "steps": 1}}
    assert set(fields) == set(ACTIONS)
    tf_weightmagic.set_weights(model.get_layer("head").bias, 0.0)
    for i, (action, extra) in enumerate(fields.items()):
        status = send(widget, action=action, id=i, **extra)
        assert status["kind"] == "ok" and status["id"] == i, (action, status)


def test_a_variable_target_works_too(shell):
    layer = keras.layers.Dense(3)
    layer.build((None, 2))
    widget = tf_weightmagic.inspect(layer.kernel)
    assert widget.report["layers"] == [] and [v["path"] for v in widget.report["variables"]] == [layer.kernel.path]
    assert send(widget, action="scale", path=layer.kernel.path, factor=0.0)["kind"] == "ok"
    assert not layer.kernel.numpy().any() and "all_zero" in widget.report["variables"][0]["flags"]
    tf_weightmagic.undo()
    widget.close()


# ----- one edit path, many views -------------------------------------------------------------

def test_edits_from_the_magic_refresh_the_widget_and_its_detail_pane(widget, model, shell, ns):
    ns["model"] = model
    kernel = model.get_layer("head").kernel
    send(widget, action="select", path=kernel.path)
    shell.run_line_magic("setweights", "model.get_layer('head').kernel = 2.0")
    assert record(widget, kernel.path)["stats"]["mean"] == 2.0
    assert widget.detail["stats"]["mean"] == 2.0 and max(widget.detail["histogram"]["counts"]) == kernel.numpy().size
    shell.run_line_magic("setweights", "--undo")
    assert record(widget, kernel.path)["stats"]["mean"] == pytest.approx(float(kernel.numpy().mean()), rel=1e-5)


def test_a_failing_refresh_never_breaks_someone_elses_edit(widget, model, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(widget, "refresh", broken)
    bias = model.get_layer("head").bias
    tf_weightmagic.set_weights(bias, 1.0)
    np.testing.assert_array_equal(bias.numpy(), np.ones(3))
    assert widget.status["kind"] == "error" and "boom" in widget.status["text"]
    tf_weightmagic.undo()


def test_closed_widgets_stop_listening(model, shell):
    widget = tf_weightmagic.inspect(model)
    assert widget in SESSION.views
    widget.close()
    assert widget not in SESSION.views


# ----- safety: state coming back from the browser changes nothing --------------------------------

def test_saved_widget_state_coming_back_changes_nothing_in_the_kernel(widget, model):
    before, entries, report = weights_of(model), len(SESSION.journal.entries), widget.report
    state = widget.get_state()
    state["report"] = {"layers": [], "variables": [], "trainable_params": 0}
    state["status"] = {"kind": "ok", "text": "set_trainable", "action": "set_trainable"}
    state["detail"] = {"path": model.get_layer("conv").kernel.path}
    # what ipywidgets does with an 'update' from the front end (a reopened notebook, a stale view)
    widget._handle_msg({"content": {"data": {"method": "update", "state": state}}, "buffers": []})
    widget.set_state({"report": {}})
    assert_unchanged(model, before)
    assert len(SESSION.journal.entries) == entries
    assert widget.report == report and widget.detail == {}


def test_front_end_created_models_cannot_reach_the_kernel():
    with pytest.raises(TypeError):
        tf_weightmagic.Inspector()  # a comm opened from the browser has no target: nothing is built


# ----- live during fit -------------------------------------------------------------------------

def test_weight_watch_keeps_a_bounded_distribution_history_during_fit(widget, model, ns):
    widget = tf_weightmagic.inspect(model, history=3)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(ns["xs"], ns["ys"], epochs=4, verbose=0, callbacks=[tf_weightmagic.WeightWatch(widget)])
    kernel = model.get_layer("head").kernel
    strip = widget.history[kernel.path]
    assert [c["t"] for c in strip] == ["epoch 2", "epoch 3", "epoch 4"]
    assert strip[-1]["lo"] == pytest.approx(float(kernel.numpy().min()), rel=1e-5)
    assert strip[-1]["hi"] == pytest.approx(float(kernel.numpy().max()), rel=1e-5)
    assert all(len(c["c"]) == 16 and set(c["c"]) <= set("0123456789") for c in strip)
    assert "9" in strip[-1]["c"]
    assert record(widget, kernel.path)["stats"]["mean"] == pytest.approx(float(kernel.numpy().mean()), rel=1e-5)
    widget.close()


def test_weight_watch_per_batch_and_a_final_refresh(widget, model, ns):
    model.compile("sgd", "sparse_categorical_crossentropy")
    watch = tf_weightmagic.WeightWatch(widget, every=3, per="batch")
    model.fit(ns["xs"], ns["ys"], epochs=2, batch_size=2, verbose=0, callbacks=[watch])  # 8 batches
    kernel = model.get_layer("head").kernel
    assert [c["t"] for c in widget.history[kernel.path]] == ["start", "batch 3", "batch 6"]
    # the last refresh (train end) shows the final weights even though batch 8 was not recorded
    assert record(widget, kernel.path)["stats"]["mean"] == pytest.approx(float(kernel.numpy().mean()), rel=1e-5)
    widget.close()


def test_weight_watch_checks_its_arguments_and_a_failing_refresh_does_not_stop_fit(widget, model, ns, monkeypatch):
    for bad in ({"every": 0}, {"every": 1.5}, {"per": "step"}):
        with pytest.raises(tf_weightmagic.WeightMagicError):
            tf_weightmagic.WeightWatch(widget, **bad)
    with pytest.raises(tf_weightmagic.WeightMagicError, match="inspect"):
        tf_weightmagic.WeightWatch(model)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(widget, "refresh", broken)
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(ns["xs"], ns["ys"], epochs=2, verbose=0, callbacks=[tf_weightmagic.WeightWatch(widget)])
    assert len(history.history["loss"]) == 2
    assert widget.status["kind"] == "error" and "disk full" in widget.status["text"]


# ----- data to the browser ---------------------------------------------------------------------

def test_payload_per_variable_stays_small_and_does_not_grow_with_size(shell, ns):
    big = keras.Sequential([keras.Input((512,)), keras.layers.Dense(1024, name="wide"), keras.layers.Dense(8),
                            keras.layers.Embedding(50_000, 64, name="emb")], name="big")
    widget = tf_weightmagic.inspect(big, history=24)
    for i in range(30):  # a long fit: the strip keeps the last 24 columns
        widget.refresh(record=f"epoch {i}")
    sizes = {v["path"]: len(json.dumps(v)) + len(json.dumps(widget.history.get(v["path"], [])))
             for v in widget.report["variables"]}
    assert max(sizes.values()) <= 4096, sizes
    assert all(len(s) == 24 for s in widget.history.values())
    kernels = [s for p, s in sizes.items() if p.endswith("kernel")]
    assert max(kernels) - min(kernels) < 400  # 524,288 values vs 8,192: the same size
    for path in (big.get_layer("wide").kernel.path, big.get_layer("emb").embeddings.path):
        send(widget, action="select", path=path)
        assert len(json.dumps(widget.detail)) <= 4096
        assert widget.detail["heatmap"]["rows"] <= 32 and widget.detail["heatmap"]["cols"] <= 32
    widget.close()


def test_widget_magic_builds_and_returns_the_inspector(shell, ns):
    ns["unbuilt"] = keras.layers.Dense(3)
    widget = shell.run_line_magic("weights", "unbuilt --widget --build 2,5")
    assert isinstance(widget, tf_weightmagic.Inspector)
    assert widget.report["trainable_params"] == ns["unbuilt"].count_params() == 18
    assert widget.report["target"] == "unbuilt"
    widget.close()


def test_an_unbuilt_layer_shows_what_it_will_create(shell):
    widget = tf_weightmagic.inspect(keras.layers.Conv2D(8, 3, name="lazy"))
    layer = widget.report["layers"][0]
    assert layer["built"] is False and widget.report["build_state"] == "not built"
    assert {p["name"]: p["shape"] for p in layer["pending"]} == {"kernel": [3, 3, None, 8], "bias": [8]}
    assert send(widget, action="refresh")["kind"] == "ok"
    widget.close()
