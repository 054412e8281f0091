"""Save and load weights: ``.weights.h5`` in Keras's own format, ``.npz`` keyed by variable path.

Loading is an edit like any other: the file's values become a plan, so a bad file
changes nothing and ``--undo`` takes a load back.
"""

from __future__ import annotations

import os
import re
import warnings

import keras
import numpy as np

from .adapters import Target
from .edit import Plan, plan_assignments
from .errors import WeightMagicError
from .shapes import format_shape
from .render.common import counted
from .snapshots import capture, format_bytes, restore

FORMATS = "a .weights.h5 file (Keras format) or a .npz file"


def _kind(path: str) -> str:
    if path.endswith(".weights.h5"):
        return "h5"
    if path.endswith(".npz"):
        return "npz"
    raise WeightMagicError(f"{path}: unknown file type; expected {FORMATS}.")


def _keras_model(target: Target, path: str) -> keras.Model:
    if not isinstance(target.obj, keras.Model):
        raise WeightMagicError(f"{path}: .weights.h5 holds a whole model; {target.label} is not one, use a .npz file.")
    return target.obj


def save(target: Target, path: str) -> str:
    """Write every variable of ``target``; returns what was written."""
    kind = _kind(path)
    if kind == "h5":
        _keras_model(target, path).save_weights(path)
    else:
        np.savez(path, **{ref.path: ref.read() for ref in target.variables})
    size = os.path.getsize(path)
    return f"saved {len(target.variables)} variables of {target.label} to {path} ({format_bytes(size)})"


def _failed_layers(message: str) -> list:
    """Layer names from Keras's "List of objects that could not be loaded: [<Dense name=a, ...>]"."""
    listed = message.rsplit("could not be loaded:", 1)[-1] if "List of objects" in message else ""
    return re.findall(r"name=([^,>]+)", listed)


def _mismatch_text(target: Target, message: str) -> str:
    """Which layers (with their variables' shapes) Keras could not load, and its first reason."""
    names = _failed_layers(message)
    if not names:
        return (message.strip().splitlines() or ["mismatch"])[0]
    nodes = [n for n in target.layers if n.name in names and not n.shared_with]
    listed = "; ".join(
        f"{n.path} ({', '.join(f'{v.path} {format_shape(v.shape)}' for v in n.own) or 'no variables of its own'})"
        for n in nodes
    ) or ", ".join(names)
    reason = next((line.split(" Target variable:")[0] for line in message.splitlines()[1:] if line.strip()), "")
    said = f"; Keras says: {reason.strip().rstrip('.')}" if reason else ""
    return f"{len(names)} layer(s) could not be loaded: {listed}{said}"


def _skipped_paths(target: Target, message: str) -> set:
    """The variables of the layers Keras skipped (each layer loads its own variables)."""
    names = set(_failed_layers(message))
    return {v.path for n in target.layers if n.name in names for v in n.own}


def _read_h5(target: Target, path: str, skip_mismatch: bool) -> tuple:
    """Let Keras load the file, read what it put where, then put the old values back."""
    model = _keras_model(target, path)
    saved = capture(target.variables)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.load_weights(path, skip_mismatch=skip_mismatch)
        skipped = set()
        for warning in caught:
            if "could not be loaded" in str(warning.message):
                skipped |= _skipped_paths(target, str(warning.message))
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        return {ref.path: ref.read() for ref in target.variables if ref.path not in skipped}, []
    except Exception as exc:
        raise WeightMagicError(
            f"{path} does not match {target.label}: {_mismatch_text(target, str(exc))}. Nothing was loaded; "
            "pass --skip-mismatch to load the variables that do match."
        ) from None
    finally:
        restore(saved, target.variables)


def _by_position(stored: dict, ours: dict) -> dict:
    """The file's arrays under our paths, when the paths differ but order and shapes agree all along.

    A model made again gets new automatic names (``dense`` → ``dense_1``), as re-running a notebook
    cell does; Keras's own ``.weights.h5`` matches by structure for the same reason.
    """
    if len(stored) != len(ours) or set(stored) == set(ours):
        return {}
    pairs = list(zip(stored.items(), ours.items()))
    if any(array.shape != ref.shape for (_, array), (_, ref) in pairs):
        return {}
    return {mine: array for (_, array), (mine, _) in pairs}


def _read_npz(target: Target, path: str, skip_mismatch: bool) -> tuple:
    """``(values by our path, notes)``."""
    with np.load(path) as data:
        stored = {key: data[key] for key in data.files}
    ours = {ref.path: ref for ref in target.variables}
    matched = _by_position(stored, ours)
    if matched:
        first = next((f, m) for f, m in zip(stored, ours) if f != m)
        return matched, [f"{path}: its paths differ from {target.label}'s (e.g. {first[0]} here is {first[1]}), "
                         f"but all {len(ours)} arrays come in the same order with the same shapes: loaded by position"]
    missing = [p for p in ours if p not in stored]
    extra = [p for p in stored if p not in ours]
    wrong = [f"{p} is {format_shape(stored[p].shape)} in the file, {format_shape(ours[p].shape)} in {target.label}"
             for p in ours if p in stored and stored[p].shape != ours[p].shape]
    if (missing or extra or wrong) and not skip_mismatch:
        parts = [f"missing in the file: {', '.join(missing)}" if missing else "",
                 f"not in {target.label}: {', '.join(extra)}" if extra else "",
                 f"shape differs: {', '.join(wrong)}" if wrong else ""]
        raise WeightMagicError(
            f"{path} does not match {target.label} ({'; '.join(p for p in parts if p)}). Nothing was loaded; "
            "pass --skip-mismatch to load the variables that do match."
        )
    return {p: stored[p] for p in ours if p in stored and stored[p].shape == ours[p].shape}, []


def plan_load(target: Target, path: str, skip_mismatch: bool, allow_nonfinite: bool) -> Plan:
    """A plan that sets every variable the file holds for ``target``."""
    if not os.path.exists(path):
        raise WeightMagicError(f"--load {path}: no such file.")
    kind = _kind(path)
    values, notes = (_read_h5 if kind == "h5" else _read_npz)(target, path, skip_mismatch)
    items = [(ref.variable, "=", values[ref.path]) for ref in target.variables if ref.path in values]
    plan = plan_assignments(None, items, allow_nonfinite, f"load {path} into {target.label}")
    plan.notes += notes
    skipped = len(target.variables) - len(items)
    if skipped:
        kept = ", ".join(ref.path for ref in target.variables if ref.path not in values)
        plan.notes.append(
            f"--skip-mismatch: {counted(skipped, 'variable')} of {target.label} did not match the file and kept their values: {kept}"
        )
    return plan
