"""User values → arrays a variable accepts: initializers, casting, shape and finiteness checks."""

from __future__ import annotations

import difflib
from typing import Any

import keras
import numpy as np

from .adapters import Target, VarRef
from .errors import ShapeMismatch, WeightMagicError
from .shapes import format_shape

OPS = {"=": None, "+=": np.add, "-=": np.subtract, "*=": np.multiply, "/=": np.divide}


def lookup(target: Target, name: str) -> VarRef:
    """The one variable under ``target`` whose path is ``name`` or ends with ``/name``."""
    found = [v for v in target.variables if v.path == name or v.path.endswith("/" + name)]
    if len(found) == 1:
        return found[0]
    paths = [v.path for v in target.variables]
    if not paths:
        raise WeightMagicError(f"{target.label} has no variables yet, so nothing is named {name!r}.")
    if found:
        listed = ", ".join(v.path for v in found)
        raise WeightMagicError(f"{name!r} matches several variables of {target.label}: {listed}; give more of the path.")
    close = difflib.get_close_matches(name, paths, n=len(paths), cutoff=0.0)
    raise WeightMagicError(f"no variable {name!r} under {target.label}; candidates: {', '.join(close[:8])}")


def is_initializer(value: Any) -> bool:
    return isinstance(value, keras.initializers.Initializer)


def get_initializer(init: Any, seed: Any = None) -> keras.initializers.Initializer:
    """A Keras initializer from a name or an instance, reseeded when ``seed`` is given."""
    try:
        initializer = keras.initializers.get(init)
    except (ValueError, TypeError):
        raise WeightMagicError(
            f"--init {init!r}: not a Keras initializer; expected a name like glorot_uniform, he_normal, zeros, "
            "or an instance like keras.initializers.RandomNormal(0.0, 0.05)."
        ) from None
    if seed is not None and "seed" in initializer.get_config():
        config = dict(initializer.get_config(), seed=int(seed))
        initializer = type(initializer).from_config(config)
    return initializer


def _as_array(value: Any, ref: VarRef) -> np.ndarray:
    if is_initializer(value):
        return np.asarray(value(ref.shape, dtype=ref.dtype))
    if isinstance(value, (str, bytes)):
        raise WeightMagicError(f"{ref.path}: got the string {value!r}; expected a number, an array or an initializer.")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise WeightMagicError(f"{ref.path}: cannot read {type(value).__name__} as an array ({exc}).") from None
    if array.dtype == object or array.dtype.kind in "USV":
        raise WeightMagicError(f"{ref.path}: got {array.dtype} values; expected numbers (a ragged list?).")
    return array


def cast(array: np.ndarray, dtype: np.dtype, path: str) -> np.ndarray:
    """Cast to the variable's dtype when no information is lost in a way a user would not expect."""
    if array.dtype == dtype:
        return array
    if array.dtype.kind == "c":
        raise WeightMagicError(f"{path}: complex values cannot be stored in a {dtype} variable; take .real or abs() first.")
    if dtype.kind in "iub":
        if array.dtype.kind == "f" and not np.all(np.isfinite(array) & (array == np.round(array))):
            raise WeightMagicError(f"{path}: {array.dtype} values with fractions cannot be stored in a {dtype} variable.")
        if dtype.kind == "b" and array.dtype.kind != "b" and array.size and not np.all((array == 0) | (array == 1)):
            raise WeightMagicError(f"{path}: a bool variable holds 0/1 or False/True; got values {array.min()}..{array.max()}.")
        if dtype.kind != "b" and array.size:
            info = np.iinfo(dtype)
            lo, hi = array.min(), array.max()
            if lo < info.min or hi > info.max:
                raise WeightMagicError(f"{path}: values {lo}..{hi} are out of range for {dtype} ({info.min}..{info.max}).")
    with np.errstate(over="ignore", invalid="ignore"):
        result = array.astype(dtype)
    if dtype.kind == "f" and array.dtype.kind in "fiu":
        overflow = np.isfinite(array) & ~np.isfinite(result)
        if np.any(overflow):
            big = float(np.max(np.abs(array[overflow])))
            raise WeightMagicError(
                f"{path}: values up to {big:g} are out of range for {dtype} (largest {float(np.finfo(dtype).max):g})."
            )
    return result


def new_value(ref: VarRef, op: str, value: Any, current: np.ndarray, allow_nonfinite: bool) -> np.ndarray:
    """The array ``ref`` will hold after ``ref op value``, checked for shape, dtype and finiteness."""
    array = _as_array(value, ref)
    shape = ref.shape
    if op == "=":
        if array.shape != shape and array.size != 1:
            raise ShapeMismatch(
                f"shape mismatch for {ref.path}: expected {format_shape(shape)}, got {format_shape(array.shape)}."
            )
        result = np.broadcast_to(array.reshape(()) if array.size == 1 else array, shape)
    else:
        try:
            fits = np.broadcast_shapes(array.shape, shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ShapeMismatch(
                f"shape mismatch for {ref.path} {op}: {format_shape(array.shape)} does not broadcast to "
                f"{format_shape(shape)}."
            )
        with np.errstate(all="ignore"):
            result = OPS[op](current, array)
    result = cast(np.asarray(result), current.dtype, ref.path)
    if not allow_nonfinite and result.dtype.kind == "f" and not np.all(np.isfinite(result)):
        bad = int(np.count_nonzero(~np.isfinite(result)))
        raise WeightMagicError(
            f"{ref.path}: the new value has {bad} NaN/Inf entries; refused (pass --allow-nonfinite to store them)."
        )
    return np.require(result, requirements="C")


def describe(value: Any) -> str:
    """A short text for a value in an edit's label: ``0.5``, ``array(3, 3, 1, 4)``, ``RandomNormal``."""
    if is_initializer(value):
        return type(value).__name__
    if isinstance(value, (int, float, bool)):
        return repr(value)
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__}{format_shape(tuple(shape))}"
    return type(value).__name__
