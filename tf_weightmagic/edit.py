"""Every change to a weight or a trainable flag: plan → validate → apply all or nothing → journal.

``%setweights``, the widget, ``--step`` and ``--load`` all build a :class:`Plan` and
hand it to :func:`execute`, so undo and the "what changed" print come for free.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from .adapters import Target, VarRef, as_target
from .adapters import keras3
from .changes import Change, compare
from .errors import ShapeMismatch, WeightMagicError
from .journal import Entry
from .records import Rendered
from .render import html, text
from .session import SESSION
from .shapes import format_shape
from .snapshots import capture, restore
from .stats import Stats, summarize
from .values import get_initializer, is_initializer, lookup, new_value


@dataclass(eq=False)
class Plan:
    """The whole of one edit, validated before anything is applied.

    ``values`` are set by assignment; ``on_apply`` may change ``touched`` variables itself
    (a gradient step), and the ``reported`` ones among them are printed. ``holders`` are
    models that hold the ``roots``: a flag change is also a change to their training.
    """

    label: str
    values: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    layers: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    roots: list = field(default_factory=list)
    holders: list = field(default_factory=list)
    touched: list = field(default_factory=list)
    reported: list = field(default_factory=list)
    stats: bool = True
    on_apply: Optional[Callable[[], Any]] = None
    on_undo: Optional[Callable[[], Any]] = None
    extra: Optional[Callable[[], Any]] = None

    def add_value(self, ref: VarRef, array) -> None:
        for i, (other, _) in enumerate(self.values):
            if other.variable is ref.variable:
                self.values[i] = (other, array)
                return
        self.values.append((ref, array))


@dataclass(frozen=True, eq=False)
class VariableChange:
    """One variable's before → after summary (when computed) and the size of the change."""

    path: str
    before: Optional[Stats]
    after: Optional[Stats]
    change: Change

    def to_dict(self) -> dict:
        return {"path": self.path, "before": self.before.to_dict() if self.before else None,
                "after": self.after.to_dict() if self.after else None, "change": self.change.to_dict()}


def variable_change(path: str, old, new, stats: bool = True) -> VariableChange:
    before, after = (summarize(old)[0], summarize(new)[0]) if stats else (None, None)
    return VariableChange(path, before, after, compare(old, new))


@dataclass(frozen=True, eq=False, repr=False)
class EditResult(Rendered):
    """What an edit changed (or, for a dry run, would change)."""

    _text = staticmethod(text.render_edit)
    _html = staticmethod(html.render_edit)

    label: str
    dry_run: bool
    variables: tuple = ()
    flags: tuple = ()
    trainable_params: tuple = ()
    notes: tuple = ()
    extra: Optional[Any] = None

    def to_dict(self) -> dict:
        return {
            "label": self.label, "dry_run": self.dry_run, "variables": [v.to_dict() for v in self.variables],
            "flags": [{"layer": p, "before": b, "after": a} for p, b, a in self.flags],
            "trainable_params": list(self.trainable_params), "notes": list(self.notes),
            "extra": self.extra.to_dict() if self.extra is not None else None,
        }



def training_notes(models: list) -> list:
    """For each compiled model among ``models``: does its next ``fit`` see a trainable change?"""
    return [n for n in (keras3.train_state_note(m) for m in models) if n]


def refuse_dry_build(label: str, how: str) -> None:
    """A dry run changes nothing, and building a layer cannot be taken back."""
    raise WeightMagicError(
        f"--dry-run: {label} is not built, and building it ({how}) cannot be undone, so a dry run does not build. "
        f"Build it first (%weights {label} --build SHAPE), then dry-run the edit."
    )


def require_built(target: Target, action: str) -> None:
    """Refuse to edit a layer that has no variables yet, with the ``--build`` hint."""
    if target.kind == "layer" and not target.layers[0].built:
        pending = keras3.pending_text(target.layers[0].pending)
        will = f" It will create: {pending}." if pending else ""
        raise WeightMagicError(
            f"{target.label} is not built, so it has no variables to {action}.{will} "
            f"Add --build SHAPE (e.g. --build 1,28,28,3) to build it first, the way its first call would."
        )


def _refs_for(target: Target, where: Any) -> list:
    """The variables an assignment names: a NAME under ``target``, or a layer/variable object."""
    if isinstance(where, str):
        require_built(target, f"set {where!r} on")
        return [lookup(target, where)]
    if target is not None and where is target.obj:
        resolved = target
    else:
        resolved = as_target(where, getattr(where, "path", None) or getattr(where, "name", None) or type(where).__name__)
    require_built(resolved, "set")
    return list(resolved.variables)


def plan_assignments(target: Optional[Target], items: list, allow_nonfinite: bool, label: str) -> Plan:
    """A plan for ``[(where, op, value)]``; every value is checked before anything changes."""
    plan = Plan(label=label)
    for where, op, value in items:
        refs = _refs_for(target, where)
        for ref in refs:
            current = ref.read()
            for other, pending in plan.values:
                if other.variable is ref.variable:
                    current = pending
            try:
                plan.add_value(ref, new_value(ref, op, value, current, allow_nonfinite))
            except ShapeMismatch as exc:
                if len(refs) > 1:
                    shapes = ", ".join(f"{r.path} {format_shape(r.shape)}" for r in refs)
                    raise WeightMagicError(f"{exc} One value for a layer goes to each of its variables: {shapes}; "
                                           "name one, e.g. kernel=...") from None
                raise
    return plan


