"""Writes larq.models.summary of every larq-zoo model (random weights) to
tests/fixtures/larq/<name>_summary.txt, for onebit's zoo rebuilds (zoo/*.ts,
checked byte for byte by zoo/*_test.ts). Besides the defaults (224×224×3,
1000 classes), a few variants cover the other code paths: the small-input
stems (under 50 pixels) and models without their classifier head.

    .tools/venv/bin/python tools/py/zoo_summary.py [OUT_DIR] [NAME ...]
"""

import sys

import zoo_shim  # noqa: F401
import larq as lq
import larq_zoo as lqz
import tf_keras as keras

lit, sota = lqz.literature, lqz.sota
MODELS = {
    "quicknet": (sota.QuickNet, {}),
    "quicknet_small": (sota.QuickNetSmall, {}),
    "quicknet_large": (sota.QuickNetLarge, {}),
    "birealnet": (lit.BiRealNet, {}),
    "binary_resnet_e18": (lit.BinaryResNetE18, {}),
    "binary_resnet_e18_32px": (lit.BinaryResNetE18, {"input_shape": (32, 32, 3), "num_classes": 10}),
    "binary_densenet28": (lit.BinaryDenseNet28, {}),
    "binary_densenet28_32px": (lit.BinaryDenseNet28, {"input_shape": (32, 32, 3), "num_classes": 10}),
    "binary_densenet37": (lit.BinaryDenseNet37, {}),
    "binary_densenet37_dilated": (lit.BinaryDenseNet37Dilated, {}),
    "binary_densenet45": (lit.BinaryDenseNet45, {}),
    "meliusnet22": (lit.MeliusNet22, {}),
    "meliusnet22_notop": (lit.MeliusNet22, {"input_shape": (224, 224, 3), "include_top": False}),
    "xnornet": (lit.XNORNet, {}),
    "dorefanet": (lit.DoReFaNet, {}),
    "binary_alexnet": (lit.BinaryAlexNet, {}),
    "real_to_binary_net": (lit.RealToBinaryNet, {}),
    "real_to_binary_net_notop": (lit.RealToBinaryNet, {"input_shape": (96, 96, 3), "include_top": False}),
}


def main(out_dir, names):
    for name in names or MODELS:
        make, kwargs = MODELS[name]
        keras.backend.clear_session()  # default layer names start again (input_1, conv2d, ...)
        model = make(weights=None, **kwargs)
        with open(f"{out_dir}/{name}_summary.txt", "w") as f:
            lq.models.summary(model, print_fn=lambda s: f.write(s + "\n"))
        print(f"{name}: {model.count_params()} parameters")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/larq", sys.argv[2:])
