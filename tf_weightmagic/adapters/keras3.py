"""Keras 3 layers and models: the layer tree, build state, pending variables, building."""

from __future__ import annotations

from typing import Any, Optional

import keras

from ..errors import WeightMagicError
from ..shapes import BuildShape, format_shape
from .base import LayerNode, Target, VarRef


def is_layer(obj: Any) -> bool:
    return isinstance(obj, keras.layers.Layer)


def is_variable(obj: Any) -> bool:
    return isinstance(obj, keras.Variable)


def children(layer: Any) -> list:
    """Direct sub-layers, in tracking order, without ``InputLayer``s."""
    return [
        c for c in layer._flatten_layers(include_self=False, recursive=False)
        if not isinstance(c, keras.layers.InputLayer)
    ]


def _policy(layer: Any) -> tuple:
    policy = getattr(layer, "dtype_policy", None)
    if policy is None:
        return None, None
    return getattr(policy, "variable_dtype", None), getattr(policy, "compute_dtype", None)


def layer_target(layer: Any, label: str) -> Target:
    """Walk ``layer``'s tree once: every layer (shared ones marked), every weight once."""
    trainable_ids = {id(v) for v in layer.trainable_weights}
    target = Target(label=label, obj=layer, kind="layer")
    first_seen: dict = {}
    claimed: set = set()
    paths: set = set()

    def visit(node_layer: Any, parent: Optional[LayerNode], depth: int) -> None:
        own_path = node_layer.path if getattr(node_layer, "path", None) else None
        path = own_path or (f"{parent.path}/{node_layer.name}" if parent else node_layer.name)
        if parent and path in paths:
            path = f"{parent.path}/{node_layer.name}"
        paths.add(path)
        variable_dtype, compute_dtype = _policy(node_layer)
        node = LayerNode(
            path=path, name=node_layer.name, cls=type(node_layer).__name__, depth=depth,
            parent=parent.path if parent else None, built=bool(node_layer.built),
            trainable=bool(node_layer.trainable), layer=node_layer,
            variable_dtype=variable_dtype, compute_dtype=compute_dtype,
        )
        target.layers.append(node)
        if id(node_layer) in first_seen:
            node.shared_with = first_seen[id(node_layer)]
            return
        first_seen[id(node_layer)] = path
        subs = children(node_layer)
        below = {id(w) for c in subs for w in c.weights}
        for w in node_layer.weights:
            if id(w) in below or id(w) in claimed:
                continue
            claimed.add(id(w))
            ref = VarRef(path=w.path, variable=w, trainable=id(w) in trainable_ids, layer_path=path)
            node.own.append(ref)
            target.variables.append(ref)
        if not node.built:
            node.pending = pending_variables(node_layer)
        for c in subs:
            visit(c, node, depth + 1)

    visit(layer, None, 0)
    return target


def variable_target(variable: Any, label: str) -> Target:
    target = Target(label=label, obj=variable, kind="variable")
    target.variables.append(VarRef(path=variable.path, variable=variable, trainable=bool(variable.trainable)))
    return target


def _units(n: Any) -> Optional[int]:
    return int(n) if isinstance(n, int) else None


def pending_variables(layer: Any) -> list:
    """``[(name, shape)]`` an unbuilt layer will create, ``None`` for dims the input decides.

    Known for Keras's common layers; other layers report nothing (their shapes depend
    entirely on their ``build``).
    """
    L = keras.layers
    bias = getattr(layer, "use_bias", False)
    out: list = []
    if isinstance(layer, L.SeparableConv1D | L.SeparableConv2D):
        ks, dm, f = tuple(layer.kernel_size), layer.depth_multiplier, layer.filters
        out = [("depthwise_kernel", ks + (None, dm)), ("pointwise_kernel", (1,) * len(ks) + (None, f))]
        return out + ([("bias", (f,))] if bias else [])
    if isinstance(layer, L.DepthwiseConv1D | L.DepthwiseConv2D):
        ks = tuple(layer.kernel_size)
        return [("kernel", ks + (None, layer.depth_multiplier))] + ([("bias", (None,))] if bias else [])
    if isinstance(layer, L.Conv1DTranspose | L.Conv2DTranspose | L.Conv3DTranspose):
        ks, f = tuple(layer.kernel_size), layer.filters
        return [("kernel", ks + (f, None))] + ([("bias", (f,))] if bias else [])
    if isinstance(layer, L.Conv1D | L.Conv2D | L.Conv3D):
        ks, f = tuple(layer.kernel_size), layer.filters
        return [("kernel", ks + (None, f))] + ([("bias", (f,))] if bias else [])
    if isinstance(layer, L.Dense):
        u = layer.units
        return [("kernel", (None, u))] + ([("bias", (u,))] if bias else [])
    if isinstance(layer, L.BatchNormalization):
        out = [("gamma", (None,))] if layer.scale else []
        out += [("beta", (None,))] if layer.center else []
        return out + [("moving_mean", (None,)), ("moving_variance", (None,))]
    if isinstance(layer, L.LayerNormalization):
        return ([("gamma", (None,))] if layer.scale else []) + ([("beta", (None,))] if layer.center else [])
    if isinstance(layer, L.Embedding):
        return [("embeddings", (_units(layer.input_dim), _units(layer.output_dim)))]
    if isinstance(layer, L.LSTM | L.GRU | L.SimpleRNN):
        u = layer.units
        gates = 4 if isinstance(layer, L.LSTM) else 3 if isinstance(layer, L.GRU) else 1
        out = [("kernel", (None, gates * u)), ("recurrent_kernel", (u, gates * u))]
        if bias:
            two = isinstance(layer, L.GRU) and layer.cell.reset_after
            out.append(("bias", (2, gates * u) if two else (gates * u,)))
        return out
    return out


