"""``%weights`` and ``%setweights``: parse the line, call the Python API, return what it gives."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class, no_var_expand, output_can_be_silenced
from IPython.core.magic_arguments import argument, magic_arguments

from .errors import WeightMagicError
from .inspection import namespace_report, report
from .setting import set_weights
from .step import step
from .syntax import parse_assignments, parse_line, unquote


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
    """Show our errors the way IPython shows a ``UsageError``: one line (a multi-line message
    from user code is joined), no traceback."""
    try:
        yield
    except WeightMagicError as exc:
        raise UsageError(" ".join(part.strip() for part in str(exc).splitlines() if part.strip())) from None


def silenced(line: str) -> str:
    """The line without the trailing ``;`` that silences the output (IPython passes it on)."""
    return line.rstrip().rstrip(";")


def to_bool(text: str) -> bool:
    """``--trainable true|false`` (also yes/no, 1/0, on/off)."""
    word = unquote(text).strip().lower()
    if word in ("true", "yes", "1", "on"):
        return True
    if word in ("false", "no", "0", "off"):
        return False
    raise WeightMagicError(f"--trainable {text}: expected true or false.")


def evaluate_lhs(shell: Any, expr: str) -> Any:
    """Evaluate an assignment's left side; an unbuilt layer behind ``conv.kernel`` gets the --build hint."""
    try:
        return evaluate(shell, expr)
    except WeightMagicError:
        owner_expr = expr.rsplit(".", 1)[0] if "." in expr else None
        owner = shell.user_ns.get(owner_expr) if owner_expr and owner_expr.isidentifier() else None
        if owner is not None and getattr(owner, "built", True) is False:
            from .adapters import as_target
            from .edit import require_built

            require_built(as_target(owner, owner_expr), f"set {expr!r} on")
        raise


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
        return report(obj, label=expr, **options)

    @output_can_be_silenced
    @no_var_expand
    @magic_arguments()
    @argument("assignments", nargs="*", help="TARGET = EXPR, TARGET op= EXPR, or LAYER name=EXPR ...")
    @argument("--init", nargs="?", const=True, metavar="NAME", type=unquote,
              help="Re-initialize with the layer's own initializers, or the Keras initializer NAME.")
    @argument("--seed", type=int, help="Seed for --init.")
    @argument("--build", metavar="SHAPE", help="Build an unbuilt layer first, then set (the right way to preset weights).")
    @argument("--trainable", type=to_bool, metavar="true|false", help="Freeze or unfreeze a layer or model.")
    @argument("--freeze", metavar="GLOB", type=unquote, help='Freeze layers whose path matches, e.g. "*".')
    @argument("--unfreeze", metavar="GLOB", type=unquote, help='Then unfreeze layers whose path matches, e.g. "block5*".')
    @argument("--step", action="store_true", help="Take gradient step(s) on a batch (--x, --y, --loss, ...).")
    @argument("--x", metavar="X", help="Inputs for --step (an expression).")
    @argument("--y", metavar="Y", help="Targets for --step (an expression).")
    @argument("--loss", metavar="L", help="Loss for --step: a Keras loss name, or an expression.")
    @argument("--lr", type=float, help="Learning rate of a named --optimizer (default 0.01).")
    @argument("--optimizer", default="sgd", metavar="sgd|adam|...|compiled|EXPR", help="Optimizer for --step.")
    @argument("--steps", type=int, default=1, help="Number of steps (default 1).")
    @argument("--batch-size", dest="batch_size", type=int, help="Split X, Y into batches of this size.")
    @argument("--dry-run", dest="dry_run", action="store_true", help="Say what would change; change nothing.")
    @argument("--undo", nargs="?", const=1, type=int, metavar="N", help="Take back the last N edits (default 1).")
    @argument("--history", action="store_true", help="List the edits that --undo can take back.")
    @argument("--save", metavar="PATH", type=unquote, help="Save to .weights.h5 (Keras format) or .npz.")
    @argument("--load", metavar="PATH", type=unquote, help="Load from .weights.h5 or .npz, all or nothing.")
    @argument("--skip-mismatch", dest="skip_mismatch", action="store_true", help="With --load: load what matches.")
    @argument("--allow-nonfinite", dest="allow_nonfinite", action="store_true", help="Accept NaN/Inf values.")
    @line_magic
    def setweights(self, line: str = "") -> Any:
        """Change weights safely: assign, scale, re-initialize, freeze, step, undo, save and load.

        Every change is all or nothing, prints what changed, and is journaled for --undo.
        """
        with user_errors():
            return self._setweights(silenced(line))

    def _setweights(self, line: str) -> Any:
        args, words = parse_line(line, self.setweights.parser)
        options = vars(args)
        del options["assignments"]
        if options["history"] or options["undo"] is not None:
            return set_weights(history=options["history"], undo=options["undo"], dry_run=options["dry_run"])
        prefix, assignments = parse_assignments(words)
        target = evaluate(self.shell, prefix) if prefix else None
        if options.pop("step"):
            return self._step(target, prefix, options)
        for name in ("x", "y", "loss", "batch_size", "steps", "lr", "optimizer", "history", "undo"):
            options.pop(name)
        if isinstance(options["init"], str):
            options["init"] = self._named(options["init"], "--init")
        if assignments:
            items = [
                (a.lhs if prefix else evaluate_lhs(self.shell, a.lhs), a.op, evaluate(self.shell, a.expr, "value"))
                for a in assignments
            ]
            return set_weights(target, items, label=prefix, **options)
        return set_weights(target, label=prefix, **options)

    def _step(self, target: Any, expr: Any, options: dict) -> Any:
        if target is None:
            raise WeightMagicError("--step needs a model or layer: %setweights model --step --x X --y Y --loss mse")
        for name in ("x", "y"):
            if options[name] is None:
                raise WeightMagicError(f"--step needs --{name}: an expression for the batch's {'inputs' if name == 'x' else 'targets'}.")
        loss = options["loss"]
        optimizer = options["optimizer"]
        return step(
            target, x=evaluate(self.shell, options["x"], "--x"), y=evaluate(self.shell, options["y"], "--y"),
            loss=self._named(loss, "--loss"), lr=options["lr"], optimizer=self._named(optimizer, "--optimizer"),
            steps=options["steps"], batch_size=options["batch_size"], dry_run=options["dry_run"],
            allow_nonfinite=options["allow_nonfinite"], label=expr,
        )

    def _named(self, text: Any, what: str) -> Any:
        """A bare name Keras knows (``mse``, ``adam``) stays a string; anything else is an expression."""
        if text is None:
            return None
        plain = unquote(text)
        if plain != text or (plain.isidentifier() and plain not in self.shell.user_ns):
            return plain
        return evaluate(self.shell, text, what)


def load(ipython: Any) -> None:
    ipython.register_magics(WeightMagics)


def unload(ipython: Any) -> None:
    for kind in ("line", "cell"):
        registered = ipython.magics_manager.magics[kind]
        for name in [n for n, f in registered.items() if isinstance(getattr(f, "__self__", None), WeightMagics)]:
            del registered[name]
