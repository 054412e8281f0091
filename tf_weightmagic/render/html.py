"""The static notebook view: a collapsible layer tree, inline-SVG histograms, no JavaScript.

It survives nbconvert export and GitHub rendering because it is plain HTML and CSS.
"""

from __future__ import annotations

from html import escape

from ..shapes import format_shape
from .common import FLAG_TEXT, fmt_int, fmt_num, fmt_pct, format_bytes
from .text import CHANGE_HEADERS, change_rows, header, render_edit as edit_text

STYLE = """<style>
.tfwm{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;color:inherit}
.tfwm table{border-collapse:collapse;margin:2px 0 6px 18px}
.tfwm th,.tfwm td{padding:1px 8px;text-align:left;white-space:nowrap;border-bottom:1px solid rgba(128,128,128,.2)}
.tfwm th{font-weight:600;opacity:.8}
.tfwm summary{cursor:pointer}
.tfwm details details{margin-left:16px}
.tfwm .b{display:inline-block;padding:0 5px;border-radius:7px;font-size:11px;margin-left:4px;background:rgba(128,128,128,.18)}
.tfwm .ok{background:#d4f3dc;color:#135c25}.tfwm .off{background:#ffe6c2;color:#7a4300}
.tfwm .bad{background:#ffd4d4;color:#8a0000;font-weight:700}
.tfwm .note{margin:2px 0;opacity:.85}
.tfwm svg rect{fill:#4a7bd0}
</style>"""


def badge(text: str, kind: str = "") -> str:
    return f'<span class="b {kind}">{escape(text)}</span>'


def svg_histogram(counts, width: int = 96, height: int = 18) -> str:
    """One bar per bin, heights relative to the tallest bin."""
    counts = [int(c) for c in counts]
    top = max(counts) if counts and max(counts) else 1
    bar = width / max(len(counts), 1)
    rects = "".join(
        f'<rect x="{i * bar:.2f}" y="{height - height * c / top:.2f}" width="{max(bar - 0.5, 0.5):.2f}" '
        f'height="{height * c / top:.2f}"/>'
        for i, c in enumerate(counts) if c
    )
    return f'<svg width="{width}" height="{height}" role="img" aria-label="histogram">{rects}</svg>'


def _flags(flags: list) -> str:
    return "".join(badge(FLAG_TEXT[f], "bad") for f in flags)


SEVERE = {"nan", "all_nan", "inf", "replicas_differ"}


def _flags_below(flagged: dict) -> str:
    """Badges for the flags of the variables under a layer, each naming them on hover."""
    return "".join(
        f'<span class="b bad" title="{escape(", ".join(flagged[f]))}">{escape(FLAG_TEXT[f])}</span>'
        for f in FLAG_TEXT if f in flagged
    )


