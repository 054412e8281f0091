"""Per-process state the magics and the API share: named snapshots and the undo journal."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from .errors import WeightMagicError
from .journal import Journal
from .session_bounds import default_memory_bound
from .snapshots import Saved, format_bytes


@dataclass(eq=False)
class Snapshots:
    """Named copies of a target's values (``--snapshot`` / ``--diff``), within a memory bound."""

    limit_bytes: int = field(default_factory=default_memory_bound)
    saved: dict = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.saved.values())

    def put(self, name: str, saved: Saved) -> str:
        """Keep ``saved`` under ``name``; refuse it whole if the bound would be passed."""
        old = self.saved.get(name)
        after = self.nbytes - (old.nbytes if old else 0) + saved.nbytes
        if after > self.limit_bytes:
            raise WeightMagicError(
                f"--snapshot {name}: {format_bytes(saved.nbytes)} would take snapshots to "
                f"{format_bytes(after)}, over the bound of {format_bytes(self.limit_bytes)}; "
                "drop one with tf_weightmagic.SESSION.snapshots.drop(NAME) or raise limit_bytes."
            )
        self.saved[name] = saved
        return (
            f"snapshot '{name}': {len(saved.values)} variables, {format_bytes(saved.nbytes)} "
            f"(all snapshots: {format_bytes(after)} of {format_bytes(self.limit_bytes)})"
        )

    def get(self, name: str) -> Saved:
        if name not in self.saved:
            known = ", ".join(sorted(self.saved)) or "none yet"
            raise WeightMagicError(
                f"--diff {name}: no snapshot named '{name}' (known: {known}); "
                f"take one first with %weights TARGET --snapshot {name}."
            )
        return self.saved[name]

    def drop(self, name: str) -> None:
        self.saved.pop(name, None)


@dataclass(eq=False)
class Session:
    snapshots: Snapshots = field(default_factory=Snapshots)
    journal: Journal = field(default_factory=Journal)
    views: weakref.WeakSet = field(default_factory=weakref.WeakSet)

    def changed(self, refs: list) -> None:
        """Tell live views (widgets) that these variables changed, whoever changed them."""
        ids = {id(r.variable) for r in refs}
        for view in list(self.views):
            view.variables_changed(ids)


SESSION = Session()


def notebook_namespace() -> dict:
    """The IPython user namespace when running under IPython, else an empty one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return shell.user_ns if shell is not None else {}
