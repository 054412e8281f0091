"""Gradient steps on one batch, through the same edit path as every other change.

The gradient is computed by a traced function cached per model and loss; the update is
the optimizer's own ``apply``, so ``--step`` equals a hand-written ``GradientTape`` step.
"""

from __future__ import annotations

import math
import re
import weakref
from dataclasses import dataclass
from typing import Any, Optional

import keras
import numpy as np
import tensorflow as tf

from .adapters import Target, VarRef
from .adapters import keras3
from .edit import EditResult, Plan, execute, refuse_dry_build, require_built
from .errors import WeightMagicError
from .inspection import label_of, resolve
from .render.common import counted, fmt_num
from .render.text import table

_TRACED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@dataclass(frozen=True, eq=False)
class StepSummary:
    """Loss before and after, gradient norms, and which variables got no gradient and why."""

    steps: int
    optimizer: str
    loss_before: float
    loss_after: float
    gradient_norms: tuple
    no_gradient: tuple

    def to_dict(self) -> dict:
        finite = lambda x: x if math.isfinite(x) else None  # noqa: E731
        return {
            "steps": self.steps, "optimizer": self.optimizer, "loss_before": finite(self.loss_before),
            "loss_after": finite(self.loss_after),
            "gradient_norms": [{"path": p, "norm": finite(n)} for p, n in self.gradient_norms],
            "no_gradient": [{"path": p, "why": w} for p, w in self.no_gradient],
        }

    def text_lines(self, changes: tuple = ()) -> list:
        """The loss line, then per variable ‖grad‖, ‖Δ‖ and ‖Δ‖/‖w‖, then what got no gradient."""
        lines = [f"  loss: {fmt_num(self.loss_before)} → {fmt_num(self.loss_after)} "
                 f"({counted(self.steps, 'step')}, {self.optimizer})"]
        norms = dict(self.gradient_norms)
        rows = [[c.path, fmt_num(norms.get(c.path)), fmt_num(c.change.l2), fmt_num(c.change.relative)] for c in changes]
        lines += table(["variable", "‖grad‖", "‖update‖", "‖update‖/‖w‖"], rows) if rows else []
        lines += [f"  no gradient: {p} ({why})" for p, why in self.no_gradient]
        return lines


COMPILED = "compiled"


def _loss(loss: Any, model: Any) -> Any:
    """The loss function to use, or ``COMPILED`` for the model's compiled one (lists and dicts too)."""
    if loss is None:
        if getattr(model, "loss", None) is None or not getattr(model, "compiled", False):
            raise WeightMagicError(
                f"--step: {label_of(model)} has no compiled loss; pass --loss, e.g. --loss mse or "
                "--loss sparse_categorical_crossentropy."
            )
        return COMPILED
    try:
        return keras.losses.get(loss) if isinstance(loss, (str, dict)) else loss
    except (ValueError, TypeError):
        raise WeightMagicError(f"--loss {loss!r}: not a Keras loss; expected a name like mse, or a callable(y_true, y_pred).") from None


