"""The one exception users see: a short message, shown by IPython without a traceback."""

from IPython.core.error import UsageError


class WeightMagicError(UsageError):
    """A user error: says what was wrong, what was expected and what to do.

    It subclasses IPython's ``UsageError`` so a magic shows it as one line, and is a
    plain exception for callers of the Python API.
    """


class ShapeMismatch(WeightMagicError):
    """A new value whose shape does not fit the variable."""
