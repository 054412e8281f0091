"""``set_weights``, ``undo`` and ``history``: the Python API behind ``%setweights``."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import keras

from . import weightio
from .adapters import Target
from .edit import (EditResult, Plan, execute, plan_assignments, plan_init, plan_trainable, refuse_dry_build, training_notes,
                   variable_change)
from .errors import WeightMagicError
from .inspection import label_of, resolve
from .records import Message
from .session import SESSION, notebook_namespace
from .shapes import BuildShape
from .values import OPS, describe


def _items(target: Optional[Target], values: Any, op: str) -> list:
    """``[(where, op, value)]`` from a dict of names, a list of triples, or one value for the target."""
    if op not in OPS:
        raise WeightMagicError(f"operator {op!r}: expected one of {', '.join(OPS)}.")
    if isinstance(values, dict):
        return [(name, op, value) for name, value in values.items()]
    if isinstance(values, list) and values and all(isinstance(t, tuple) and len(t) == 3 for t in values):
        return values
    if target is None:
        raise WeightMagicError("nothing to set: give a target, e.g. set_weights(conv.kernel, 0.5).")
    return [(target.obj, op, values)]


def _edit_label(name: str, items: list) -> str:
    """``conv: kernel = ndarray(3, 3, 1, 4), bias = 0`` for the journal and the printout."""
    def where(w: Any) -> str:
        return w if isinstance(w, str) else getattr(w, "path", None) or getattr(w, "name", None) or type(w).__name__
    listed = ", ".join(f"{where(w)} {op} {describe(v)}" for w, op, v in items)
    return f"{name}: {listed}" if name else listed


def _plan(resolved: Optional[Target], values: Any, op: str, init: Any, seed: Optional[int], trainable: Optional[bool],
          freeze: Optional[str], unfreeze: Optional[str], load: Optional[str], skip_mismatch: bool,
          allow_nonfinite: bool, name: str) -> Plan:
    """The plan for whichever one thing ``set_weights`` was asked to do."""
    if load is not None:
        return weightio.plan_load(resolved, load, skip_mismatch, allow_nonfinite)
    if init is not None:
        named = "" if init is True else init if isinstance(init, str) else describe(init)
        return plan_init(resolved, init, seed, allow_nonfinite, f"{name} --init {named}".strip())
    if trainable is not None or freeze is not None or unfreeze is not None:
        parts = [f"--trainable {trainable}" if trainable is not None else "",
                 f"--freeze {freeze}" if freeze else "", f"--unfreeze {unfreeze}" if unfreeze else ""]
        return plan_trainable(resolved, trainable, freeze, unfreeze, f"{name} {' '.join(p for p in parts if p)}")
    if values is not None:
        items = _items(resolved, values, op)
        return plan_assignments(resolved, items, allow_nonfinite, _edit_label(name, items))
    raise WeightMagicError(
        "nothing to do: give a value (conv.kernel = 0), --init, --trainable, --freeze/--unfreeze, "
        "--step, --undo, --history, --save or --load."
    )


def _check_one_action(values: Any, init: Any, seed: Any, flags: bool, load: Any, save: Any) -> None:
    """One ``%setweights`` does one thing: an option that would be silently ignored is an error."""
    given = [name for name, on in (("values", values is not None), ("--init", init is not None),
                                   ("--trainable/--freeze/--unfreeze", flags), ("--load", load is not None),
                                   ("--save", save is not None)) if on]
    if len(given) > 1:
        raise WeightMagicError(f"{' and '.join(given)} cannot be combined in one %setweights; run them one at a time.")
    if seed is not None and init is None:
        raise WeightMagicError(
            f"--seed {seed}: only --init uses a seed; add --init NAME, e.g. --init he_normal --seed {seed}."
        )


def compiled_holders(namespace: dict, layer: Any) -> list:
    """Compiled Keras models in ``namespace`` that contain ``layer`` (its flags change their training)."""
    models = [m for name, m in list(namespace.items()) if not str(name).startswith("_") and isinstance(m, keras.Model)
              and m is not layer and getattr(m, "compiled", False)]
    return [m for m in {id(m): m for m in models}.values() if any(sub is layer for sub in m._flatten_layers())]


def _dry_undo(n: int) -> Message:
    """What ``--undo n`` would take back, without taking it back."""
    SESSION.journal.check(n)
    labels = "; ".join(e.label for e in reversed(SESSION.journal.entries[-n:]))
    return Message(f"dry run: --undo {n} would take back: {labels}; nothing was changed.")


def _undo(n: int) -> EditResult:
    """Take back the last ``n`` edits, bit for bit, flags included."""
    entries = SESSION.journal.entries[-n:] if isinstance(n, int) and n > 0 else []
    before = {p: a for e in entries for p, a in
              ((r.path, r.read()) for r in e.refs if r.path in e.before.values)}
    layers = list({id(layer): layer for e in entries for layer, _ in e.before.layer_trainable}.values())
    flags_before = [bool(layer.trainable) for layer in layers]
    taken = SESSION.journal.pop(n)
    SESSION.changed([r for entry in taken for r in entry.refs])
    changes = []
    for entry in taken:
        for ref in entry.refs:
            if ref.path in before and ref.path in entry.before.values:
                change = variable_change(ref.path, before.pop(ref.path), ref.read())
                if not change.change.unchanged:
                    changes.append(change)
    labels = "; ".join(e.label for e in taken)
    flags = tuple((layer.path or layer.name, was, bool(layer.trainable)) for layer, was in zip(layers, flags_before)
                  if was != bool(layer.trainable))
    models = list({id(m): m for e in taken for m in e.models}.values()) if flags else []
    return EditResult(label=f"undo {len(taken)}: {labels}", dry_run=False, variables=tuple(changes), flags=flags,
                      notes=tuple(training_notes(models)))


def _history() -> Message:
    return Message("\n".join(SESSION.journal.lines()))


def set_weights(
    target: Any = None, values: Any = None, *, op: str = "=", init: Any = None, seed: Optional[int] = None,
    build: Optional[BuildShape] = None, trainable: Optional[bool] = None, freeze: Optional[str] = None,
    unfreeze: Optional[str] = None, dry_run: bool = False, allow_nonfinite: bool = False,
    undo: Optional[int] = None, history: bool = False, save: Optional[str] = None, load: Optional[str] = None,
    skip_mismatch: bool = False, label: Optional[str] = None, holders: Optional[Sequence] = None,
    step: bool = False, **step_options: Any,
) -> Any:
    """Change weights or trainable flags, all or nothing, journaled for undo; returns what changed.

    ``values``: one value for ``target`` (a variable, or every variable of a layer), a dict
    ``{name: value}`` of variables under ``target``, or a list of ``(where, op, value)``.
    A value is an array, list, scalar (broadcast), tensor, variable or Keras initializer.
    ``holders``: models that contain ``target``; when flags change, each compiled one gets a
    note on whether its next ``fit`` sees the change (default: the compiled models in the notebook).
    ``step=True`` with ``x``, ``y``, ``loss``, ``lr``, ``optimizer``, ``steps``, ``batch_size``
    (``%setweights --step``) is :func:`tf_weightmagic.step`.
    """
    if step:
        from .step import step as take_step

        return take_step(target, dry_run=dry_run, allow_nonfinite=allow_nonfinite, label=label, **step_options)
    if step_options:
        raise WeightMagicError(f"{', '.join(sorted(step_options))}: only for a gradient step; add step=True (--step).")
    if history:
        return _history()
    if undo is not None:
        return _dry_undo(undo) if dry_run else _undo(undo)
    _check_one_action(values, init, seed, any(x is not None for x in (trainable, freeze, unfreeze)), load, save)
    resolved = None
    built_now = build is not None and target is not None and not getattr(target, "built", True)
    if built_now and dry_run:
        refuse_dry_build(label or label_of(target), "--build")
    if target is not None:
        resolved, _ = resolve(target, label or label_of(target), build)
    elif any(x is not None for x in (init, build, trainable, freeze, unfreeze, save, load)):
        raise WeightMagicError("this option needs a target: a layer, model or variable, e.g. %setweights conv --init.")
    if save is not None and dry_run:
        return Message(f"dry run: would save {len(resolved.variables)} variables of {resolved.label} to {save}; "
                       "nothing was written.")
    if save is not None:
        return Message(weightio.save(resolved, save))
    try:
        plan = _plan(resolved, values, op, init, seed, trainable, freeze, unfreeze, load, skip_mismatch,
                     allow_nonfinite, label or (resolved.label if resolved else ""))
    except WeightMagicError as exc:
        if built_now:
            raise WeightMagicError(f"{exc} (--build did build {resolved.label}: it holds its initial values.)") from None
        raise
    if plan.flags:
        found = compiled_holders(notebook_namespace(), target) if holders is None else holders
        plan.holders = [m for m in found if m is not target]
    return execute(plan, dry_run)


def undo(n: int = 1) -> EditResult:
    """Take back the last ``n`` edits, bit for bit, trainable flags included."""
    return _undo(n)


def history() -> Message:
    """The undo journal, oldest first, with what it holds in memory."""
    return _history()
