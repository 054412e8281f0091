"""``WeightWatch``: a Keras callback that keeps the widget live during ``fit``."""

from __future__ import annotations

import logging
from typing import Any

import keras

from ..errors import WeightMagicError

LOG = logging.getLogger(__name__)


class WeightWatch(keras.callbacks.Callback):
    """Refresh ``inspector`` every ``every`` epochs (or batches, with ``per="batch"``) during ``fit``.

    Each refresh recomputes the report (statistics and histograms, read once per variable) and
    adds a column to each variable's distribution-over-time strip; the inspector keeps the last
    ``inspect(..., history=N)`` columns per variable (24 by default), so memory stays bounded
    however long ``fit`` runs. A refresh that fails shows in the widget and never stops training.

        inspector = tf_weightmagic.inspect(model)
        inspector                                   # display it, then
        model.fit(x, y, epochs=20, callbacks=[tf_weightmagic.WeightWatch(inspector)])
    """

    def __init__(self, inspector: Any, every: int = 1, per: str = "epoch") -> None:
        super().__init__()
        from .inspector import Inspector

        if not isinstance(inspector, Inspector):
            raise WeightMagicError(
                f"WeightWatch: expected the widget from tf_weightmagic.inspect(model), got a {type(inspector).__name__}.")
        if per not in ("epoch", "batch"):
            raise WeightMagicError(f"WeightWatch(per={per!r}): expected 'epoch' or 'batch'.")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise WeightMagicError(f"WeightWatch(every={every!r}): expected a positive whole number.")
        self.inspector, self.every, self.per = inspector, every, per
        self._batches = 0

    def _refresh(self, record: Any) -> None:
        try:
            self.inspector.refresh(record=record)
        except Exception as exc:  # noqa: BLE001 - the widget says so; training goes on
            LOG.debug("WeightWatch refresh failed", exc_info=True)
            self.inspector.status = {"id": None, "kind": "error",
                                     "text": f"WeightWatch: refresh failed: {type(exc).__name__}: {exc}"}

    def on_train_begin(self, logs=None) -> None:
        self._batches = 0
        self._refresh("start")

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.per == "epoch" and (epoch + 1) % self.every == 0:
            self._refresh(f"epoch {epoch + 1}")

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self._batches += 1
        if self.per == "batch" and self._batches % self.every == 0:
            self._refresh(f"batch {self._batches}")

    def on_train_end(self, logs=None) -> None:
        # The final weights always show, even when the last epoch was not a multiple of ``every``.
        self._refresh(None)
