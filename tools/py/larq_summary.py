"""Writes tests/fixtures/larq/summary.txt: larq.models.summary of a small BNN (the
same architecture train/summary_test.ts builds in onebit)."""

import sys

import zoo_shim  # noqa: F401
import larq as lq, tf_keras as keras
def q(**kw):
    d = dict(input_quantizer=lq.quantizers.SteSign(), kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint=lq.constraints.WeightClip(1.0), use_bias=False)
    d.update(kw); return d
m = keras.Sequential([
    keras.Input((28, 28, 1)),
    lq.layers.QuantConv2D(32, 3, kernel_quantizer=lq.quantizers.SteSign(), kernel_constraint=lq.constraints.WeightClip(1.0), use_bias=False),
    keras.layers.MaxPool2D(2),
    keras.layers.BatchNormalization(scale=False),
    lq.layers.QuantConv2D(64, 3, **q()),
    keras.layers.BatchNormalization(scale=False),
    keras.layers.Flatten(),
    lq.layers.QuantDense(64, **q()),
    keras.layers.BatchNormalization(scale=False),
    lq.layers.QuantDense(10, **q(use_bias=True)),
    keras.layers.BatchNormalization(),
    keras.layers.Dense(3),
    keras.layers.Activation("softmax"),
], name="sequential")
with open(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/larq/summary.txt", "w") as f:
    lq.models.summary(m, print_fn=lambda s: f.write(s + "\n"))
