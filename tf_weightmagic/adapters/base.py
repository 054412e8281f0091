"""The framework-neutral view of a target: layers, variables, and how to read and write them."""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from functools import cached_property
from typing import Any, Optional

import numpy as np

from .distribute import local_value, replica_values


@dataclass(eq=False)
class VarRef:
    """One variable under a target, named by its Keras path."""

    path: str
    variable: Any
    trainable: bool
    layer_path: Optional[str] = None

    @cached_property
    def shape(self) -> tuple:
        # A Keras variable keeps its shape as a tuple; its TF backend's ``.shape`` builds a TensorShape.
        known = getattr(self.variable, "_shape", None)
        return known if isinstance(known, tuple) else tuple(int(d) for d in self.variable.shape)

    @cached_property
    def dtype(self) -> str:
        dtype = self.variable.dtype
        return getattr(dtype, "name", str(dtype))

    @cached_property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return np.dtype(self.dtype).itemsize if self.dtype != "bfloat16" else 2

    def read(self) -> np.ndarray:
        """The current values, without a copy where the framework allows: never write to it."""
        return read_array(self.variable)

    def replicas(self) -> list:
        """Per-replica arrays of a distributed variable, else an empty list."""
        return replica_values(self.variable)

    def assign(self, value: np.ndarray) -> None:
        self.variable.assign(value)


def read_array(variable: Any) -> np.ndarray:
    """A variable's values as numpy; zero-copy for eager TF variables on the CPU."""
    tensor = local_value(variable)
    try:
        return tensor._numpy()
    except AttributeError:
        return np.asarray(tensor)


@dataclass(eq=False)
class LayerNode:
    """One layer in the tree under a target, with the variables it owns directly."""

    path: str
    name: str
    cls: str
    depth: int
    parent: Optional[str]
    built: bool
    trainable: bool
    layer: Any
    own: list = field(default_factory=list)
    shared_with: Optional[str] = None
    pending: list = field(default_factory=list)
    variable_dtype: Optional[str] = None
    compute_dtype: Optional[str] = None


@dataclass(eq=False)
class Target:
    """What an expression names: a layer tree, or a bare set of variables."""

    label: str
    obj: Any
    kind: str
    layers: list = field(default_factory=list)
    variables: list = field(default_factory=list)

    @property
    def root(self) -> Optional[LayerNode]:
        return self.layers[0] if self.layers else None

    def subtree(self, node: LayerNode) -> list:
        """``node`` and every layer below it (the tree is stored depth-first)."""
        start = self.layers.index(node)
        end = start + 1
        while end < len(self.layers) and self.layers[end].depth > node.depth:
            end += 1
        return self.layers[start:end]

    def first_node(self, node: LayerNode) -> LayerNode:
        """Where ``node``'s layer is first seen: a shared layer's variables are listed there."""
        return next((n for n in self.layers if n.layer is node.layer and not n.shared_with), node)

    def variables_under(self, node: LayerNode) -> list:
        """Every variable under ``node`` once, shared layers included (as Keras's ``count_params()``)."""
        found: dict = {}
        for n in self.subtree(self.first_node(node)):
            refs = self.variables_under(self.first_node(n)) if n.shared_with else n.own
            for v in refs:
                found.setdefault(id(v.variable), v)
        return list(found.values())
