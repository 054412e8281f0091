"""``%weights`` and ``%setweights``: parse the line, call the Python API, return what it gives."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class, no_var_expand, output_can_be_silenced
from IPython.core.magic_arguments import argument, magic_arguments

from .inspection import namespace_report, report
from .errors import WeightMagicError
from .syntax import parse_line, unquote


def evaluate(shell: Any, expr: str, what: str = "target") -> Any:
    """Evaluate ``expr`` in the user namespace; a one-line error if that fails."""
    try:
        return shell.ev(expr)
    except NameError as exc:
        raise WeightMagicError(f"{what} {expr}: {exc} in the notebook namespace; define it first, or check the spelling.") from None
    except SyntaxError as exc:
        raise WeightMagicError(f"{what} {expr}: not a Python expression ({exc.msg}).") from None
    except Exception as exc:
        raise WeightMagicError(f"{what} {expr}: evaluating it raised {type(exc).__name__}: {exc}") from None


@contextmanager
def user_errors() -> Iterator[None]:
    """Show our errors the way IPython shows a ``UsageError``: one line, no traceback."""
    try:
        yield
    except WeightMagicError as exc:
        raise UsageError(str(exc)) from None


def silenced(line: str) -> str:
    """The line without the trailing ``;`` that silences the output (IPython passes it on)."""
    return line.rstrip().rstrip(";")


@magics_class
class WeightMagics(Magics):
    """The tf_weightmagic magics."""

    @output_can_be_silenced
    @no_var_expand
    @magic_arguments()
    @argument("target", nargs="*", help="A Keras layer, model or variable, a tf.Variable or tf.Module (any expression).")
    @argument("--build", metavar="SHAPE", help='Build an unbuilt target first: 1,28,28,3 or "(None, 28, 28, 3)".')
    @argument("--filter", metavar="GLOB", type=unquote, help='Only variables whose path matches ("*kernel", "conv*/*").')
    @argument("--trainable", action="store_true", help="Only trainable variables.")
    @argument("--non-trainable", dest="non_trainable", action="store_true", help="Only non-trainable variables.")
    @argument("--values", action="store_true", help="Also print values (numpy-style truncation).")
    @argument("--bins", metavar="N", type=int, default=32, help="Histogram bins (default 32).")
    @argument("--no-stats", dest="stats", action="store_false", help="Structure only: no value is read.")
    @argument("--snapshot", metavar="NAME", type=unquote, help="Remember the current values under NAME.")
    @argument("--diff", metavar="NAME", type=unquote, help="Per variable: what changed since snapshot NAME.")
    @argument("-w", "--widget", action="store_true", help="The interactive widget instead of a static report.")
    @line_magic
    def weights(self, line: str = "") -> Any:
        """Show a Keras layer or model: layer tree, build state, variables, counts, statistics, histograms.

        With no TARGET, list every Keras layer, model and variable in the namespace.
        ``report = %weights model`` returns the WeightReport; ``%weights model;`` shows nothing.
        """
        with user_errors():
            return self._weights(silenced(line))

    def _weights(self, line: str) -> Any:
        args, words = parse_line(line, self.weights.parser)
        options = vars(args)
        del options["target"]
        if not words:
            return namespace_report(self.shell.user_ns)
        expr = " ".join(words)
        obj = evaluate(self.shell, expr)
        if options.pop("widget"):
            from .widget import inspect

            return inspect(obj, label=expr, build=options["build"])
        return report(obj, label=expr, **options)


def load(ipython: Any) -> None:
    ipython.register_magics(WeightMagics)


def unload(ipython: Any) -> None:
    for kind in ("line", "cell"):
        registered = ipython.magics_manager.magics[kind]
        for name in [n for n, f in registered.items() if isinstance(getattr(f, "__self__", None), WeightMagics)]:
            del registered[name]
