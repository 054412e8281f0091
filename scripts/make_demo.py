"""Write demo.ipynb from the cells below (the notebook is committed; run this after editing them)."""

from pathlib import Path

import nbformat

MD, CODE = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell

CELLS = [
    MD("# tf_weightmagic: a weight debugger for Keras\n\n"
       "Each section answers one of the questions Keras users ask most, with one magic line."),
    CODE("%load_ext tf_weightmagic\nimport numpy as np\nimport keras\nimport tf_weightmagic"),
    MD("## Why is `trainable_variables` empty?\n\nKeras creates a layer's variables on its first call. "
       "`%weights` says so, and shows what the layer *will* create."),
    CODE("conv = keras.layers.Conv2D(32, 3)\nprint(conv.trainable_variables)\n%weights conv"),
    MD("## Kernel shape `(kh, kw, in_channels, filters)`, bias `(filters,)`\n\n`--build` builds it the way its first call would."),
    CODE("%weights conv --build 1,28,28,3"),
    MD("## Set a Conv2D kernel by hand\n\nNot `layer.kernel = tf.Variable(...)` (read-only in Keras 3): build, then assign. "
       "One line, all or nothing:"),
    CODE("sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], 'float32')\n"
         "edges = keras.layers.Conv2D(4, 3)\n"
         "%setweights edges --build 1,32,32,1 kernel=np.repeat(sobel[:, :, None, None], 4, axis=3) bias=0"),
    CODE("image = np.tile(np.linspace(0, 1, 32, dtype='float32'), (32, 1))[None, :, :, None]\n"
         "print(edges(image).shape, float(edges(image)[0, 5, 5, 0]))"),
    MD("## Did my custom initializer do what I meant?"),
    CODE("%setweights conv kernel=keras.initializers.RandomNormal(0.1, 0.01)\n"
         "%weights conv --filter \"*kernel\""),
    MD("## Freeze a pretrained base, unfreeze its last block"),
    CODE("base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))\n"
         "%setweights base --freeze \"*\" --unfreeze \"block5*\"\n"
         "print(len(base.trainable_weights), 'trainable variables:', [w.path for w in base.trainable_weights][:2], '...')"),
    MD("## Trainable vs non-trainable: BatchNorm statistics and `add_weight(trainable=False)`"),
    CODE("class Scale(keras.layers.Layer):\n"
         "    def build(self, input_shape):\n"
         "        self.scale = self.add_weight(shape=(input_shape[-1],), initializer='ones', name='scale')\n"
         "        self.calls = self.add_weight(shape=(), initializer='zeros', trainable=False, name='calls')\n"
         "    def call(self, x):\n"
         "        self.calls.assign_add(1.0)\n"
         "        return x * self.scale\n\n"
         "model = keras.Sequential([\n"
         "    keras.Input((8, 8, 1)), keras.layers.Conv2D(8, 3, name='conv'), keras.layers.BatchNormalization(name='bn'),\n"
         "    keras.layers.Flatten(), Scale(name='scale'), keras.layers.Dense(3, name='head'),\n"
         "], name='net')\n"
         "model.compile('adam', 'sparse_categorical_crossentropy')\n"
         "%weights model --non-trainable"),
    MD("## One gradient step on a batch — and its undo"),
    CODE("rng = np.random.default_rng(0)\n"
         "x = rng.normal(size=(16, 8, 8, 1)).astype('float32')\ny = rng.integers(0, 3, size=16)\n"
         "%weights model --snapshot before;\n"
         "%setweights model --step --x x --y y --loss sparse_categorical_crossentropy --lr 0.05"),
    CODE("%weights model --diff before --no-stats"),
    CODE("%setweights --undo\n%weights model --diff before --no-stats"),
    MD("## The live widget, during `fit`\n\nThe widget shows the same report; it lets you toggle trainable flags, "
       "edit values and take steps, and `WeightWatch` refreshes it while the model trains."),
    CODE("inspector = tf_weightmagic.inspect(model)\ninspector"),
    CODE("history = model.fit(x, y, epochs=3, verbose=0, callbacks=[tf_weightmagic.WeightWatch(inspector, every=1)])\n"
         "print('loss', [round(v, 3) for v in history.history['loss']])"),
    MD("## Save and load, Keras's own format"),
    CODE("%setweights model --save demo_output/net.weights.h5\n%setweights model.get_layer('head').kernel *= 0\n"
         "%setweights model --load demo_output/net.weights.h5"),
    CODE("%setweights --history"),
]


def main() -> None:
    nb = nbformat.v4.new_notebook(cells=CELLS)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    Path(__file__).resolve().parent.parent.joinpath("demo.ipynb").write_text(nbformat.writes(nb))


if __name__ == "__main__":
    main()
