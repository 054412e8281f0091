"""Parsing of ``--build`` shapes: ``1,28,28,3``, ``"(None, 28, 28, 3)"`` or a list of shapes."""

from __future__ import annotations

import ast
from typing import Union

from .errors import WeightMagicError

Shape = tuple
BuildShape = Union[Shape, list]

_EXPECTED = (
    "expected a shape like 1,28,28,3 or \"(None, 28, 28, 3)\", "
    "or a list of shapes for several inputs: \"[(None, 8, 16), (None, 4, 16)]\""
)


def _check_shape(shape: object, text: object) -> Shape:
    if not isinstance(shape, (tuple, list)) or not shape:
        raise WeightMagicError(f"--build: cannot read a shape from {text!r}; {_EXPECTED}")
    for dim in shape:
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim < 0):
            raise WeightMagicError(
                f"--build: dimension {dim!r} in {text!r} is not a non-negative int or None; {_EXPECTED}"
            )
    return tuple(shape)


def parse_build_shape(value: object) -> BuildShape:
    """A build shape from text or a tuple: one tuple, or a list of tuples for several inputs."""
    if isinstance(value, str):
        text = value.strip().strip("'\"")
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise WeightMagicError(f"--build: cannot read a shape from {value!r}; {_EXPECTED}") from None
    else:
        text, parsed = value, value
    if isinstance(parsed, int) or parsed is None:
        parsed = (parsed,)
    if isinstance(parsed, (tuple, list)) and parsed and all(isinstance(s, (tuple, list)) for s in parsed):
        return [_check_shape(s, text) for s in parsed]
    return _check_shape(parsed, text)


def format_shape(shape: tuple) -> str:
    """``(3, 3, ?, 32)``: unknown dimensions as ``?``, one-element tuples with a comma."""
    dims = ["?" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
