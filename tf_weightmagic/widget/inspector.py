"""The live widget: one more view of the WeightReport, one more caller of the edit path."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, Optional

import anywidget
import numpy as np
import tensorflow as tf
import traitlets

from ..adapters import keras3
from ..errors import WeightMagicError
from ..inspection import label_of, report_target, resolve
from ..render.common import regroup
from ..session import SESSION
from ..setting import set_weights, undo
from ..step import step
from .protocol import validate

STATIC = Path(__file__).parent / "static"
HEATMAP_SIDE = 32
HISTORY_BINS = 16


def heatmap(array: np.ndarray, side: int = HEATMAP_SIDE) -> dict:
    """A ≤ side×side block-mean view of a kernel seen as (fan-in, fan-out), scaled to 0..255."""
    a = np.asarray(array, dtype=np.float64)
    a = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(1, -1)
    rows, cols = (np.array_split(np.arange(n), min(n, side)) for n in a.shape)
    small = np.array([[np.nanmean(a[np.ix_(r, c)]) for c in cols] for r in rows])
    lo, hi = float(np.nanmin(small)), float(np.nanmax(small))
    scaled = np.zeros_like(small) if hi == lo else (small - lo) / (hi - lo) * 255
    return {"rows": len(rows), "cols": len(cols), "values": np.nan_to_num(scaled).astype(int).ravel().tolist(),
            "min": lo, "max": hi}


def _history_column(counts: list) -> str:
    """One time step of the distribution strip: 16 bins as intensities 0–9."""
    cols = regroup(counts, HISTORY_BINS)
    top = max(cols) or 1
    return "".join(str(min(9, round(9 * c / top))) for c in cols)


def _namespace() -> dict:
    from IPython import get_ipython

    shell = get_ipython()
    return shell.user_ns if shell is not None else {}


class Inspector(anywidget.AnyWidget):
    """``tf_weightmagic.inspect(model)``: the layer tree, stats, histograms and actions, live."""

    _esm = STATIC / "inspector.js"
    _css = STATIC / "inspector.css"
    report = traitlets.Dict().tag(sync=True)
    history = traitlets.Dict().tag(sync=True)
    detail = traitlets.Dict().tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    names = traitlets.Dict().tag(sync=True)

    def __init__(self, target: Any, *, label: Optional[str] = None, bins: int = 32, history: int = 24,
                 namespace: Optional[dict] = None) -> None:
        super().__init__()
        self._obj = target
        self._label = label or label_of(target)
        self._bins = bins
        self._namespace = namespace if namespace is not None else _namespace()
        self._history: dict = {}
        self._history_length = history
        self._target = None
        self._report = None
        self.on_msg(self._on_message)
        self.refresh()
        SESSION.views.add(self)

    def variables_changed(self, ids: set) -> None:
        """An edit from anywhere (magic, API, another widget) touched these variables."""
        if ids & {id(v.variable) for v in self._target.variables}:
            self.refresh()

    def refresh(self, record: Optional[str] = None) -> None:
        """Recompute the report (and, with ``record``, add a column to each distribution strip)."""
        self._target, _ = resolve(self._obj, self._label)
        self._report = report_target(self._target, bins=self._bins)
        data = self._report.to_dict()
        self.report = data
        if record is not None:
            for v in data["variables"]:
                if v["histogram"] is None:
                    continue
                strip = self._history.setdefault(v["path"], deque(maxlen=self._history_length))
                edges = v["histogram"]["edges"]
                strip.append({"t": record, "c": _history_column(v["histogram"]["counts"]), "lo": edges[0], "hi": edges[-1]})
            self.history = {path: list(strip) for path, strip in self._history.items()}
        self.names = self._names()

    def _names(self) -> dict:
        arrays, losses, optimizers = [], [], []
        import keras

        for name, value in self._namespace.items():
            if name.startswith("_"):
                continue
            if isinstance(value, keras.optimizers.Optimizer):
                optimizers.append(name)
            elif isinstance(value, keras.losses.Loss) or (callable(value) and not isinstance(value, type)
                                                           and name.startswith("loss")):
                losses.append(name)
            elif isinstance(value, np.ndarray) or (tf.is_tensor(value) and not isinstance(value, keras.Variable)):
                arrays.append(name)
        return {"arrays": sorted(arrays), "losses": sorted(losses), "optimizers": sorted(optimizers)}

    def _context(self) -> dict:
        return {"variables": {v.path for v in self._target.variables},
                "layers": {n.path for n in self._target.layers}, "names": set(self._namespace)}

    def _ref(self, path: str) -> Any:
        return next(v for v in self._target.variables if v.path == path)

    def _layer(self, path: str) -> Any:
        return next(n for n in self._target.layers if n.path == path)

    def _lookup(self, name: str, what: str) -> Any:
        if name not in self._namespace:
            raise WeightMagicError(f"{what}: no {name!r} in the notebook namespace.")
        return self._namespace[name]

    def handle(self, message: Any) -> dict:
        """Validate and carry out one browser message; returns the status shown in the widget."""
        try:
            request = validate(message, self._context())
            text = self._act(request)
            status = {"id": request["id"], "kind": "ok", "text": text}
        except WeightMagicError as exc:
            status = {"id": message.get("id") if isinstance(message, dict) else None, "kind": "error", "text": str(exc)}
        except Exception as exc:  # a failure must show in the widget, never pass silently
            status = {"id": None, "kind": "error", "text": f"{type(exc).__name__}: {exc}"}
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
            return "refreshed"
        result = self._edit(action, request)
        if self.detail.get("path") in {v.path for v in self._target.variables}:
            self.detail = self._detail(self.detail["path"])
        return str(result)

    def _edit(self, action: str, request: dict) -> Any:
        if action == "undo":
            return undo(1)
        if action == "set_trainable":
            return set_weights(self._layer(request["path"]).layer, trainable=request["value"])
        if action == "step":
            loss = request["loss"]
            optimizer = request["optimizer"]
            return step(
                self._obj, x=self._lookup(request["x"], "x"), y=self._lookup(request["y"], "y"),
                loss=self._namespace[loss] if loss in self._namespace else loss,
                optimizer=self._namespace[optimizer] if optimizer in self._namespace else optimizer,
                lr=request["lr"], steps=request["steps"], label=self._label,
            )
        if action == "reinit":
            return self._reinit(request["path"])
        ref = self._ref(request["path"])
        if action == "set_constant":
            return set_weights(ref.variable, request["value"])
        if action == "scale":
            return set_weights(ref.variable, request["factor"], op="*=")
        noise = np.random.default_rng().normal(0.0, request["std"], ref.shape).astype(ref.read().dtype)
        return set_weights(ref.variable, noise, op="+=")

    def _reinit(self, path: str) -> Any:
        nodes = {n.path: n for n in self._target.layers}
        if path in nodes:
            return set_weights(nodes[path].layer, init=True)
        ref = self._ref(path)
        owner = nodes.get(ref.layer_path)
        initializer = keras3.configured_initializer(owner.layer, ref.variable.name) if owner else None
        if initializer is None:
            raise WeightMagicError(f"{path}: no configured initializer is known for it; use %setweights ... --init NAME.")
        return set_weights(ref.variable, initializer)

    def _detail(self, path: str) -> dict:
        ref = self._ref(path)
        from ..stats import summarize

        array = ref.read()
        stats, histogram = summarize(array, 64)
        detail = {"path": path, "shape": list(ref.shape), "dtype": ref.dtype, "stats": stats.to_dict(),
                  "histogram": histogram.to_dict()}
        if array.ndim >= 2 and array.dtype.kind == "f" and array.size:
            detail["heatmap"] = heatmap(array)
        return detail

    def __repr__(self) -> str:
        return str(self._report)

    def _repr_html_(self) -> str:
        return self._report._repr_html_()


def inspect(target: Any, *, label: Optional[str] = None, build: Any = None, bins: int = 32) -> Inspector:
    """The interactive widget for a layer, model or variable (built first on ``build``)."""
    if build is not None:
        resolve(target, label or label_of(target), build)
    return Inspector(target, label=label, bins=bins)
