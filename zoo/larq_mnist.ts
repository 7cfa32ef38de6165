/**
 * larq's introductory binarized CNN for MNIST ("Introduction to BNNs with
 * Larq", docs.larq.dev): three QuantConv2D and two QuantDense layers, each
 * followed by BatchNormalization without scale; the first layer keeps real
 * inputs, every other one binarizes inputs and kernels with ste_sign and
 * weight_clip.
 * @module
 */
import { Sequential } from "../models/sequential.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation, Flatten } from "../layers/core.ts";
import { QuantDense } from "../layers/dense.ts";
import { weightClip } from "../layers/layer.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import { withWeightsH5 } from "../keras/weights.ts";

/**
 * The model for [28, 28, 1] inputs and 10 classes, with random weights
 * (seeded), or with the weights of a Keras file of larq's model (`weights`:
 * a path or the bytes of the `.h5` that `model.save_weights` writes; then a
 * promise).
 *
 * @example
 * ```ts
 * import { larqMnistCnn } from "./larq_mnist.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(larqMnistCnn({ seed: 1 }).apply(Tensor.zeros([1, 28, 28, 1])).shape); // [1, 10]
 * const trained = await larqMnistCnn({ weights: "tests/fixtures/keras_files/larq_mnist_weights.h5" });
 * console.log(trained.layers.length); // 14
 * ```
 */
export function larqMnistCnn(options: { seed?: number; weights: string | Uint8Array }): Promise<Sequential>;
/** larq's MNIST CNN with random weights (seeded; default seed 0): returns the model itself. */
export function larqMnistCnn(options?: { seed?: number; weights?: undefined }): Sequential;
/** larq's MNIST CNN: a promise when `weights` is given, else the model. */
export function larqMnistCnn(
  options?: { seed?: number; weights?: string | Uint8Array },
): Sequential | Promise<Sequential>;
export function larqMnistCnn(
  options: { seed?: number; weights?: string | Uint8Array } = {},
): Sequential | Promise<Sequential> {
  const binary = {
    inputQuantizer: "ste_sign",
    kernelQuantizer: "ste_sign",
    kernelConstraint: weightClip(),
    useBias: false,
  } as const;
  const model = new Sequential([
    new QuantConv2D(32, 3, { kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias: false }),
    new MaxPool2D(2),
    new BatchNormalization({ scale: false }),
    new QuantConv2D(64, 3, binary),
    new MaxPool2D(2),
    new BatchNormalization({ scale: false }),
    new QuantConv2D(64, 3, binary),
    new BatchNormalization({ scale: false }),
    new Flatten(),
    new QuantDense(64, binary),
    new BatchNormalization({ scale: false }),
    new QuantDense(10, binary),
    new BatchNormalization({ scale: false }),
    new Activation("softmax"),
  ], { seed: options.seed ?? 0, inputShape: [28, 28, 1] });
  return options.weights === undefined ? model : withWeightsH5(model, options.weights);
}
