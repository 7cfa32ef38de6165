/**
 * DoReFa-Net (Zhou et al. 2016, https://arxiv.org/abs/1606.06160) as
 * larq-zoo builds it: an AlexNet with 2-bit DoReFa activations and
 * binary weights scaled by their mean magnitude with an identity gradient
 * (magnitude_aware_sign_unclipped), no weight constraint (larq warns of
 * starved weights, as it does for larq-zoo's model), and a
 * clip_by_value_activation before the float classifier.
 * @module
 */
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D } from "../layers/conv.ts";
import { Activation, Flatten } from "../layers/core.ts";
import { Dense, QuantDense } from "../layers/dense.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import type { SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { DoReFa } from "../quantizers/dorefa.ts";
import { MagnitudeAwareSignUnclipped } from "../quantizers/magnitude_aware_sign_unclipped.ts";
import { type ZooOptions, zooStart } from "./_common.ts";

/** larq-zoo's BatchNormalization for DoReFa-Net: momentum 0.9, epsilon 1e-4, no scale. */
const bn = () => new BatchNormalization({ scale: false, momentum: 0.9, epsilon: 1e-4 });

/**
 * DoReFa-Net with random weights (seeded): the layers, names and
 * parameter counts of larq-zoo's `DoReFaNet` (62,403,912 parameters for
 * 224×224×3 and 1000 classes; `activationsKBit` as larq-zoo's
 * `activations_k_bit`, default 2).
 *
 * @example
 * ```ts ignore
 * import { doReFaNet } from "./dorefanet.ts";
 * console.log(doReFaNet().output.shape); // [ 1000 ]
 * ```
 */
export function doReFaNet(options: ZooOptions & { activationsKBit?: number } = {}): Model {
  const { image, numClasses, includeTop, seeded } = zooStart("doReFaNet", options);
  const quantizers = () => ({
    inputQuantizer: new DoReFa({ kBit: options.activationsKBit ?? 2 }),
    kernelQuantizer: new MagnitudeAwareSignUnclipped(),
    useBias: false,
  });
  const convBlock = (x: SymbolicTensor, filters: number, size: number, pool: "same" | "valid" | null = null) => {
    x = seeded(new QuantConv2D(filters, size, { padding: "same", ...quantizers() })).apply(x);
    x = seeded(bn()).apply(x);
    return pool ? new MaxPool2D(3, { strides: 2, padding: pool }).apply(x) : x;
  };
  const fullyConnected = (x: SymbolicTensor, units: number) =>
    seeded(bn()).apply(seeded(new QuantDense(units, quantizers())).apply(x));
  let x = seeded(new Conv2D(96, 12, { strides: 4, padding: "valid" })).apply(image);
  x = convBlock(x, 256, 5, "same");
  x = convBlock(x, 384, 3, "same");
  x = convBlock(x, 384, 3);
  x = convBlock(x, 256, 3, "valid");
  if (includeTop) {
    x = new Flatten().apply(x);
    x = fullyConnected(x, 4096);
    x = fullyConnected(x, 4096);
    x = new Activation("clip_by_value_activation").apply(x);
    x = seeded(new Dense(numClasses)).apply(x);
    x = new Activation("softmax").apply(x);
  }
  return new Model(image, x, { name: "dorefanet" });
}
