/**
 * Binary AlexNet (Hubara et al. 2016, "Binarized Neural Networks",
 * https://papers.nips.cc/paper/6573-binarized-neural-networks) as larq-zoo
 * builds it: ste_sign inputs (but not on the image) and kernels,
 * weight_clip, BatchNormalization without scale, and a classifier of 1×1
 * binary convolutions on the flattened features.
 * @module
 */
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation, Flatten, Reshape } from "../layers/core.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import type { SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { type ZooOptions, zooStart } from "./_common.ts";

/**
 * Binary AlexNet with random weights (seeded): the layers, names and
 * parameter counts of larq-zoo's `BinaryAlexNet` (61,859,192 parameters
 * for 224×224×3 and 1000 classes; `inflationRatio` as larq-zoo's
 * `inflation_ratio`, default 1).
 *
 * @example
 * ```ts ignore
 * import { binaryAlexNet } from "./binary_alexnet.ts";
 * console.log(binaryAlexNet().output.shape); // [ 1000 ]
 * ```
 */
export function binaryAlexNet(options: ZooOptions & { inflationRatio?: number } = {}): Model {
  const { image, numClasses, includeTop, seeded } = zooStart("binaryAlexNet", options);
  const inflation = options.inflationRatio ?? 1;
  if (!Number.isInteger(inflation) || inflation < 1) {
    throw new RangeError(`binaryAlexNet: inflationRatio must be a positive integer, got ${JSON.stringify(inflation)}`);
  }
  const bn = () => seeded(new BatchNormalization({ scale: false, momentum: 0.9 }));
  const binary = (first = false) => ({
    inputQuantizer: first ? null : "ste_sign",
    kernelQuantizer: "ste_sign",
    kernelConstraint: "weight_clip",
    useBias: false,
  } as const);
  const convBlock = (
    x: SymbolicTensor,
    features: number,
    size: number,
    { strides = 1, pool = false, first = false, inflate = true } = {},
  ) => {
    const filters = features * (inflate ? inflation : 1);
    x = seeded(new QuantConv2D(filters, size, { strides, padding: "same", ...binary(first) })).apply(x);
    if (pool) x = new MaxPool2D(3, { strides: 2 }).apply(x);
    return bn().apply(x);
  };
  const denseBlock = (x: SymbolicTensor, units: number) =>
    bn().apply(seeded(new QuantConv2D(units, 1, binary())).apply(x));
  let x = convBlock(image, 64, 11, { strides: 4, pool: true, first: true });
  x = convBlock(x, 192, 5, { pool: true });
  x = convBlock(x, 384, 3);
  x = convBlock(x, 384, 3);
  x = convBlock(x, 256, 3, { pool: true, inflate: false });
  if (includeTop) {
    x = new Reshape([1, 1, x.shape[0] * x.shape[1] * x.shape[2]]).apply(x);
    x = denseBlock(x, 4096);
    x = denseBlock(x, 4096);
    x = denseBlock(x, numClasses);
    x = new Flatten().apply(x);
    x = new Activation("softmax").apply(x);
  }
  return new Model(image, x, { name: "binary_alexnet" });
}
