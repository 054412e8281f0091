"""The report model: what every view renders. Statistics only, never values or a model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .changes import Change
from .render import html, text
from .stats import Histogram, Stats


class Rendered:
    """One object, two views (after rich's renderables): the terminal text is ``str()``,
    ``repr()`` and IPython's pretty print; the notebook gets HTML. Subclasses name the two
    renderers, which are pure functions of the object."""

    _text: Any = None
    _html: Any = None

    def __str__(self) -> str:
        return type(self)._text(self)

    __repr__ = __str__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return type(self)._html(self)


@dataclass(frozen=True, eq=False)
class VariableInfo:
    """One variable: where it lives, what it is, and a summary of its values."""

    path: str
    layer: Optional[str]
    shape: tuple
    dtype: str
    trainable: bool
    size: int
    bytes: int
    stats: Optional[Stats] = None
    histogram: Optional[Histogram] = None
    compute_dtype: Optional[str] = None
    values: Optional[str] = None
    replicas: int = 0
    replicas_agree: Optional[bool] = None
    change: Optional[Change] = None

    @property
    def flags(self) -> list:
        flags = list(self.stats.flags) if self.stats else []
        if self.replicas_agree is False:
            flags.append("replicas_differ")
        return flags

    def to_dict(self) -> dict:
        return {
            "path": self.path, "layer": self.layer, "shape": list(self.shape), "dtype": self.dtype,
            "compute_dtype": self.compute_dtype, "trainable": self.trainable, "size": self.size,
            "bytes": self.bytes, "flags": self.flags,
            "stats": self.stats.to_dict() if self.stats else None,
            "histogram": self.histogram.to_dict() if self.histogram else None,
            "values": self.values, "replicas": self.replicas, "replicas_agree": self.replicas_agree,
            "change": self.change.to_dict() if self.change else None,
        }


@dataclass(frozen=True, eq=False)
class LayerInfo:
    """One layer of the tree: build state, trainability, parameter counts, pending variables."""

    path: str
    name: str
    cls: str
    depth: int
    parent: Optional[str]
    built: bool
    trainable: bool
    trainable_params: int
    non_trainable_params: int
    variables: tuple = ()
    pending: tuple = ()
    shared_with: Optional[str] = None
    note: Optional[str] = None
    variable_dtype: Optional[str] = None
    compute_dtype: Optional[str] = None

    @property
    def params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    def to_dict(self) -> dict:
        return {
            "path": self.path, "name": self.name, "class": self.cls, "depth": self.depth,
            "parent": self.parent, "built": self.built, "trainable": self.trainable,
            "trainable_params": self.trainable_params, "non_trainable_params": self.non_trainable_params,
            "variables": list(self.variables),
            "pending": [{"name": n, "shape": list(s)} for n, s in self.pending],
            "shared_with": self.shared_with, "note": self.note,
            "variable_dtype": self.variable_dtype, "compute_dtype": self.compute_dtype,
        }


@dataclass(frozen=True, eq=False, repr=False)
class WeightReport(Rendered):
    """Everything ``%weights TARGET`` shows. ``str()`` is the terminal table, HTML the notebook view."""

    _text = staticmethod(text.render_report)
    _html = staticmethod(html.render_report)

    target: str
    cls: str
    kind: str
    build_state: str
    layers: tuple
    variables: tuple
    trainable_params: int
    non_trainable_params: int
    bytes: int
    total_variables: int
    bins: int = 32
    notes: tuple = ()
    diff_against: Optional[str] = None
    unchanged: tuple = field(default=())

    @property
    def params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    @property
    def built(self) -> bool:
        return self.build_state == "built"

    def variable(self, path: str) -> VariableInfo:
        """The record for ``path`` (a whole path or a ``/``-suffix)."""
        for v in self.variables:
            if v.path == path or v.path.endswith("/" + path):
                return v
        raise KeyError(path)

    def to_dict(self) -> dict:
        return {
            "target": self.target, "class": self.cls, "kind": self.kind, "build_state": self.build_state,
            "trainable_params": self.trainable_params, "non_trainable_params": self.non_trainable_params,
            "params": self.params, "bytes": self.bytes, "total_variables": self.total_variables,
            "bins": self.bins, "notes": list(self.notes), "diff_against": self.diff_against,
            "unchanged": list(self.unchanged),
            "layers": [layer.to_dict() for layer in self.layers],
            "variables": [v.to_dict() for v in self.variables],
        }



@dataclass(frozen=True, eq=False)
class NamespaceRow:
    """One name in the user namespace that holds a layer, model or variable."""

    name: str
    cls: str
    built: str
    trainable_params: int
    non_trainable_params: int
    bytes: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False, repr=False)
class NamespaceReport(Rendered):
    """``%weights`` with no argument: like ``%whos``, for Keras objects."""

    _text = staticmethod(text.render_namespace)
    _html = staticmethod(html.render_namespace)

    rows: tuple

    def to_dict(self) -> dict:
        return {"rows": [r.to_dict() for r in self.rows]}



class Message(str):
    """A plain-text answer (history, save): shown without quotes in a notebook."""

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))
