"""The live widget: one more view of the WeightReport, one more caller of the edit path.

The kernel sends the report (statistics and histograms, never values) as synced traits;
the browser sends requests as custom messages, each validated by :mod:`.protocol` before
anything acts. Trait updates coming back from the browser (a notebook reopened with saved
widget state, a stale view) are ignored: only explicit requests act.
"""

from __future__ import annotations

import base64
import logging
from collections import deque
from pathlib import Path
from typing import Any, Optional

import anywidget
import numpy as np
import traitlets

from ..errors import WeightMagicError
from ..inspection import label_of, report_target, resolve
from ..render.common import regroup
from ..session import SESSION, notebook_namespace
from .protocol import validate

STATIC = Path(__file__).parent / "static"
HEATMAP_SIDE = 32
HISTORY_BINS = 16
DETAIL_BINS = 64
LOG = logging.getLogger(__name__)


def heatmap(array: np.ndarray, side: int = HEATMAP_SIDE) -> dict:
    """A ≤ side×side view of a kernel seen as (fan-in, fan-out): block means, signed, scaled to -127..127.

    One pass of block sums (``np.add.reduceat``), no float64 copy of the whole kernel. The cells
    travel as base64 of int8 (row-major, -128 for a block holding NaN/Inf): ≤ 1.4 KB for 32×32.
    """
    a = np.asarray(array)
    a = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(1, -1)
    rows, cols = a.shape
    r_starts = np.array([s[0] for s in np.array_split(np.arange(rows), min(rows, side))])
    c_starts = np.array([s[0] for s in np.array_split(np.arange(cols), min(cols, side))])
    with np.errstate(invalid="ignore", over="ignore"):
        sums = np.add.reduceat(np.add.reduceat(a, r_starts, axis=0, dtype=np.float64), c_starts, axis=1)
        means = sums / np.outer(np.diff(np.append(r_starts, rows)), np.diff(np.append(c_starts, cols)))
    finite = np.isfinite(means)
    lo = float(means[finite].min()) if finite.any() else 0.0
    hi = float(means[finite].max()) if finite.any() else 0.0
    scale = max(abs(lo), abs(hi)) or 1.0
    cells = np.where(finite, np.round(np.where(finite, means, 0.0) / scale * 127), -128).astype(np.int8)
    return {"rows": int(len(r_starts)), "cols": int(len(c_starts)), "cells": base64.b64encode(cells.tobytes()).decode(),
            "min": lo, "max": hi, "scale": scale,
            "block": [int(-(-rows // len(r_starts))), int(-(-cols // len(c_starts)))]}


def _short(x: float) -> float:
    return float(f"{x:.6g}")


def history_column(label: str, histogram: dict) -> dict:
    """One time step of a distribution strip: 16 bins as intensities 0–9 over [lo, hi]."""
    cols = regroup(histogram["counts"], HISTORY_BINS)
    top = max(cols) or 1
    edges = histogram["edges"]
    return {"t": label, "c": "".join(str(min(9, round(9 * c / top))) for c in cols),
            "lo": _short(edges[0]), "hi": _short(edges[-1])}


def namespace_names(namespace: dict) -> dict:
    """The names the step panel may offer: arrays/tensors, losses and optimizers (public names only)."""
    import keras
    import tensorflow as tf

    arrays, losses, optimizers = [], [], []
    for name, value in list(namespace.items()):
        if name.startswith("_") or not name.isidentifier():
            continue
        if isinstance(value, keras.optimizers.Optimizer):
            optimizers.append(name)
        elif isinstance(value, keras.losses.Loss) or (
                callable(value) and not isinstance(value, type) and "loss" in name.lower()):
            losses.append(name)
        elif isinstance(value, np.ndarray) or (tf.is_tensor(value) and not isinstance(value, keras.Variable)):
            arrays.append(name)
    return {"arrays": sorted(arrays), "losses": sorted(losses), "optimizers": sorted(optimizers)}


class Inspector(anywidget.AnyWidget):
    """``tf_weightmagic.inspect(model)``: the layer tree, stats, histograms and actions, live.

    Synced to the browser (kernel → browser only): ``report`` (``WeightReport.to_dict()``),
    ``history`` (per variable path, the bounded distribution-over-time strip kept by
    :class:`WeightWatch`), ``detail`` (the selected variable: a finer histogram and a ≤ 32×32
    heatmap), ``status`` (the last request's result or error) and ``names`` (namespace names
    the step panel offers). Requests come as custom messages, see :mod:`.protocol`.
    """

    _esm = STATIC / "inspector.js"
    _css = STATIC / "inspector.css"
    report = traitlets.Dict().tag(sync=True)
    history = traitlets.Dict().tag(sync=True)
    detail = traitlets.Dict().tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    names = traitlets.Dict().tag(sync=True)

    def __init__(self, target: Any, *, label: Optional[str] = None, bins: int = 32, history: int = 24,
                 namespace: Optional[dict] = None, **shown: Any) -> None:
        if isinstance(history, bool) or not isinstance(history, int) or history < 1:
            raise WeightMagicError(f"inspect(history={history!r}): expected a positive whole number of columns.")
        self._obj = target
        self._label = label or label_of(target)
        self._shown = dict(shown, bins=bins)  # report options: bins, filter, trainable, non_trainable, stats
        self._namespace = namespace if namespace is not None else notebook_namespace()
        self._history: dict = {}
        self._history_length = history
        self._refreshes = 0
        self._target, _ = resolve(self._obj, self._label)
        self._report = report_target(self._target, **self._shown)
        # The first state goes out with the comm's open message, not as a second update.
        super().__init__(report=self._report.to_dict(), names=self._names())
        self.on_msg(self._on_message)
        SESSION.views.add(self)

    # ----- kernel → browser -------------------------------------------------------------

    def refresh(self, record: Optional[str] = None) -> None:
        """Recompute the report (and, with ``record``, add a column to each distribution strip)."""
        self._refreshes += 1
        self._target, _ = resolve(self._obj, self._label)
        self._report = report_target(self._target, **self._shown)
        data = self._report.to_dict()
        paths = {v["path"] for v in data["variables"]}
        with self.hold_sync():
            self.report = data
            if record is not None:
                for v in data["variables"]:
                    if v["histogram"] is not None:
                        strip = self._history.setdefault(v["path"], deque(maxlen=self._history_length))
                        strip.append(history_column(record, v["histogram"]))
            if record is not None or set(self._history) - paths:
                self.history = {p: list(s) for p, s in self._history.items() if p in paths}
            selected = self.detail.get("path")
            if selected is not None:
                self.detail = self._detail(selected) if selected in paths else {}
            self.names = self._names()

    def variables_changed(self, ids: set) -> None:
        """An edit from anywhere (magic, API, another widget) touched these variables.

        Called from inside the edit path: it must never raise, or a finished edit would look failed.
        """
        if self.comm is None:
            SESSION.views.discard(self)
            return
        try:
            if ids & {id(v.variable) for v in self._target.variables}:
                self.refresh()
        except Exception as exc:  # noqa: BLE001 - shown in the widget, never raised into someone's edit
            LOG.debug("widget refresh failed", exc_info=True)
            self.status = {"id": None, "kind": "error", "text": f"refresh failed: {type(exc).__name__}: {exc}"}

    def close(self) -> None:
        SESSION.views.discard(self)
        super().close()

    def set_state(self, sync_data: dict) -> None:
        """State coming from the browser is ignored: only explicit, validated requests act."""
        if sync_data:
            LOG.debug("ignored state from the browser: %s", sorted(sync_data))

    def _names(self) -> dict:
        """What the step panel offers: namespace names, and whether the target is compiled."""
        names = namespace_names(self._namespace)
        names["compiled_loss"] = getattr(self._obj, "loss", None) is not None
        names["compiled_optimizer"] = getattr(self._obj, "optimizer", None) is not None
        return names

    # ----- browser → kernel -------------------------------------------------------------

    def _context(self) -> dict:
        return {"variables": {v.path for v in self._target.variables},
                "layers": {n.path for n in self._target.layers},
                "names": {n for n in self._namespace if isinstance(n, str) and not n.startswith("_")}}

    def handle(self, message: Any) -> dict:
        """Validate and carry out one browser message; returns the status shown in the widget."""
        request_id = message.get("id") if isinstance(message, dict) and isinstance(message.get("id"), int) else None
        try:
            request = validate(message, self._context())
            status = {"id": request_id, "kind": "ok", "action": request["action"], "text": self._act(request)}
        except WeightMagicError as exc:
            status = {"id": request_id, "kind": "error", "text": str(exc)}
        except Exception as exc:  # noqa: BLE001 - a failure must show in the widget, never pass silently
            LOG.debug("widget action failed", exc_info=True)
            status = {"id": request_id, "kind": "error", "text": f"{type(exc).__name__}: {exc}"}
        self.status = status
        return status

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        self.handle(content)

    def _act(self, request: dict) -> str:
        action = request["action"]
        if action == "select":
            self.detail = self._detail(request["path"])
            return ""
        if action == "refresh":
            self.refresh()
            return f"refreshed {self._label}"
        before = self._refreshes
        try:
            result = self._edit(action, request)
        finally:
            if self._refreshes == before:  # an edit that touched no variable of ours (a flag, another model)
                self.refresh()
        return str(result)

    def _ref(self, path: str) -> Any:
        return next(v for v in self._target.variables if v.path == path)

    def _node(self, path: str) -> Any:
        return next(n for n in self._target.layers if n.path == path)

    def _lookup(self, name: str) -> Any:
        if name not in self._namespace:
            raise WeightMagicError(f"{name!r} is no longer in the notebook namespace; refresh the widget.")
        return self._namespace[name]

    def _edit(self, action: str, request: dict) -> Any:
        import tf_weightmagic as api  # the edit path; imported here so the widget loads without it

        holders = [self._obj] if self._target.kind == "layer" else []
        if action == "undo":
            return api.undo(1)
        if action == "set_trainable":
            node = self._node(request["path"])
            return api.set_weights(node.layer, trainable=request["value"], label=node.path,
                                   holders=[h for h in holders if h is not node.layer])
        if action == "step":
            loss, optimizer = request["loss"], request["optimizer"]
            return api.step(
                self._obj, x=self._lookup(request["x"]), y=self._lookup(request["y"]),
                loss=self._namespace[loss] if loss in self._namespace else None if loss == "compiled" else loss,
                optimizer=self._namespace[optimizer] if optimizer in self._namespace else optimizer,
                lr=request["lr"], steps=request["steps"], label=self._label,
            )
        if action == "reinit":
            return self._reinit(api, request["path"])
        ref = self._ref(request["path"])
        if action == "set_constant":
            return api.set_weights(ref.variable, request["value"], label="widget")
        if action == "scale":
            return api.set_weights(ref.variable, request["factor"], op="*=", label="widget")
        if action == "add_noise":
            noise = np.random.default_rng().normal(0.0, request["std"], ref.shape)
            return api.set_weights(ref.variable, noise.astype(np.float64), op="+=", label="widget")
        raise AssertionError(action)

    def _reinit(self, api: Any, path: str) -> Any:
        from ..adapters import keras3

        nodes = {n.path: n for n in self._target.layers}
        if path in nodes:
            return api.set_weights(nodes[path].layer, init=True, label=path)
        ref = self._ref(path)
        owner = nodes.get(ref.layer_path)
        initializer = None
        if owner is not None:
            initializer = keras3.configured_initializer(owner.layer, ref.path.rsplit("/", 1)[-1])
        if initializer is None:
            raise WeightMagicError(
                f"{path}: no configured initializer is known for it; use %setweights ... --init NAME.")
        return api.set_weights(ref.variable, initializer, label="widget")

    def _detail(self, path: str) -> dict:
        """The selected variable: its report record, a finer histogram and for ≥ 2-D floats a heatmap."""
        from ..stats import summarize

        ref = self._ref(path)
        record = next((v for v in self.report.get("variables", ()) if v["path"] == path), {})
        array = ref.read()
        stats, histogram = summarize(array, DETAIL_BINS)
        detail = {"path": path, "layer": ref.layer_path, "shape": list(ref.shape), "dtype": ref.dtype,
                  "trainable": ref.trainable, "size": ref.size, "bytes": record.get("bytes"),
                  "flags": record.get("flags", []), "stats": stats.to_dict(), "histogram": histogram.to_dict()}
        if array.ndim >= 2 and array.dtype.kind == "f" and array.size:
            detail["heatmap"] = heatmap(array)
        return detail

    # ----- outside a live kernel --------------------------------------------------------

    def __repr__(self) -> str:
        return str(self._report)

    def _repr_html_(self) -> str:
        return self._report._repr_html_()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, plus the static HTML and text reports for viewers that cannot run widgets."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        return {**data, "text/html": self._repr_html_(), "text/plain": repr(self)}, metadata


def inspect(target: Any, *, label: Optional[str] = None, build: Any = None, bins: int = 32, history: int = 24,
            filter: Optional[str] = None, trainable: bool = False, non_trainable: bool = False,
            stats: bool = True) -> Inspector:
    """The interactive widget for a layer, model or variable (built first on ``build``).

    ``bins``, ``filter``, ``trainable``, ``non_trainable``, ``stats``: as for ``report``;
    ``history``: columns kept per variable in the distribution-over-time strip that
    :class:`WeightWatch` fills during ``fit``.
    """
    label = label or label_of(target)
    if build is not None:
        resolve(target, label, build)
    return Inspector(target, label=label, bins=bins, history=history, filter=filter, trainable=trainable,
                     non_trainable=non_trainable, stats=stats)
