"""Batch-norm recalibration in Keras, the twin of onebit's `recalibrateBatchNorm`
(train/recalibrate.ts): training-mode passes over data with the weights
frozen, after which each BatchNormalization's moving mean and variance are the
mean of its batch statistics, every batch counting once.

It runs Keras's own training-mode update with the momentum set to k/(k+1)
before the k-th batch (0-based): moving := moving·k/(k+1) + batch/(k+1), the
running mean of the batches' statistics, with Keras's choice of variance (its
fused kernel's Bessel-corrected one for 4-D inputs). Eager calls, so the
momentum is read at each call.
"""

import tf_keras as keras


def recalibrate(model, x, batch_size, order=None):
    """Sets every BatchNormalization of `model` from batches of x (rows in `order`, default as they are)."""
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    saved = [layer.momentum for layer in bns]
    order = range(len(x)) if order is None else order
    try:
        for k, start in enumerate(range(0, len(x), batch_size)):
            for layer in bns:
                layer.momentum = k / (k + 1)
            model(x[list(order[start : start + batch_size])], training=True)
    finally:
        for layer, momentum in zip(bns, saved):
            layer.momentum = momentum
