"""One interpreter, one TensorFlow import and one IPython shell for the whole test session."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from IPython.core.error import UsageError  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402


@pytest.fixture(scope="session")
def shell():
    """A real IPython shell with the extension loaded, shared by every test."""
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "tf_weightmagic")
    ip.user_ns.update({"np": np, "keras": keras})
    yield ip


@pytest.fixture
def ns(shell):
    """The shell's namespace; names a test puts there are removed afterwards."""
    before = set(shell.user_ns)
    yield shell.user_ns
    for name in set(shell.user_ns) - before:
        del shell.user_ns[name]


def weights_of(layer):
    """Copies of every weight's values and the trainable flags, to check that nothing changed."""
    return [w.numpy().copy() for w in layer.weights], [w.trainable for w in layer.weights], [
        sub.trainable for sub in layer._flatten_layers()
    ]


def assert_unchanged(layer, before):
    values, flags, layer_flags = weights_of(layer)
    assert flags == before[1] and layer_flags == before[2]
    for a, b in zip(values, before[0]):
        np.testing.assert_array_equal(a, b)


def sw(shell, line: str):
    """``%setweights line`` in the shell."""
    return shell.run_line_magic("setweights", line)


def refused(shell, line: str, *fragments: str) -> str:
    """``%setweights line`` raises a one-line UsageError that contains every fragment."""
    with pytest.raises(UsageError) as caught:
        sw(shell, line)
    message = str(caught.value)
    assert message.strip() and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message
