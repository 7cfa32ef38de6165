"""What tf-keras's fit does with NaN and Inf in the inputs (issue #21): the
per-batch and per-epoch losses, whether TerminateOnNaN stops, and the final
weights (NaN positions included), from fixed initial weights, for onebit's
tests/hostile_inputs_test.ts:

    TF_USE_LEGACY_KERAS=1 .tools/venv/bin/python tools/py/hostile_fit_fixtures.py tests/fixtures/hostile/nan_fit.json
"""

import json
import math
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402


def num(v):
    """JSON has no NaN/Inf: they are written as strings."""
    v = float(v)
    return v if math.isfinite(v) else str(v)


def case(name, x, activation, terminate):
    keras.utils.set_random_seed(1)
    m = keras.Sequential([keras.layers.Dense(4, activation=activation, input_shape=(2,)), keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    init = [w.tolist() for w in m.get_weights()]
    batches = []
    log = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(num(logs["loss"])))
    callbacks = [log] + ([keras.callbacks.TerminateOnNaN()] if terminate else [])
    y = np.array([0, 1, 2, 0])
    h = m.fit(np.array(x, np.float32), y, epochs=2, batch_size=2, shuffle=False, verbose=0, callbacks=callbacks)
    return {
        "name": name,
        "activation": activation,
        "terminate": terminate,
        "x": [[num(v) for v in row] for row in x],
        "y": y.tolist(),
        "init": init,
        "batch_losses": batches,
        "epoch_losses": [num(v) for v in h.history["loss"]],
        "final": [[num(v) for v in np.ravel(w)] for w in m.get_weights()],
    }


if __name__ == "__main__":
    nan, inf = float("nan"), float("inf")
    cases = [
        case("nan_in_x_relu", [[nan, 2], [3, 4], [5, 6], [7, 8]], "relu", False),
        case("nan_in_x_linear", [[nan, 2], [3, 4], [5, 6], [7, 8]], None, False),
        case("inf_in_x_terminate", [[1, 2], [3, 4], [inf, 6], [7, 8]], None, True),
        case("nan_in_x_terminate", [[1, 2], [3, 4], [nan, 6], [7, 8]], "tanh", True),
    ]
    with open(sys.argv[1], "w") as f:
        json.dump({"cases": cases}, f, indent=1)