def plan_init(target: Target, init: Any, seed: Any, allow_nonfinite: bool, label: str) -> Plan:
    """Re-initialize every variable under ``target``: its layer's own initializers, or ``init``."""
    require_built(target, "re-initialize")
    owners = {n.path: n.layer for n in target.layers}
    items = []
    for ref in target.variables:
        if init is None or init is True:
            layer = owners.get(ref.layer_path)
            initializer = keras3.configured_initializer(layer, ref.variable.name) if layer is not None else None
            if initializer is None:
                raise WeightMagicError(
                    f"{ref.path}: no configured initializer is known for it (custom add_weight?); "
                    "name one: --init glorot_uniform (or he_normal, zeros, ...)."
                )
            if seed is not None:
                initializer = get_initializer(initializer, seed)
        else:
            initializer = init if is_initializer(init) and seed is None else get_initializer(init, seed)
        items.append((ref.variable, "=", initializer))
    return plan_assignments(None, items, allow_nonfinite, label)


def relative_paths(target: Target) -> list:
    """``(node, path relative to the target)`` for every layer below the root, e.g. ``vgg16/block5_conv1``."""
    stack: list = []
    out = []
    for node in target.layers:
        del stack[node.depth:]
        stack.append(node.name)
        if node.depth:
            out.append((node, "/".join(stack[1:])))
    return out


def plan_trainable(target: Target, trainable: Optional[bool], freeze: Optional[str], unfreeze: Optional[str], label: str) -> Plan:
    """Trainable flags, set as a user would by hand: the target, then frozen globs, then unfrozen."""
    if target.kind != "layer":
        raise WeightMagicError(f"{target.label} is a {target.kind}; trainable flags belong to layers and models.")
    plan = Plan(label=label, layers=[n.layer for n in target.layers], roots=[target.obj])
    if trainable is not None:
        plan.flags.append((target.layers[0], bool(trainable)))
    for glob, flag in ((freeze, False), (unfreeze, True)):
        if glob is None:
            continue
        matched = [node for node, rel in relative_paths(target)
                   if not node.shared_with and any(fnmatch.fnmatchcase(p, glob) for p in (rel, node.path, node.name))]
        if not matched:
            names = ", ".join(rel for _, rel in relative_paths(target)[:12])
            option = "--freeze" if flag is False else "--unfreeze"
            raise WeightMagicError(f"{option} {glob!r} matches no layer under {target.label}; layers: {names}")
        plan.flags += [(node, flag) for node in matched]
    return plan


def _trainable_count(roots: list) -> int:
    return sum(int(np.prod(v.shape)) for root in roots for v in root.trainable_weights)


def _set_flags(plan: Plan) -> None:
    for node, flag in plan.flags:
        node.layer.trainable = flag


def _apply(plan: Plan) -> None:
    for ref, array in plan.values:
        ref.assign(array)
    _set_flags(plan)
    if plan.on_apply is not None:
        plan.on_apply()


def _capture(plan: Plan) -> tuple:
    """The state the plan may touch: values it sets, every flag under the layers it re-flags."""
    refs = [ref for ref, _ in plan.values] + plan.touched
    saved = capture(refs, plan.layers)
    flag_refs = [v for layer in plan.layers for v in as_target(layer, layer.name).variables] if plan.flags else []
    for ref in flag_refs:
        saved.variable_trainable.setdefault(ref.path, bool(ref.variable.trainable))
    return saved, refs + [r for r in flag_refs if r.path not in saved.values]


def execute(plan: Plan, dry_run: bool = False) -> EditResult:
    """Apply the whole plan or nothing, journal it, and say what changed.

    A dry run applies, measures and puts everything back bit for bit.
    """
    saved, refs = _capture(plan)
    flagged = list({id(node.layer): node for node, _ in plan.flags}.values())
    flags_before = [(node.path, bool(node.layer.trainable)) for node in flagged]
    count_before = _trainable_count(plan.roots)
    try:
        _apply(plan)
        flags_after = [bool(node.layer.trainable) for node in flagged]
        count_after = _trainable_count(plan.roots)
        shown = [ref for ref, _ in plan.values] + plan.reported
        changes = tuple(variable_change(r.path, saved.values[r.path], r.read(), plan.stats) for r in shown)
    except Exception as exc:
        restore(saved, refs)
        if isinstance(exc, WeightMagicError):
            raise
        raise WeightMagicError(f"{plan.label}: applying failed ({type(exc).__name__}: {exc}); nothing was changed.") from None
    notes = list(plan.notes)
    models = list({id(m): m for m in plan.roots + plan.holders}.values()) if plan.flags else []
    if dry_run:
        restore(saved, refs)
        notes.append("dry run: nothing was changed.")
    else:
        notes += SESSION.journal.push(Entry(plan.label, refs, saved, plan.on_undo, models))
        SESSION.changed(refs)
    notes += training_notes(models)
    return EditResult(
        label=plan.label, dry_run=dry_run, variables=changes,
        flags=tuple((p, b, a) for (p, b), a in zip(flags_before, flags_after)),
        trainable_params=(count_before, count_after) if plan.roots else (), notes=tuple(notes),
        extra=plan.extra() if plan.extra else None,
    )
