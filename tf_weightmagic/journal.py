"""The undo journal: one entry per applied edit, within a memory bound."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .errors import WeightMagicError
from .session_bounds import default_memory_bound
from .render.common import counted
from .snapshots import Saved, format_bytes, restore


@dataclass(eq=False)
class Entry:
    """What one edit changed and how to take it back: the variables' and flags' previous state."""

    label: str
    refs: list
    before: Saved
    extra_undo: Optional[Any] = None
    models: list = field(default_factory=list)

    @property
    def nbytes(self) -> int:
        return self.before.nbytes


@dataclass(eq=False)
class Journal:
    """Edits newest last; the oldest are dropped (and said so) when the bound is passed."""

    limit_bytes: int = field(default_factory=default_memory_bound)
    entries: list = field(default_factory=list)

    @property
    def nbytes(self) -> int:
        return sum(e.nbytes for e in self.entries)

    def push(self, entry: Entry) -> list:
        """Record ``entry``; returns notes about entries dropped to stay within the bound."""
        self.entries.append(entry)
        notes = []
        while self.nbytes > self.limit_bytes and len(self.entries) > 1:
            dropped = self.entries.pop(0)
            notes.append(
                f"undo journal over its bound of {format_bytes(self.limit_bytes)}: dropped the oldest entry "
                f"'{dropped.label}' ({format_bytes(dropped.nbytes)}); it can no longer be undone."
            )
        if entry.nbytes > self.limit_bytes:
            notes.append(
                f"this edit's undo copy ({format_bytes(entry.nbytes)}) is over the journal bound "
                f"({format_bytes(self.limit_bytes)}); it is kept as the only entry."
            )
        return notes

    def check(self, n: int) -> None:
        """Refuse an ``--undo n`` that cannot be done whole."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise WeightMagicError(f"--undo {n!r}: expected a positive number of edits to take back, like 1.")
        if n > len(self.entries):
            raise WeightMagicError(
                f"--undo {n}: only {counted(len(self.entries), 'edit')} in the journal; see %setweights --history."
            )

    def pop(self, n: int) -> list:
        """Undo the last ``n`` entries, newest first; all of them or, if fewer exist, none."""
        self.check(n)
        taken = []
        for _ in range(n):
            entry = self.entries.pop()
            restore(entry.before, entry.refs)
            if entry.extra_undo is not None:
                entry.extra_undo()
            taken.append(entry)
        return taken

    def lines(self) -> list:
        if not self.entries:
            return ["no edits in the journal"]
        total = f"journal: {counted(len(self.entries), 'edit')}, {format_bytes(self.nbytes)} of {format_bytes(self.limit_bytes)}"
        rows = [f"  {i}. {e.label}  ({counted(len(e.refs), 'variable')}, {format_bytes(e.nbytes)})"
                for i, e in enumerate(self.entries, 1)]
        return [total] + rows
