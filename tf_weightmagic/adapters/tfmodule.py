"""Plain TensorFlow: a ``tf.Variable``, or a ``tf.Module`` holding variables."""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from .base import Target, VarRef


def is_module(obj: Any) -> bool:
    return isinstance(obj, tf.Module)


def is_variable(obj: Any) -> bool:
    return isinstance(obj, tf.Variable)


def variable_path(variable: Any) -> str:
    name = variable.name
    return name[:-2] if name.endswith(":0") else name


def variable_target(variable: Any, label: str) -> Target:
    target = Target(label=label, obj=variable, kind="variable")
    target.variables.append(VarRef(path=variable_path(variable), variable=variable, trainable=bool(variable.trainable)))
    return target


def module_target(module: Any, label: str) -> Target:
    """Every variable a ``tf.Module`` tracks, named by its attribute path under the module."""
    trainable = {id(v) for v in module.trainable_variables}
    target = Target(label=label, obj=module, kind="module")
    seen: set = set()
    found = module._flatten(predicate=lambda x: isinstance(x, tf.Variable), with_path=True)
    for path, variable in found:
        if id(variable) in seen:
            continue
        seen.add(id(variable))
        name = "/".join(str(p) for p in (module.name, *path))
        target.variables.append(VarRef(path=name, variable=variable, trainable=id(variable) in trainable))
    return target
