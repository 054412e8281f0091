"""``WeightWatch``: a Keras callback that keeps the widget live during ``fit``."""

from __future__ import annotations

import keras

from ..errors import WeightMagicError


class WeightWatch(keras.callbacks.Callback):
    """Refresh ``inspector`` every ``every`` epochs (or batches, with ``per="batch"``) during ``fit``,
    adding a column to each variable's distribution-over-time strip."""

    def __init__(self, inspector, every: int = 1, per: str = "epoch") -> None:
        super().__init__()
        if per not in ("epoch", "batch"):
            raise WeightMagicError(f"WeightWatch(per={per!r}): expected 'epoch' or 'batch'.")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise WeightMagicError(f"WeightWatch(every={every!r}): expected a positive whole number.")
        self.inspector, self.every, self.per = inspector, every, per
        self._batches = 0

    def on_train_begin(self, logs=None) -> None:
        self.inspector.refresh(record="start")

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.per == "epoch" and (epoch + 1) % self.every == 0:
            self.inspector.refresh(record=f"epoch {epoch + 1}")

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self._batches += 1
        if self.per == "batch" and self._batches % self.every == 0:
            self.inspector.refresh(record=f"batch {self._batches}")