def _optimizer(optimizer: Any, lr: Optional[float], model: Any, trainable: list, dry_run: bool) -> tuple:
    """``(optimizer, name, whether its state is journaled, notes)``.

    A name gives a fresh optimizer, whose state is thrown away after the step. An instance (the
    compiled one, or the user's) is used with its state, which the edit journals, so a dry run or
    an undo leaves its values as they were. One that is not built yet is built for the trainable
    variables, as ``fit()`` would; building cannot be undone, so a dry run steps a fresh copy.
    """
    if isinstance(optimizer, str) and optimizer == COMPILED:
        optimizer = getattr(model, "optimizer", None)
        if optimizer is None:
            raise WeightMagicError(f"--optimizer compiled: {label_of(model)} is not compiled with an optimizer.")
        name = f"compiled {type(optimizer).__name__}"
    elif isinstance(optimizer, str):
        rate = 0.01 if lr is None else lr
        try:
            fresh = keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": rate}})
        except (ValueError, TypeError):
            raise WeightMagicError(
                f"--optimizer {optimizer!r}: not a Keras optimizer; expected sgd, adam, rmsprop, ..., compiled, "
                "or an optimizer instance."
            ) from None
        return fresh, f"{type(fresh).__name__}(lr={rate:g})", False, []
    elif isinstance(optimizer, keras.optimizers.Optimizer):
        name = type(optimizer).__name__
    else:
        raise WeightMagicError(f"--optimizer: got a {type(optimizer).__name__}; expected a name like sgd or adam, "
                               "compiled, or a keras optimizer.")
    notes = [f"--lr {lr:g} ignored: {name} keeps its own learning rate"] if lr is not None else []
    if not optimizer.built and dry_run:
        return type(optimizer).from_config(optimizer.get_config()), f"{name} (a fresh copy: dry run)", False, notes
    if not optimizer.built:
        optimizer.build(trainable)
        notes.append(f"built {name} for the {counted(len(trainable), 'trainable variable')}, as fit() would; "
                     "--undo restores its state, but it stays built for them")
    return optimizer, name, True, notes


@dataclass(frozen=True, eq=False)
class Traced:
    """The traced functions a step runs: ``(loss, grads, grad norms)``, and the loss alone."""

    gradients: Any
    loss: Any


def _objective(model: Any, loss_fn: Any) -> Any:
    """The loss ``fit()`` minimizes on a batch: the compiled loss as Keras computes it, or ``loss_fn``'s
    mean; both with the model's own losses (regularizers, ``add_loss``)."""
    if loss_fn is COMPILED:
        return lambda x, y: model.compute_loss(x=x, y=y, y_pred=model(x, training=True), training=True)

    def total(x: Any, y: Any) -> Any:
        value = tf.reduce_mean(loss_fn(y, model(x, training=True)))
        extra = [tf.cast(tf.reduce_sum(v), value.dtype) for v in model.losses]
        return value + tf.add_n(extra) if extra else value

    return total


def _traced(model: Any, loss_fn: Any) -> Traced:
    """Traced for ``model``, ``loss_fn`` and the current trainable set, cached while the model lives.

    Like ``fit()``, a trace reads the model's Python state once: compile it with
    ``run_eagerly=True`` (also Keras's own switch for ``fit``) to step eagerly instead.
    """
    eager = bool(getattr(model, "run_eagerly", False))
    per_model = _TRACED.setdefault(model, {})
    # compile() again makes a new compiled loss, which a trace of the old one would keep using
    compiled = id(getattr(model, "_compile_loss", None)) if loss_fn is COMPILED else None
    key = (id(loss_fn), compiled, eager, tuple(id(v) for v in model.trainable_weights))
    if key not in per_model:
        variables = list(model.trainable_weights)
        objective = _objective(model, loss_fn)
        compile_fn = (lambda fn: fn) if eager else tf.function(reduce_retracing=True)

        def gradients(x, y):
            with tf.GradientTape() as tape:
                value = objective(x, y)
            grads = tape.gradient(value, variables)
            norms = [tf.norm(tf.cast(g, tf.float32)) for g in grads if g is not None]
            return value, grads, tf.stack(norms) if norms else tf.zeros([0])

        per_model.clear()
        per_model[key] = Traced(compile_fn(gradients), compile_fn(objective))
    return per_model[key]


def _why_no_gradient(ref: VarRef, trainable_ids: set, owners: dict) -> Optional[str]:
    """Why a variable of the target is not updated by the step, in the user's words."""
    if id(ref.variable) in trainable_ids:
        return None
    if ref.dtype.startswith(("int", "uint", "bool")):
        return "integer dtype"
    owner = owners.get(ref.layer_path)
    if owner is not None and not owner.trainable:
        return f"frozen: layer {owner.name} is not trainable"
    if not getattr(ref.variable, "trainable", False):
        return "non-trainable state, updated by the forward pass or by hand (e.g. BatchNorm statistics)"
    return "frozen: a layer above it is not trainable"


