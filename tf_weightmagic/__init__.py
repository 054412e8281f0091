"""tf_weightmagic: the weight debugger for Keras in notebooks.

``%load_ext tf_weightmagic`` registers ``%weights`` and ``%setweights``; everything the
magics do is also here as plain functions.
"""

from .errors import WeightMagicError
from .inspection import report
from .records import LayerInfo, NamespaceReport, VariableInfo, WeightReport
from .session import SESSION
from .setting import history, set_weights, undo
from .step import step
from .widget import Inspector, WeightWatch, inspect
from .stats import Histogram, Stats

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
