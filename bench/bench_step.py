"""One ``tf_weightmagic.step`` against a hand-written GradientTape + optimizer.apply step.

    python bench/bench_step.py

ResNet50(weights=None, input_shape=(64, 64, 3), classes=10), batch 8, SGD(0.01), after warm-up.
"""

from common import interleaved_medians_ms, table

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tf_weightmagic  # noqa: E402


def main() -> None:
    model = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classes=10)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 64, 64, 3)).astype("float32")
    y = rng.integers(0, 10, size=8)
    loss_fn = keras.losses.get("sparse_categorical_crossentropy")
    optimizer = keras.optimizers.SGD(0.01)

    def eager_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(loss_fn(y, model(x, training=True)))
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)

    @tf.function
    def traced_gradients():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(loss_fn(y, model(x, training=True)))
        return tape.gradient(loss, model.trainable_weights)

    def traced_step():
        optimizer.apply(traced_gradients(), model.trainable_weights)

    def ours():
        tf_weightmagic.step(model, x=x, y=y, loss="sparse_categorical_crossentropy", optimizer="sgd", lr=0.01)
        tf_weightmagic.SESSION.journal.entries.clear()

    medians = interleaved_medians_ms({"eager": eager_step, "traced": traced_step, "ours": ours}, rounds=7, warmup=2)
    eager, traced, step = medians["eager"], medians["traced"], medians["ours"]
    rows = [
        ("hand-written `GradientTape` + `optimizer.apply` (eager)", f"{eager:.0f} ms", "1.00×"),
        ("the same with the gradient in a `tf.function`", f"{traced:.0f} ms", f"{traced / eager:.2f}×"),
        ("**`tf_weightmagic.step`** (journaled, with its report)", f"{step:.0f} ms", f"{step / eager:.2f}×"),
    ]
    print(table(rows, ["one step, ResNet50 64×64, batch 8", "median", "× hand-written"]))
    print(f"\n`step` vs the traced hand-written step: {step / traced:.2f}× (target ≤ 1.2× the hand-written step)")


if __name__ == "__main__":
    main()
