"""The default memory bound for snapshots and the undo journal."""

import os


def default_memory_bound() -> int:
    """A quarter of physical memory, or 2 GB where that cannot be read."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
    except (ValueError, OSError, AttributeError):
        return 2 << 30
