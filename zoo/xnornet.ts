/**
 * XNOR-Net (Rastegari et al. 2016, https://arxiv.org/abs/1603.05279) as
 * larq-zoo builds it: an AlexNet whose binary convolutions take ste_sign
 * inputs and xnor_weight_scale kernels (a per-filter mean-|w| scale on the
 * sign), weight_clip, an L2(5e-7) kernel penalty, and a 4096-unit
 * classifier written as convolutions.
 * @module
 */
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D, type QuantConv2DOptions } from "../layers/conv.ts";
import { Activation, Flatten } from "../layers/core.ts";
import { Dense } from "../layers/dense.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import { L2 } from "../layers/regularizers.ts";
import type { SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { type ZooOptions, zooStart } from "./_common.ts";

/** larq-zoo's BatchNormalization for XNOR-Net: momentum 0.9, no scale. */
const bn = (epsilon: number) => new BatchNormalization({ momentum: 0.9, scale: false, epsilon });

/**
 * XNOR-Net with random weights (seeded): the layers, names and parameter
 * counts of larq-zoo's `XNORNet` (62,396,768 parameters for 224×224×3 and
 * 1000 classes). Its last feature convolution is 6×6 "valid", so inputs
 * need at least 6×6 after the three poolings (about 200 pixels).
 *
 * @example
 * ```ts ignore
 * import { xnorNet } from "./xnornet.ts";
 * console.log(xnorNet().output.shape); // [ 1000 ]
 * ```
 */
export function xnorNet(options: ZooOptions = {}): Model {
  const { image, numClasses, includeTop, seeded } = zooStart("xnorNet", options);
  const binary = (): QuantConv2DOptions => ({
    kernelQuantizer: "xnor_weight_scale",
    inputQuantizer: "ste_sign",
    kernelConstraint: "weight_clip",
    useBias: false,
    kernelRegularizer: new L2(5e-7),
  });
  const conv = (x: SymbolicTensor, filters: number, size: number, padding: "same" | "valid" = "same") =>
    seeded(new QuantConv2D(filters, size, { padding, ...binary() })).apply(x);
  const pool = (x: SymbolicTensor) => new MaxPool2D(3, { strides: 2 }).apply(x);
  let x = seeded(new Conv2D(96, 11, { strides: 4, padding: "same", useBias: false, kernelRegularizer: new L2(5e-7) }))
    .apply(image);
  x = seeded(bn(1e-5)).apply(x);
  x = new Activation("relu").apply(x);
  x = seeded(bn(1e-4)).apply(pool(x));
  x = seeded(bn(1e-4)).apply(pool(conv(x, 256, 5)));
  x = seeded(bn(1e-4)).apply(conv(x, 384, 3));
  x = seeded(bn(1e-4)).apply(conv(x, 384, 3));
  x = seeded(bn(1e-4)).apply(pool(conv(x, 256, 3)));
  x = seeded(bn(1e-4)).apply(conv(x, 4096, 6, "valid"));
  if (includeTop) {
    // A 1×1 convolution: the same as a dense layer here.
    x = seeded(bn(1e-3)).apply(conv(x, 4096, 1, "valid"));
    x = new Activation("relu").apply(x);
    x = new Flatten().apply(x);
    x = seeded(new Dense(numClasses, { useBias: false, kernelRegularizer: new L2(5e-7) })).apply(x);
    x = new Activation("softmax").apply(x);
  }
  return new Model(image, x, { name: "xnornet" });
}
