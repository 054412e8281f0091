"""Target → WeightReport: build state, pending variables, counts, statistics."""

from __future__ import annotations

import fnmatch
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

import numpy as np

from .adapters import LayerNode, Target, VarRef, as_target
from .adapters import keras3
from .changes import compare
from .errors import WeightMagicError
from .records import LayerInfo, NamespaceReport, NamespaceRow, VariableInfo, WeightReport
from .session import SESSION
from .shapes import BuildShape, parse_build_shape
from .snapshots import capture
from .stats import summarize_many

_WORKERS = min(4, os.cpu_count() or 1)
PARALLEL_SIZE = 1 << 16


def label_of(obj: Any) -> str:
    return str(getattr(obj, "name", None) or type(obj).__name__)


def build_state(target: Target) -> str:
    """``built``, ``not built`` or ``partially built`` (some layers of the tree built, some not)."""
    states = {n.built for n in target.layers} or {True}
    return "partially built" if len(states) == 2 else "built" if True in states else "not built"


def _layer_info(target: Target, node: LayerNode) -> LayerInfo:
    under = target.variables_under(node)
    trainable = sum(v.size for v in under if v.trainable)
    non_trainable = sum(v.size for v in under if not v.trainable)
    note = None
    if node.shared_with:
        note = f"shared: the same layer as {node.shared_with}, its variables are listed there"
    elif not node.built:
        note = keras3.pending_note(node.layer)
    return LayerInfo(
        path=node.path, name=node.name, cls=node.cls, depth=node.depth, parent=node.parent,
        built=node.built, trainable=node.trainable, trainable_params=trainable,
        non_trainable_params=non_trainable, variables=tuple(v.path for v in node.own),
        pending=tuple(node.pending), shared_with=node.shared_with, note=note,
        variable_dtype=node.variable_dtype, compute_dtype=node.compute_dtype,
    )


def select(target: Target, filter: Optional[str], trainable: bool, non_trainable: bool) -> list:
    """The variables a report shows: by glob on the path and by trainability."""
    if trainable and non_trainable:
        raise WeightMagicError("--trainable and --non-trainable exclude each other; give one or neither.")
    chosen = target.variables
    if filter:
        chosen = [v for v in chosen if fnmatch.fnmatchcase(v.path, filter) or fnmatch.fnmatchcase(v.path, "*/" + filter)]
    if trainable:
        chosen = [v for v in chosen if v.trainable]
    if non_trainable:
        chosen = [v for v in chosen if not v.trainable]
    return chosen


def _compute_dtypes(target: Target) -> dict:
    """Compute dtype per layer path where a mixed-precision policy makes it differ."""
    return {n.path: n.compute_dtype for n in target.layers if n.compute_dtype and n.compute_dtype != n.variable_dtype}


def _variable_info(ref: VarRef, array: Optional[np.ndarray], summarized: Optional[tuple], values: bool,
                   compute_dtype: Optional[str], before) -> VariableInfo:
    """The record of one variable: ``array`` is its values, read already, and ``summarized`` their
    ``(Stats, Histogram)`` (``None`` for structure only)."""
    summary, histogram = summarized or (None, None)
    text = change = None
    replicas, agree = 0, None
    if array is not None:
        if summarized is not None:
            copies = ref.replicas()
            if copies:
                replicas = len(copies)
                agree = all(np.array_equal(copies[0], c, equal_nan=True) for c in copies[1:])
        if values:
            text = np.array2string(array, threshold=200, edgeitems=3, precision=4)
        if before is not None and ref.path in before.values:
            change = compare(before.values[ref.path], array)
    return VariableInfo(
        path=ref.path, layer=ref.layer_path, shape=ref.shape, dtype=ref.dtype, trainable=ref.trainable,
        size=ref.size, bytes=ref.size * ref.itemsize, stats=summary, histogram=histogram,
        compute_dtype=compute_dtype, values=text, replicas=replicas, replicas_agree=agree, change=change,
    )


def _summaries(refs: list, bins: int, meanwhile: Any) -> tuple:
    """``(arrays, [(Stats, Histogram)], meanwhile())`` of ``refs``: the large variables on one thread
    per core, each thread given an equal share of their values in one compiled call, while this
    thread reads and summarizes the small ones, then runs ``meanwhile``.

    The compiled call holds no GIL from start to finish, so the Python here (TensorFlow's read ops,
    the small variables) runs beside it without stalling it. Reads are zero-copy.
    """
    arrays = [None] * len(refs)
    summaries: list = [None] * len(refs)
    large = sorted((i for i, r in enumerate(refs) if r.size >= PARALLEL_SIZE), key=lambda i: -refs[i].size)
    shares: list = [[] for _ in range(_WORKERS)]
    load = [0] * _WORKERS
    for i in large:
        arrays[i] = refs[i].read()
        lightest = load.index(min(load))
        shares[lightest].append(i)
        load[lightest] += refs[i].size

    def run(share: list) -> None:
        for i, summary in zip(share, summarize_many([arrays[i] for i in share], bins)):
            summaries[i] = summary

    with ThreadPoolExecutor(_WORKERS) as pool:
        running = [pool.submit(run, share) for share in shares if share]
        small = [i for i, r in enumerate(refs) if r.size < PARALLEL_SIZE]
        for i in small:
            arrays[i] = refs[i].read()
        run(small)
        after = meanwhile()
        for job in running:
            job.result()
    return arrays, summaries, after


