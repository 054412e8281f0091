"""Loading and unloading the extension: the magics come and go, and nothing is printed."""

import io
from contextlib import redirect_stderr, redirect_stdout

from IPython.core.interactiveshell import InteractiveShell


def test_load_prints_nothing_and_unload_removes_the_magics(shell):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        shell.run_line_magic("unload_ext", "tf_weightmagic")
        assert "weights" not in shell.magics_manager.magics["line"]
        assert "setweights" not in shell.magics_manager.magics["line"]
        shell.run_line_magic("load_ext", "tf_weightmagic")
    assert out.getvalue() == "" and err.getvalue() == ""
    assert {"weights", "setweights"} <= set(shell.magics_manager.magics["line"])


def test_help_comes_from_the_docstrings(shell):
    assert isinstance(shell, InteractiveShell)
    doc = shell.find_line_magic("weights").__doc__
    assert "--build SHAPE" in doc and "--no-stats" in doc and "WeightReport" in doc
    doc = shell.find_line_magic("setweights").__doc__
    assert "--freeze GLOB" in doc and "--undo" in doc and "all or nothing" in doc
