"""tf.distribute and mixed precision, each in a fresh interpreter (they configure TF globally)."""

import json
import subprocess
import sys
import textwrap

MIRRORED = """
import os, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np, tf_weightmagic
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
agree = tf_weightmagic.report(model).variables[0]
model.weights[0].value.values[1].assign(np.ones((4, 3), "float32"))
differ = tf_weightmagic.report(model)
tf_weightmagic.set_weights(model.weights[0], 0.5)
after = [np.asarray(v) for v in model.weights[0].value.values]
print(json.dumps({
    "agree": [agree.replicas, agree.replicas_agree],
    "differ": [differ.variables[0].replicas, differ.variables[0].replicas_agree, differ.variables[0].flags],
    "text": str(differ),
    "assigned": [bool(np.all(a == 0.5)) for a in after],
}))
"""

MIXED = """
import os, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras, tf_weightmagic
keras.mixed_precision.set_global_policy("mixed_float16")
dense = keras.layers.Dense(2)
dense.build((None, 3))
report = tf_weightmagic.report(dense)
print(json.dumps({"dtype": report.variables[0].dtype, "compute": report.variables[0].compute_dtype,
                  "layer": [report.layers[0].variable_dtype, report.layers[0].compute_dtype]}))
"""


def run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_mirrored_variables_show_replicas_and_whether_they_agree():
    result = run(MIRRORED)
    assert result["agree"] == [2, True]
    assert result["differ"][:2] == [2, False] and "replicas_differ" in result["differ"][2]
    assert "REPLICAS DIFFER" in result["text"]
    assert result["assigned"] == [True, True]


def test_mixed_precision_shows_variable_and_compute_dtype():
    result = run(MIXED)
    assert result == {"dtype": "float32", "compute": "float16", "layer": ["float32", "float16"]}
