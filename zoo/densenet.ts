/**
 * BinaryDenseNet28/37/37Dilated/45 (Bethge et al. 2019, "Back to
 * Simplicity: How to Train Accurate BNNs from Scratch?",
 * https://arxiv.org/abs/1906.08637) as larq-zoo builds them: dense blocks
 * of BN → binary 3×3 conv (64 new channels, ste_sign(1.3) inputs and
 * kernels, weight_clip(1.3)) → concatenate, and real-valued transitions
 * (BN → max pool → ReLU → 1×1 conv) that shrink the channels by a
 * reduction factor. The dilated variant replaces the last two poolings by
 * dilation.
 * @module
 */
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D } from "../layers/conv.ts";
import { Activation } from "../layers/core.ts";
import { Dense } from "../layers/dense.ts";
import { weightClip } from "../layers/layer.ts";
import { Concatenate } from "../layers/merge.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import type { SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import { globalPool, type ZooOptions, zooStart } from "./_common.ts";

/** The BinaryDenseNet variants, by larq-zoo's model names. */
export type BinaryDenseNetVariant =
  | "binary_densenet28"
  | "binary_densenet37"
  | "binary_densenet37_dilated"
  | "binary_densenet45";

const VARIANTS = {
  binary_densenet28: { reduction: [2.7, 2.7, 2.2], dilation: [1, 1, 1, 1], layers: [6, 6, 6, 5] },
  binary_densenet37: { reduction: [3.3, 3.3, 4], dilation: [1, 1, 1, 1], layers: [6, 8, 12, 6] },
  binary_densenet37_dilated: { reduction: [3.3, 3.3, 4], dilation: [1, 1, 2, 4], layers: [6, 8, 12, 6] },
  binary_densenet45: { reduction: [2.7, 3.3, 4], dilation: [1, 1, 1, 1], layers: [6, 12, 14, 8] },
} as const satisfies Record<
  BinaryDenseNetVariant,
  { reduction: readonly number[]; dilation: readonly number[]; layers: readonly number[] }
>;

/** Channels after a transition, as larq-zoo computes them: round(C // reduction / 32) · 32 (Python's round). */
export function transitionFilters(channels: number, reduction: number): number {
  const q = Math.floor(channels / reduction) / 32, r = Math.round(q);
  return 32 * (Math.abs(q % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r);
}

const bn = () => new BatchNormalization({ momentum: 0.9, epsilon: 1e-5 });

/**
 * A BinaryDenseNet with random weights (seeded): the layers, names and
 * parameter counts of larq-zoo's `BinaryDenseNet28` (5,150,504 parameters
 * for 224×224×3 and 1000 classes), `BinaryDenseNet37` and
 * `BinaryDenseNet37Dilated` (8,734,120) and `BinaryDenseNet45`
 * (13,939,240). Inputs under 50 pixels high get larq-zoo's small stem.
 *
 * @example
 * ```ts
 * import { binaryDenseNet } from "./densenet.ts";
 * const m = binaryDenseNet("binary_densenet28", { inputShape: [32, 32, 3], numClasses: 10 });
 * console.log(m.name, m.output.shape); // binary_densenet28 [ 10 ]
 * ```
 */
export function binaryDenseNet(variant: BinaryDenseNetVariant, options: ZooOptions = {}): Model {
  const spec = VARIANTS[variant];
  if (!spec) {
    throw new RangeError(
      `unknown BinaryDenseNet variant ${JSON.stringify(variant)}; use ${Object.keys(VARIANTS).join(", ")}`,
    );
  }
  const { image, numClasses, includeTop, seeded } = zooStart("binaryDenseNet", options);
  const denseBlock = (x: SymbolicTensor, dilationRate: number): SymbolicTensor => {
    const conv = new QuantConv2D(64, 3, {
      dilationRate,
      inputQuantizer: new SteSign({ clipValue: 1.3 }),
      kernelQuantizer: new SteSign({ clipValue: 1.3 }),
      kernelInitializer: "glorot_normal",
      kernelConstraint: weightClip(1.3),
      padding: "same",
      useBias: false,
    });
    const y = seeded(conv).apply(seeded(bn()).apply(x));
    return new Concatenate().apply([x, y]);
  };
  let x: SymbolicTensor;
  const stem = { padding: "same", kernelInitializer: "he_normal", useBias: false } as const;
  if (image.shape[0] < 50) {
    x = seeded(new Conv2D(64, 3, stem)).apply(image);
  } else {
    x = seeded(new Conv2D(64, 7, { ...stem, strides: 2 })).apply(image);
    x = seeded(bn()).apply(x);
    x = new Activation("relu").apply(x);
    x = new MaxPool2D(3, { strides: 2, padding: "same" }).apply(x);
  }
  spec.layers.forEach((layers, block) => {
    for (let i = 0; i < layers; i++) x = denseBlock(x, spec.dilation[block]);
    if (block < spec.layers.length - 1) {
      x = seeded(bn()).apply(x);
      if (spec.dilation[block + 1] === 1) x = new MaxPool2D(2, { strides: 2 }).apply(x);
      x = new Activation("relu").apply(x);
      const filters = transitionFilters(x.shape[2], spec.reduction[block]);
      x = seeded(new Conv2D(filters, 1, { kernelInitializer: "he_normal", useBias: false })).apply(x);
    }
  });
  x = seeded(bn()).apply(x);
  x = new Activation("relu").apply(x);
  if (includeTop) {
    x = globalPool(x);
    x = seeded(new Dense(numClasses, { kernelInitializer: "he_normal" })).apply(x);
    x = new Activation("softmax").apply(x);
  }
  return new Model(image, x, { name: variant });
}
