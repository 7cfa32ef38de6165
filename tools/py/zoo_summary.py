"""Writes larq.models.summary of larq-zoo's QuickNet family (random weights)
and Bi-Real Net to tests/fixtures/larq/<name>_summary.txt, for onebit's zoo rebuilds."""

import sys

import zoo_shim  # noqa: F401
import larq as lq
import larq_zoo as lqz
import tf_keras as keras

MODELS = {
    "quicknet": lqz.sota.QuickNet,
    "quicknet_small": lqz.sota.QuickNetSmall,
    "birealnet": lqz.literature.BiRealNet,
}
for name, make in MODELS.items():
    keras.backend.clear_session()  # default layer names start again (input_1, conv2d, ...)
    model = make(weights=None)
    with open(f"{sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/larq'}/{name}_summary.txt", "w") as f:
        lq.models.summary(model, print_fn=lambda s: f.write(s + "\n"))
