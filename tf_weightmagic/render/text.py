"""The terminal view: aligned tables, sparkline histograms, flags that stand out."""

from __future__ import annotations

from ..shapes import format_shape
from .common import counted, flag_text, fmt_int, fmt_num, fmt_pct, format_bytes, sparkline


def table(headers: list, rows: list, indent: str = "  ") -> list:
    """Left-aligned columns sized to their widest cell."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    fmt = lambda cells: indent + "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    return [fmt(headers)] + [fmt(r) for r in rows]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def header(report) -> str:
    return (
        f"{report.cls} '{report.target}' · {report.build_state} · {fmt_int(report.params)} params "
        f"({fmt_int(report.trainable_params)} trainable, {fmt_int(report.non_trainable_params)} non-trainable) "
        f"· {format_bytes(report.bytes)} · {counted(report.total_variables, 'variable')}"
    )


def _layer_rows(report) -> list:
    rows = []
    for layer in report.layers:
        pending = ""
        if layer.pending:
            pending = "will create " + ", ".join(f"{n} {format_shape(s)}" for n, s in layer.pending)
        elif layer.shared_with:
            pending = f"shared with {layer.shared_with}"
        dtype = f"{layer.variable_dtype}/{layer.compute_dtype}" if layer.compute_dtype != layer.variable_dtype else ""
        rows.append([
            "  " * layer.depth + layer.name, layer.cls, _yes(layer.built), _yes(layer.trainable),
            fmt_int(layer.trainable_params), fmt_int(layer.non_trainable_params), dtype, pending,
        ])
    return rows


def _variable_rows(report) -> list:
    rows = []
    for v in report.variables:
        s = v.stats
        dtype = v.dtype + (f"→{v.compute_dtype}" if v.compute_dtype else "")
        cells = [v.path, format_shape(v.shape), dtype, _yes(v.trainable), fmt_int(v.size), format_bytes(v.bytes)]
        if s is None:
            cells += [""] * 8
        else:
            cells += [
                fmt_num(s.min), fmt_num(s.max), fmt_num(s.mean), fmt_num(s.std), fmt_pct(s.zero_fraction),
                str(s.nan), str(s.inf), sparkline(v.histogram.counts),
            ]
        extra = flag_text(v.flags)
        if v.replicas:
            extra += f" {v.replicas} replicas" + (" agree" if v.replicas_agree else "")
        rows.append(cells + [extra.strip()])
    return rows


def change_rows(variables) -> list:
    """``path  ‖Δ‖  ‖Δ‖/‖w‖  max|Δ|  changed`` for records that carry a ``change``."""
    rows = []
    for v in variables:
        c = v.change
        if c is not None:
            rows.append([v.path, fmt_num(c.l2), fmt_num(c.relative), fmt_num(c.max_abs), fmt_pct(c.fraction_changed)])
    return rows


CHANGE_HEADERS = ["variable", "‖Δ‖", "‖Δ‖/‖w‖", "max|Δ|", "changed"]


def render_report(report) -> str:
    lines = [header(report)]
    lines += [f"  note: {n}" for n in report.notes]
    if report.layers:
        lines.append("Layers")
        lines += table(["layer", "class", "built", "trainable", "trainable params", "non-trainable params", "dtype", ""], _layer_rows(report))
    if report.variables:
        lines.append("Variables")
        stats_headers = ["min", "max", "mean", "std", "zeros", "nan", "inf", "histogram", ""]
        lines += table(["path", "shape", "dtype", "train", "size", "memory"] + stats_headers, _variable_rows(report))
        for v in report.variables:
            if v.values is not None:
                lines.append(f"{v.path} =")
                lines += ["  " + line for line in v.values.splitlines()]
    if report.diff_against:
        lines.append(f"Changes since snapshot '{report.diff_against}'")
        lines += table(CHANGE_HEADERS, change_rows(report.variables))
        if report.unchanged:
            lines.append(f"  unchanged: {', '.join(report.unchanged)}")
    return "\n".join(lines)


def render_namespace(report) -> str:
    if not report.rows:
        return "No Keras layers, models or variables in the namespace."
    rows = [
        [r.name, r.cls, r.built, fmt_int(r.trainable_params), fmt_int(r.non_trainable_params), format_bytes(r.bytes)]
        for r in report.rows
    ]
    return "\n".join(table(["name", "class", "built", "trainable", "non-trainable", "memory"], rows, indent=""))


def _arrow(before: float, after: float) -> str:
    return f"{fmt_num(before)} → {fmt_num(after)}"


def render_edit(result) -> str:
    lines = [result.label + ("  (dry run: nothing changed)" if result.dry_run else "")]
    if result.variables and result.variables[0].before is not None:
        rows = [[v.path, _arrow(v.before.mean, v.after.mean), _arrow(v.before.std, v.after.std),
                 _arrow(v.before.min, v.after.min), _arrow(v.before.max, v.after.max),
                 fmt_num(v.change.l2), fmt_pct(v.change.fraction_changed)] for v in result.variables]
        lines += table(["variable", "mean", "std", "min", "max", "‖Δ‖", "changed"], rows)
    for path, before, after in result.flags:
        lines.append(f"  trainable {path}: {_yes(before)} → {_yes(after)}")
    if result.trainable_params:
        before, after = result.trainable_params
        lines.append(f"  trainable params: {fmt_int(before)} → {fmt_int(after)}")
    if result.extra is not None:
        lines += result.extra.text_lines(result.variables)
    lines += [f"  note: {n}" for n in result.notes]
    return "\n".join(lines)
