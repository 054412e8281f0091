"""Magic-line syntax: words that keep brackets and strings whole, options, assignments.

IPython hands a line magic one string. Python expressions in it may hold spaces,
brackets, strings and calls, so the line is split only at top-level whitespace, and
options are recognised by the names the magic declares, never inside an expression.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass

from .errors import WeightMagicError

_OPEN, _CLOSE = "([{", ")]}"
ASSIGN_OPS = ("+=", "-=", "*=", "/=", "=")


def _scan(text: str):
    """Yield ``(index, char, depth)`` for characters outside string literals."""
    depth, quote, i = 0, None, 0
    stack = []
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
            i += 1
            continue
        if ch in "'\"":
            quote = text[i:i + 3] if text[i:i + 3] in ("'''", '"""') else ch
            i += len(quote)
            continue
        if ch in _OPEN:
            stack.append(_CLOSE[_OPEN.index(ch)])
        elif ch in _CLOSE:
            if not stack or stack.pop() != ch:
                raise WeightMagicError(f"unbalanced '{ch}' at column {i + 1} in: {text}")
        yield i, ch, len(stack)
        i += 1
    if quote:
        raise WeightMagicError(f"unterminated string {quote}… in: {text}")
    if stack:
        raise WeightMagicError(f"unclosed bracket: expected '{stack[-1]}' before the end of: {text}")


def split_words(line: str) -> list:
    """Split at whitespace outside brackets and strings."""
    words, start = [], None
    breaks = {i for i, ch, depth in _scan(line) if depth == 0 and ch.isspace()}
    for i in range(len(line) + 1):
        if i == len(line) or i in breaks:
            if start is not None:
                words.append(line[start:i])
                start = None
        elif start is None:
            start = i
    return words


def unquote(text: str) -> str:
    """``"*kernel"`` → ``*kernel``: option values may be quoted as in a shell."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _takes(action: argparse.Action) -> str:
    if action.nargs == 0:
        return "none"
    return "maybe" if action.nargs == "?" else "one"


def parse_line(line: str, parser: argparse.ArgumentParser) -> tuple:
    """``(options namespace, positional words)``; unknown options are a ``UsageError``."""
    words = split_words(line)
    known = parser._option_string_actions
    argv, positional, i = [], [], 0
    while i < len(words):
        word = words[i]
        name = word.split("=", 1)[0]
        if name in known and re.match(r"^--?[A-Za-z]", name):
            argv.append(word)
            takes = "none" if "=" in word else _takes(known[name])
            nxt = words[i + 1] if i + 1 < len(words) else None
            if takes == "one" or (takes == "maybe" and nxt is not None and not nxt.startswith("--")
                                  and not _assignment_ops(nxt)):
                if nxt is None:
                    raise WeightMagicError(f"{name} needs a value; see %{parser.prog}? for the syntax.")
                argv.append(nxt)
                i += 1
        elif re.match(r"^--[A-Za-z][\w-]*(=.*)?$", word):
            options = ", ".join(sorted(o for o in known if o.startswith("--")))
            raise WeightMagicError(f"unknown option {name}; the options are: {options}")
        else:
            positional.append(word)
        i += 1
    return parser.parse_args(argv), positional


@dataclass(frozen=True)
class Assignment:
    """``lhs op expr``: lhs is a Python expression (full form) or a NAME under a layer."""

    lhs: str
    op: str
    expr: str


def _assignment_ops(text: str) -> list:
    """``(start, end, op)`` of each top-level assignment operator in ``text``."""
    found = []
    for i, ch, depth in _scan(text):
        if depth or ch != "=":
            continue
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt == "=" or prev in "=!<>":
            continue
        if prev in "+-*/" and i >= 1:
            found.append((i - 1, i + 1, prev + "="))
        else:
            found.append((i, i + 1, "="))
    return found


def _lhs_start(text: str, end: int) -> int:
    """Start of the word that ends right before ``end`` (spaces before the operator skipped)."""
    j = end
    while j > 0 and text[j - 1] == " ":
        j -= 1
    breaks = [i for i, ch, depth in _scan(text[:j]) if depth == 0 and ch.isspace()]
    return breaks[-1] + 1 if breaks else 0


def parse_assignments(words: list) -> tuple:
    """``(layer expression or None, [Assignment])`` from the positional words of ``%setweights``.

    ``conv.kernel = EXPR`` gives ``(None, [Assignment("conv.kernel", "=", EXPR)])``;
    ``conv kernel=EXPR bias=0`` gives ``("conv", [Assignment("kernel", ...), ...])``.
    """
    text = " ".join(words)
    ops = _assignment_ops(text)
    if not ops:
        return (text or None), []
    starts = [_lhs_start(text, s) for s, _, _ in ops]
    prefix = text[:starts[0]].strip() or None
    out = []
    for k, (s, e, op) in enumerate(ops):
        lhs = text[starts[k]:s].strip()
        expr = text[e:starts[k + 1] if k + 1 < len(ops) else len(text)].strip()
        if not lhs:
            raise WeightMagicError(f"nothing to assign to before '{op}' in: {text}")
        if not expr:
            raise WeightMagicError(f"'{lhs} {op}' has no value after it; expected e.g. {lhs} {op} 0.5")
        out.append(Assignment(lhs, op, expr))
    return prefix, out