def _batches(x: Any, y: Any, batch_size: Optional[int]) -> list:
    """``[(x, y)]`` split along the first axis; each array of a multi-input list or dict alike."""
    if batch_size is None:
        return [(x, y)]
    if batch_size <= 0:
        raise WeightMagicError(f"--batch-size {batch_size}: expected a positive number.")
    n = len(keras.tree.flatten(x)[0])

    def take(data: Any, i: int) -> Any:
        return keras.tree.map_structure(lambda a: a[i:i + batch_size], data)

    return [(take(x, i), take(y, i)) for i in range(0, n, batch_size)]


def _check(grads: list, norms: Any, refs: list, allow_nonfinite: bool) -> list:
    """Refuse missing or non-finite gradients; returns the gradient norms."""
    missing = [r.path for r, g in zip(refs, grads) if g is None]
    if missing:
        raise WeightMagicError(
            f"--step: no gradient for {', '.join(missing)}: not on the loss path (unused in call(), or used "
            "through a non-differentiable op); nothing was changed. Freeze them, or check the model."
        )
    norms = [float(n) for n in norms.numpy()]
    bad = [r.path for r, n in zip(refs, norms) if not math.isfinite(n)]
    if bad and not allow_nonfinite:
        raise WeightMagicError(f"--step: NaN/Inf in the gradient of {', '.join(bad)}; nothing applied (--allow-nonfinite to apply).")
    return norms


def _reason(exc: Exception) -> str:
    """The part of a (possibly traced) Keras/TF error that says what was wrong, on one line."""
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).splitlines() if line.strip()]
    last_frame = max((i for i, line in enumerate(lines) if line.startswith('File "')), default=-2)
    lines = lines[last_frame + 2:] or lines
    cut = next((i for i, line in enumerate(lines) if line.startswith("Arguments received by")), len(lines))
    text = " ".join(lines[:cut]) or type(exc).__name__
    return text if text.split(":", 1)[0].endswith(("Error", "Exception")) else f"{type(exc).__name__}: {text}"


def _on_batch(traced_fn: Any, x: Any, y: Any, label: str) -> Any:
    """``traced_fn(x, y)`` on one batch; a model or loss that cannot take it is a user error."""
    try:
        return traced_fn(x, y)
    except (ValueError, TypeError, tf.errors.InvalidArgumentError) as exc:
        raise WeightMagicError(
            f"--step: {label} or the loss cannot take this batch (x {np.shape(x)}, y {np.shape(y)}): "
            f"{_reason(exc).rstrip('.')}; nothing was changed."
        ) from None


def _check_optimizer_knows(opt: Any, opt_name: str, trainable: list) -> None:
    """The compiled optimizer must have been built for every variable it is to update."""
    try:
        for variable in trainable:
            opt._get_variable_index(variable)
    except KeyError:
        raise WeightMagicError(
            f"--optimizer compiled: {opt_name} was built for another set of trainable variables (they changed "
            "since, e.g. after unfreezing). Recompile the model, or step with a fresh --optimizer sgd/adam."
        ) from None


def _state_refs(model: Any, target: Target) -> list:
    """Variables a forward pass may change that are not weights (dropout seed states), for a bit-exact undo."""
    known = {id(r.variable) for r in target.variables}
    extra = [v for v in getattr(model, "variables", []) if id(v) not in known]
    return [VarRef(path=f"state/{i}/{v.path}", variable=v, trainable=False) for i, v in enumerate(extra)]


def _loss_after(traced: Traced, batch: tuple, forward_state: list) -> float:
    """The training-mode loss on the first batch after the step, as the step's own loss was
    measured; the state that forward pass updates (BatchNorm statistics, seeds) is put back."""
    kept = [(ref, ref.read()) for ref in forward_state]
    value = float(traced.loss(*batch))
    for ref, array in kept:
        ref.assign(array)
    return value


