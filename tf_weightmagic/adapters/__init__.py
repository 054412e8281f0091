"""What differs between Keras 3, ``tf.Module`` / ``tf.Variable`` and ``tf.distribute``.

Nothing outside this package knows about those differences: the rest of the code
speaks of a :class:`~.base.Target` made of :class:`~.base.LayerNode` and
:class:`~.base.VarRef`.
"""

from .base import LayerNode, Target, VarRef, read_array
from .resolve import as_target

__all__ = ["LayerNode", "Target", "VarRef", "as_target", "read_array"]