def pending_note(layer: Any) -> str:
    """Why an unbuilt layer has no variables, and what to do about it."""
    return (
        f"{type(layer).__name__} '{layer.name}' is not built: Keras creates its variables "
        "on the first call (or build), from the input shape. Use --build SHAPE to build it now."
    )


def pending_text(pending: list) -> str:
    return ", ".join(f"{name} {format_shape(shape)}" for name, shape in pending)


def build(layer: Any, shape: BuildShape) -> None:
    """Build ``layer`` as its first call would: a symbolic call on ``KerasTensor`` inputs."""
    shapes = shape if isinstance(shape, list) else [shape]
    inputs = [keras.KerasTensor(tuple(s)) for s in shapes]
    try:
        if len(inputs) == 1:
            layer(inputs[0])
        elif isinstance(layer, keras.Model):
            layer(inputs)
        else:
            layer(*inputs)
    except Exception as exc:  # Keras raises many types for a shape that does not fit
        shown = [format_shape(tuple(s)) for s in shapes]
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightMagicError(
            f"--build {', '.join(shown)}: {type(layer).__name__} '{layer.name}' cannot be built "
            f"on this input: {first}"
        ) from None


class ForgetGateBias(keras.initializers.Initializer):
    """An LSTM's bias as Keras builds it with ``unit_forget_bias``: its own initializer, but ones
    for the forget gate (the second quarter)."""

    def __init__(self, base: Any) -> None:
        self.base = base

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        units = shape[-1] // 4
        return keras.ops.concatenate([self.base((units,), dtype=dtype), keras.ops.ones((units,), dtype=dtype),
                                      self.base((2 * units,), dtype=dtype)])


def configured_initializer(layer: Any, variable_name: str) -> Optional[Any]:
    """The initializer ``layer`` was configured with for its variable ``variable_name``, if known
    (as Keras's own ``build`` would use it)."""
    stem = variable_name.split("_")[0]
    names = [f"{variable_name}_initializer", f"{stem}_initializer"]
    if variable_name == "kernel":
        names.append("depthwise_initializer")  # DepthwiseConv's kernel
    for owner in (layer, getattr(layer, "cell", None)):
        for attr in names:
            init = getattr(owner, attr, None) if owner is not None else None
            if init is not None:
                init = keras.initializers.get(init)
                if variable_name == "bias" and getattr(owner, "unit_forget_bias", False):
                    return ForgetGateBias(init)
                return init
    return None


def train_state_note(model: Any) -> Optional[str]:
    """Whether a trainable-flag change on a compiled model reaches the next ``fit``.

    Found by test on Keras 3.15 / TF 2.21: ``fit`` traces its train step once after
    ``compile`` with the trainable set of that moment and keeps it.
    """
    if not isinstance(model, keras.Model) or not getattr(model, "compiled", False):
        return None
    if getattr(model, "train_function", None) is None:
        return f"{model.name} is compiled but has not trained since: the change takes effect in the next fit()."
    return (
        f"{model.name} has trained since it was compiled: its train step keeps the old trainable set, so call "
        f"{model.name}.compile(...) again (with a fresh optimizer) before the next fit()."
    )
