"""The anywidget inspector and the callback that keeps it live during ``fit``."""

from .inspector import Inspector, inspect
from .watch import WeightWatch

__all__ = ["Inspector", "WeightWatch", "inspect"]
