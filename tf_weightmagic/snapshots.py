"""Copies of variable values and trainable flags, by path, with what they cost in memory.

Named snapshots (``--snapshot`` / ``--diff``) and the undo journal both store these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .adapters import VarRef


@dataclass(eq=False)
class Saved:
    """The values (copied) and trainable flags of some variables, plus layer trainable flags."""

    values: dict = field(default_factory=dict)
    variable_trainable: dict = field(default_factory=dict)
    layer_trainable: list = field(default_factory=list)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.values.values())


def capture(refs: Iterable[VarRef], layers: Iterable = ()) -> Saved:
    """Keep the current values of ``refs`` and the trainable flags of ``layers`` (Keras layers).

    No copy is made: TensorFlow variables are copy-on-write, so an array read before an
    ``assign`` keeps its values (and costs memory only once the variable changes).
    """
    saved = Saved()
    for ref in refs:
        saved.values[ref.path] = ref.read()
        saved.variable_trainable[ref.path] = bool(getattr(ref.variable, "trainable", True))
    saved.layer_trainable = [(layer, bool(layer.trainable)) for layer in layers]
    return saved


def restore(saved: Saved, refs: Iterable[VarRef]) -> None:
    """Put back values, then variable and layer trainable flags, exactly as captured."""
    by_path = {r.path: r for r in refs}
    for path, value in saved.values.items():
        by_path[path].assign(value)
    for layer, flag in saved.layer_trainable:
        layer._trainable = flag
    for path, flag in saved.variable_trainable.items():
        by_path[path].variable.trainable = flag


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