def report_target(
    target: Target, *, filter: Optional[str] = None, trainable: bool = False, non_trainable: bool = False,
    values: bool = False, bins: int = 32, stats: bool = True, snapshot: Optional[str] = None,
    diff: Optional[str] = None, notes: tuple = (),
) -> WeightReport:
    """The report of an already resolved :class:`Target` (the widget and edits reuse this)."""
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins <= 0:
        raise WeightMagicError(f"--bins {bins!r}: expected a positive whole number of histogram bins, like 32.")
    chosen = select(target, filter, trainable, non_trainable)
    before = SESSION.snapshots.get(diff) if diff else None
    notes = list(notes)
    if snapshot:
        notes.append(SESSION.snapshots.put(snapshot, capture(target.variables)))
    dtypes = _compute_dtypes(target)

    def layer_infos() -> tuple:
        return tuple(_layer_info(target, n) for n in target.layers)

    if stats:
        arrays, summaries, layers = _summaries(chosen, int(bins), layer_infos)
    else:
        arrays = [r.read() for r in chosen] if values or before else [None] * len(chosen)
        summaries, layers = [None] * len(chosen), layer_infos()
    infos = [_variable_info(r, a, s, values, dtypes.get(r.layer_path), before)
             for r, a, s in zip(chosen, arrays, summaries)]
    unchanged: tuple = ()
    if before is not None:
        missing = [v.path for v in chosen if v.path not in before.values]
        if missing:
            notes.append(f"not in snapshot '{diff}': {', '.join(missing)}")
        unchanged = tuple(v.path for v in infos if v.change is not None and v.change.unchanged)
    if len(chosen) != len(target.variables):
        notes.append(f"showing {len(chosen)} of {len(target.variables)} variables")
    state = build_state(target)
    if state != "built":
        notes.append(_unbuilt_note(target, state))
    return WeightReport(
        target=target.label, cls=type(target.obj).__name__, kind=target.kind, build_state=state,
        layers=layers, variables=tuple(infos),
        trainable_params=sum(v.size for v in target.variables if v.trainable),
        non_trainable_params=sum(v.size for v in target.variables if not v.trainable),
        bytes=sum(v.size * v.itemsize for v in target.variables), total_variables=len(target.variables),
        bins=int(bins), notes=tuple(notes), diff_against=diff, unchanged=unchanged,
    )


def _unbuilt_note(target: Target, state: str) -> str:
    unbuilt = [n for n in target.layers if not n.built]
    if state == "partially built":
        names = ", ".join(n.path for n in unbuilt[:5]) + (" ..." if len(unbuilt) > 5 else "")
        return f"partially built: {len(unbuilt)} of {len(target.layers)} layers not built yet ({names})."
    return (
        f"{target.label} is not built, so it has no variables yet (trainable_variables is empty): Keras creates "
        "them on the first call, from the input shape. Build it now with --build SHAPE, e.g. --build 1,28,28,3."
    )


def resolve(obj: Any, label: Optional[str] = None, build: Optional[BuildShape] = None) -> tuple:
    """``(target, notes)``: the target behind ``obj``, built first on ``build`` if it is not built."""
    label = label or label_of(obj)
    target = as_target(obj, label)
    if build is None:
        return target, []
    shape = parse_build_shape(build)
    if target.kind != "layer":
        raise WeightMagicError(f"--build: {label} is a {target.kind}, not a layer or model; only layers are built.")
    if build_state(target) == "built":
        return target, [f"{label} was already built; --build changed nothing."]
    keras3.build(obj, shape)
    return as_target(obj, label), []


def report(target: Any, *, build: Optional[BuildShape] = None, label: Optional[str] = None, widget: bool = False,
           **options: Any) -> Any:
    """The :class:`WeightReport` of a layer, model, variable or module; options as ``%weights``'s.

    ``widget=True`` (``--widget``) gives the live widget of the same report instead.
    """
    if widget:
        from .widget import inspect

        unshown = sorted(k for k in ("values", "snapshot", "diff") if options.get(k))
        if unshown:
            raise WeightMagicError(f"{', '.join('--' + k for k in unshown)} not with --widget: run it without -w, "
                                   "and the widget shows the same values afterwards.")
        shown = {k: v for k, v in options.items() if k not in ("values", "snapshot", "diff")}
        return inspect(target, label=label, build=build, **shown)
    resolved, notes = resolve(target, label, build)
    return report_target(resolved, notes=tuple(notes), **options)


def namespace_report(namespace: dict) -> NamespaceReport:
    """Every public name holding a layer, model, variable or module with variables (like ``%whos``)."""
    rows = []
    for name, obj in sorted(namespace.items()):
        if name.startswith("_"):
            continue
        try:
            target = as_target(obj, name)
        except WeightMagicError:
            continue
        if target.kind == "module" and not target.variables:
            continue
        rows.append(NamespaceRow(
            name=name, cls=type(obj).__name__, built=build_state(target),
            trainable_params=sum(v.size for v in target.variables if v.trainable),
            non_trainable_params=sum(v.size for v in target.variables if not v.trainable),
            bytes=sum(v.size * v.itemsize for v in target.variables),
        ))
    return NamespaceReport(tuple(rows))
