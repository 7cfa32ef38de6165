/**
 * The BatchNorm/ReLU order block shared by the converter's hint test (convert/report_test.ts) and the benchmark
 * that measures the hint's cost (bench/bn_relu_order.ts): the same model in both, so the cost quoted is the cost
 * of what the test checks.
 * @module
 */
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { ReLU } from "../layers/core.ts";
import { weightClip } from "../layers/layer.ts";
import { Tensor } from "../graph/tensor.ts";
import { Sequential } from "../models/sequential.ts";

/** A larq binary convolution's options: ste_sign input and kernel, weight clip, same-one padding. */
export const BINARY_CONV = {
  inputQuantizer: "ste_sign",
  kernelQuantizer: "ste_sign",
  kernelConstraint: weightClip(),
  padding: "same",
  padValues: 1,
} as const;

/** Where the ReLU goes after the first convolution: before or after BatchNormalization, or alone. */
export type BnReluOrder = "bn_relu" | "relu_bn" | "relu_only";

/**
 * conv → (BN, ReLU in `order`) → conv on an `[h, w, c]` input, built, with BatchNorm statistics that are not the
 * identity (moving means -3..3, betas 0..0.4), so the ReLU cannot fuse by accident.
 */
export function bnReluBlock(order: BnReluOrder, [h, w, c]: readonly number[], seed: number): Sequential {
  const bn = new BatchNormalization();
  const mid = order === "bn_relu" ? [bn, new ReLU()] : order === "relu_bn" ? [new ReLU(), bn] : [new ReLU()];
  const model = new Sequential([new QuantConv2D(c, 3, BINARY_CONV), ...mid, new QuantConv2D(c, 3, BINARY_CONV)], {
    seed,
  });
  model.apply(Tensor.zeros([1, h, w, c]));
  if (order !== "relu_only") {
    bn.movingMean.assign(Tensor.from(Array.from({ length: c }, (_, i) => (i % 7) - 3)));
    bn.beta!.assign(Tensor.from(Array.from({ length: c }, (_, i) => 0.1 * (i % 5))));
  }
  return model;
}