def _variables_table(variables: list) -> str:
    if not variables:
        return ""
    head = "".join(f"<th>{h}</th>" for h in (
        "variable", "shape", "dtype", "trainable", "size", "memory", "min", "max", "mean", "std", "zeros", "NaN", "Inf", "histogram"
    ))
    rows = []
    for v in variables:
        s = v.stats
        dtype = v.dtype + (f"→{v.compute_dtype}" if v.compute_dtype else "")
        # flags stand beside the name, where a wide table cannot push them out of sight
        marks = _flags(v.flags) + (badge(f"{v.replicas} replicas") if v.replicas else "")
        cells = [escape(v.path) + (" " + marks if marks else ""), format_shape(v.shape), dtype,
                 badge("trainable", "ok") if v.trainable else badge("frozen", "off"), fmt_int(v.size), format_bytes(v.bytes)]
        if s is None:
            cells += [""] * 8
        else:
            cells += [fmt_num(s.min), fmt_num(s.max), fmt_num(s.mean), fmt_num(s.std), fmt_pct(s.zero_fraction),
                      str(s.nan), str(s.inf), svg_histogram(v.histogram.counts)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        if v.values is not None:
            rows.append(f'<tr><td colspan="14"><pre>{escape(v.values)}</pre></td></tr>')
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _layer_summary(layer) -> str:
    parts = [f"<b>{escape(layer.name)}</b> {escape(layer.cls)}"]
    parts.append(badge("built", "ok") if layer.built else badge("not built", "off"))
    parts.append(badge("trainable", "ok") if layer.trainable else badge("frozen", "off"))
    parts.append(f"{fmt_int(layer.trainable_params)} trainable · {fmt_int(layer.non_trainable_params)} non-trainable")
    if layer.compute_dtype and layer.compute_dtype != layer.variable_dtype:
        parts.append(badge(f"{layer.variable_dtype} vars, {layer.compute_dtype} compute"))
    return " ".join(parts)


def _layer_tree(report) -> str:
    by_path = {v.path: v for v in report.variables}
    kids: dict = {}
    for layer in report.layers:
        kids.setdefault(layer.parent, []).append(layer)

    def node(layer) -> tuple:
        """``(html, flagged)``: the layer's element, and ``{flag: [variable paths]}`` under it.

        Flags below a layer show on its summary, and NaN/Inf open the way down to them,
        so nothing that must stand out hides in a collapsed branch.
        """
        own = [by_path[p] for p in layer.variables if p in by_path]
        flagged: dict = {}
        for v in own:
            for f in v.flags:
                flagged.setdefault(f, []).append(v.path)
        body = []
        if layer.note:
            body.append(f'<div class="note">{escape(layer.note)}</div>')
        if layer.pending:
            pending = ", ".join(f"{escape(n)} {format_shape(s)}" for n, s in layer.pending)
            body.append(f'<div class="note">will create: {pending}</div>')
        body.append(_variables_table(own))
        for child in [] if layer.shared_with else kids.get(layer.path, []):
            html, below = node(child)
            body.append(html)
            for f, paths in below.items():
                flagged.setdefault(f, []).extend(paths)
        opened = " open" if layer.depth < 2 or SEVERE & set(flagged) else ""
        summary = _layer_summary(layer) + " " + _flags_below(flagged) if flagged else _layer_summary(layer)
        return f"<details{opened}><summary>{summary}</summary>{''.join(body)}</details>", flagged

    return "".join(node(layer)[0] for layer in kids.get(None, []))


def render_report(report) -> str:
    parts = [STYLE, '<div class="tfwm" data-testid="tf-weightmagic-report">']
    state = "ok" if report.built else "off"
    parts.append(f"<div>{escape(header(report))} {badge(report.build_state, state)}</div>")
    parts += [f'<div class="note">{escape(n)}</div>' for n in report.notes]
    parts.append(_layer_tree(report) if report.layers else _variables_table(list(report.variables)))
    if report.diff_against:
        head = "".join(f"<th>{h}</th>" for h in CHANGE_HEADERS)
        rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in change_rows(report.variables))
        parts.append(f"<div>Changes since snapshot '{escape(report.diff_against)}'</div><table><tr>{head}</tr>{rows}</table>")
        if report.unchanged:
            parts.append(f'<div class="note">unchanged: {escape(", ".join(report.unchanged))}</div>')
    parts.append("</div>")
    return "".join(parts)


def render_namespace(report) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("name", "class", "built", "trainable", "non-trainable", "memory"))
    rows = "".join(
        f"<tr><td>{escape(r.name)}</td><td>{escape(r.cls)}</td><td>{escape(r.built)}</td>"
        f"<td>{fmt_int(r.trainable_params)}</td><td>{fmt_int(r.non_trainable_params)}</td><td>{format_bytes(r.bytes)}</td></tr>"
        for r in report.rows
    )
    return f'{STYLE}<div class="tfwm"><table><tr>{head}</tr>{rows}</table></div>'


def render_edit(result) -> str:
    """The edit summary as preformatted text inside the report's frame: same content as the terminal."""
    return f'{STYLE}<div class="tfwm" data-testid="tf-weightmagic-edit"><pre>{escape(edit_text(result))}</pre></div>'
