"""tf_weightmagic: the weight debugger for Keras in notebooks.

``%load_ext tf_weightmagic`` registers ``%weights`` and ``%setweights``; everything the
magics do is also here as plain functions.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .errors import WeightMagicError  # noqa: E402
from .inspection import report  # noqa: E402
from .records import LayerInfo, NamespaceReport, VariableInfo, WeightReport  # noqa: E402
from .session import SESSION  # noqa: E402
from .setting import history, set_weights, undo  # noqa: E402
from .step import step  # noqa: E402
from .widget import Inspector, WeightWatch, inspect  # noqa: E402
from .stats import Histogram, Stats  # noqa: E402

__all__ = [
    "Histogram", "Inspector", "LayerInfo", "NamespaceReport", "SESSION", "Stats", "VariableInfo", "WeightMagicError",
    "WeightReport", "WeightWatch", "history", "inspect", "load_ipython_extension", "report", "set_weights", "step", "undo",
    "unload_ipython_extension",
]
__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """``%load_ext tf_weightmagic``: register the magics; prints nothing."""
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython) -> None:
    """``%unload_ext tf_weightmagic``: remove the magics again."""
    from .magics import unload

    unload(ipython)
