"""``tf.distribute`` variables: the local value to read, and the replicas or shards to compare."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import gen_resource_variable_ops, resource_variable_ops


def backing(variable: Any) -> Any:
    """The ``tf.Variable`` (maybe distributed) behind a Keras variable, or the variable itself."""
    inner = getattr(variable, "value", None)
    return variable if inner is None or callable(inner) else inner


def local_value(variable: Any) -> Any:
    """The tensor to read: for a mirrored variable, the local replica's value.

    A plain resource variable is read with the bare read op: half the Python overhead of
    ``value()``, which matters across the hundreds of variables of a model.
    """
    inner = backing(variable)
    if type(inner) is resource_variable_ops.ResourceVariable:
        return gen_resource_variable_ops.read_variable_op(inner.handle, inner.dtype)
    return inner.value()


def replica_values(variable: Any) -> list:
    """Each replica's (mirrored) or shard's (sharded) values as numpy, else ``[]``."""
    inner = backing(variable)
    if isinstance(inner, tf.distribute.DistributedValues):
        return [np.asarray(v) for v in inner.values]
    shards = getattr(inner, "variables", None)
    if type(inner).__name__ == "ShardedVariable" and shards:
        return [np.asarray(v) for v in shards]
    return []
