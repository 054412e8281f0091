"""Which adapter handles an object."""

from __future__ import annotations

from typing import Any

from ..errors import WeightMagicError
from . import keras3, tfmodule
from .base import Target

SUPPORTED = "a Keras Layer or Model, a Keras variable, a tf.Variable, or a tf.Module with variables"


def as_target(obj: Any, label: str) -> Target:
    """The :class:`Target` behind ``obj``; a ``WeightMagicError`` naming the type otherwise."""
    if keras3.is_layer(obj):
        return keras3.layer_target(obj, label)
    if keras3.is_variable(obj):
        return keras3.variable_target(obj, label)
    if tfmodule.is_variable(obj):
        return tfmodule.variable_target(obj, label)
    if tfmodule.is_module(obj):
        return tfmodule.module_target(obj, label)
    raise WeightMagicError(f"{label} is a {type(obj).__module__}.{type(obj).__qualname__}; expected {SUPPORTED}.")