def _model_of(target: Target) -> Any:
    if target.kind != "layer":
        raise WeightMagicError(f"--step: {target.label} is a {target.kind}; a step needs a Keras layer or model.")
    return target.obj


def step(
    target: Any, *, x: Any, y: Any, loss: Any = None, lr: Optional[float] = None, optimizer: Any = "sgd", steps: int = 1,
    batch_size: Optional[int] = None, dry_run: bool = False, allow_nonfinite: bool = False, label: Optional[str] = None,
) -> EditResult:
    """Take ``steps`` optimizer steps of ``target`` on ``(x, y)``; journaled, so ``undo`` takes them back.

    ``loss``: a Keras loss name or object, or a callable ``(y_true, y_pred)``; ``None``, the compiled
    loss. ``optimizer``: a name (a fresh one, ``lr`` default 0.01), ``"compiled"``, or an instance.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise WeightMagicError(f"--steps {steps!r}: expected a positive number of steps.")
    resolved, notes = resolve(target, label or label_of(target))
    model = _model_of(resolved)
    if not resolved.layers[0].built:
        if dry_run:
            refuse_dry_build(resolved.label, "a step builds it on the shape of x")
        keras3.build(model, tuple(np.shape(x)))
        resolved, _ = resolve(model, resolved.label)
        notes = [f"built {resolved.label} on the shape of x, {np.shape(x)}"]
    require_built(resolved, "step")
    loss_fn = _loss(loss, model)
    trainable = list(model.trainable_weights)
    if not trainable:
        raise WeightMagicError(f"--step: {resolved.label} has no trainable variables (all frozen?); nothing would change.")
    ids = {id(v) for v in trainable}
    by_id = {id(r.variable): r for r in resolved.variables}
    trainable_refs = [by_id[id(v)] for v in trainable]
    batches = _batches(x, y, batch_size)
    traced = _traced(model, loss_fn)
    opt, opt_name, owned, optimizer_notes = _optimizer(optimizer, lr, model, trainable, dry_run)
    notes = notes + optimizer_notes
    if owned:
        _check_optimizer_knows(opt, opt_name, trainable)
    optimizer_refs = [VarRef(path=f"optimizer/{v.path}", variable=v, trainable=False) for v in opt.variables] if owned else []
    state: dict = {}
    seeds = _state_refs(model, resolved)
    forward_state = [r for r in resolved.variables if id(r.variable) not in ids] + seeds

    def run() -> None:
        # Inside the edit: the training-mode forward pass updates BatchNorm statistics and
        # seed states, which the edit has captured, so a refused step or a dry run keeps them.
        bar = keras.utils.Progbar(steps, unit_name="step") if steps > 1 else None
        for i in range(steps):
            loss_value, grads, norms = _on_batch(traced.gradients, *batches[i % len(batches)], resolved.label)
            state["grad_norms"] = _check(grads, norms, trainable_refs, allow_nonfinite)
            state.setdefault("loss_before", float(loss_value))
            opt.apply(grads, trainable)
            if bar is not None:
                bar.update(i + 1, [("loss", float(loss_value))])
        state["loss_after"] = _loss_after(traced, batches[0], forward_state)

    def summary() -> StepSummary:
        owners = {n.path: n.layer for n in resolved.layers}
        no_grad = tuple((r.path, why) for r in resolved.variables if (why := _why_no_gradient(r, ids, owners)))
        return StepSummary(
            steps=steps, optimizer=opt_name, loss_before=state["loss_before"], loss_after=state["loss_after"],
            gradient_norms=tuple(zip([r.path for r in trainable_refs], state["grad_norms"])), no_gradient=no_grad,
        )

    plan = Plan(
        label=f"{resolved.label} --step x{steps} ({opt_name})",
        touched=list(resolved.variables) + seeds + optimizer_refs,
        reported=trainable_refs, stats=False, on_apply=run, extra=summary, notes=notes,
    )
    return execute(plan, dry_run)
