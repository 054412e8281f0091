"""The messages the browser may send, checked against an explicit schema before anything acts.

Nothing from the browser is evaluated: paths must name existing layers or variables,
numbers must be finite and in range, and namespace names are looked up, never run.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import WeightMagicError

NUMBER_LIMIT = 1e6

# action → {field: kind}; kinds: "variable", "layer", "node" (either), "bool", "number",
# "positive", "nonnegative", "steps", "name" (a public name in the notebook namespace: looked up,
# never evaluated), "loss" (such a name or a Keras loss name), "optimizer" (a Keras optimizer name,
# "compiled", or a namespace name)
ACTIONS: dict = {
    "refresh": {},
    "undo": {},
    "select": {"path": "variable"},
    "set_trainable": {"path": "layer", "value": "bool"},
    "set_constant": {"path": "variable", "value": "number"},
    "scale": {"path": "variable", "factor": "number"},
    "add_noise": {"path": "variable", "std": "nonnegative"},
    "reinit": {"path": "node"},
    "step": {"x": "name", "y": "name", "loss": "loss", "optimizer": "optimizer", "lr": "positive", "steps": "steps"},
}
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "compiled")
MAX_STEPS = 1000


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise WeightMagicError(f"{field}: expected a finite number, got {value!r}.")
    if abs(value) > NUMBER_LIMIT:
        raise WeightMagicError(f"{field}: {value!r} is out of range (|x| ≤ {NUMBER_LIMIT:g}).")
    return float(value)


def _check(kind: str, value: Any, field: str, context: dict) -> Any:
    if kind in ("variable", "layer", "node"):
        allowed = {"variable": context["variables"], "layer": context["layers"],
                   "node": context["variables"] | context["layers"]}[kind]
        if not isinstance(value, str) or value not in allowed:
            raise WeightMagicError(f"{field}: {value!r} is not a {kind} of this model; refresh the widget.")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise WeightMagicError(f"{field}: expected true or false, got {value!r}.")
        return value
    if kind == "number":
        return _number(value, field)
    if kind in ("positive", "nonnegative"):
        number = _number(value, field)
        if number < 0 or (kind == "positive" and number == 0):
            raise WeightMagicError(f"{field}: expected a {kind} number, got {value!r}.")
        return number
    if kind == "steps":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_STEPS:
            raise WeightMagicError(f"{field}: expected a whole number of steps from 1 to {MAX_STEPS}.")
        return value
    if kind == "name":
        if not isinstance(value, str) or not value.isidentifier() or value not in context["names"]:
            raise WeightMagicError(f"{field}: expected the name of an array in the notebook, got {value!r}; "
                                   "define it, then refresh the widget.")
        return value
    if kind == "loss":
        if not isinstance(value, str) or not value.isidentifier() or value.startswith("_"):
            raise WeightMagicError(f"{field}: expected a Keras loss name or a loss in the notebook, got {value!r}.")
        return value
    if kind == "optimizer":
        if not isinstance(value, str) or (value not in OPTIMIZERS and value not in context["names"]):
            raise WeightMagicError(f"{field}: expected one of {', '.join(OPTIMIZERS)} or an optimizer's name.")
        return value
    raise AssertionError(kind)


def validate(message: Any, context: dict) -> dict:
    """A clean ``{"action", "id", ...fields}`` or a ``WeightMagicError`` saying what was wrong.

    ``context`` holds the sets ``variables``, ``layers`` (paths) and ``names`` (public namespace names).
    ``id``, when given, must be an integer; it comes back in the status so the browser can match it.
    """
    if not isinstance(message, dict):
        raise WeightMagicError("message: expected an object.")
    action = message.get("action")
    if action not in ACTIONS:
        raise WeightMagicError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}.")
    schema = ACTIONS[action]
    extra = set(message) - set(schema) - {"action", "id"}
    if extra:
        raise WeightMagicError(f"{action}: unexpected field(s) {', '.join(sorted(map(str, extra)))}.")
    request_id = message.get("id")
    if request_id is not None and (isinstance(request_id, bool) or not isinstance(request_id, int)):
        raise WeightMagicError(f"{action}: id must be an integer, got {request_id!r}.")
    clean = {"action": action, "id": request_id}
    for field, kind in schema.items():
        if field not in message:
            raise WeightMagicError(f"{action}: missing field {field!r}.")
        clean[field] = _check(kind, message[field], f"{action}.{field}", context)
    return clean
