/**
 * MeliusNet22 (Bethge et al. 2020, "MeliusNet: Can Binary Neural Networks
 * Achieve MobileNet-level Accuracy?", https://arxiv.org/abs/2001.05936) as
 * larq-zoo builds it: a grouped-convolution stem, then blocks of a dense
 * block (BN → binary 3×3 conv, 64 new channels, concatenated) and an
 * improvement block (BN → binary 3×3 conv, added to the last 64
 * channels), with real-valued transitions (BN → max pool → ReLU → 1×1
 * conv). Binary layers: ste_sign(1.3) inputs and kernels, weight_clip(1.3).
 * @module
 */
import { AddToLastChannels } from "../layers/add_to_last_channels.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D } from "../layers/conv.ts";
import { Activation } from "../layers/core.ts";
import { Dense } from "../layers/dense.ts";
import { weightClip } from "../layers/layer.ts";
import { Concatenate } from "../layers/merge.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import { Split } from "../layers/split.ts";
import type { SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import { globalPool, type ZooOptions, type ZooStart, zooStart } from "./_common.ts";

/** MeliusNet22: blocks per section and the channels after each section's transition (none after the last). */
const MELIUSNET22 = { blocks: [4, 5, 4, 4], transitions: [160, 224, 256, null] } as const;

/** larq-zoo's MeliusNet layers, each named. */
function parts(seeded: ZooStart["seeded"]) {
  const conv = (x: SymbolicTensor, filters: number, size: number, name: string, strides = 1) =>
    seeded(
      new Conv2D(filters, size, { strides, padding: "same", useBias: false, kernelInitializer: "glorot_normal", name }),
    )
      .apply(x);
  return {
    conv,
    pool: (x: SymbolicTensor, name: string) => new MaxPool2D(2, { strides: 2, padding: "same", name }).apply(x),
    norm: (x: SymbolicTensor, name: string) =>
      seeded(new BatchNormalization({ momentum: 0.9, epsilon: 1e-5, name })).apply(x),
    act: (x: SymbolicTensor, name: string) => new Activation("relu", { name }).apply(x),
    quantConv: (x: SymbolicTensor, name: string) =>
      seeded(
        new QuantConv2D(64, 3, {
          padding: "same",
          useBias: false,
          inputQuantizer: new SteSign({ clipValue: 1.3 }),
          kernelQuantizer: new SteSign({ clipValue: 1.3 }),
          kernelConstraint: weightClip(1.3),
          kernelInitializer: "glorot_normal",
          name,
        }),
      ).apply(x),
    /** larq-zoo's grouped convolution: split the channels, one conv per group, concatenate. */
    groupConv: (x: SymbolicTensor, filters: number, groups: number, name: string) => {
      const parts = new Split(groups, { name: `${name}_split` }).applyOutputs(x);
      const ys = parts.map((p, i) => conv(p, filters / groups, 3, `${name}_conv${i}`));
      return new Concatenate({ name: `${name}_concat` }).apply(ys);
    },
  };
}

/**
 * MeliusNet22 with random weights (seeded): the layers, names and
 * parameter counts of larq-zoo's `MeliusNet22` (6,969,672 parameters for
 * 224×224×3 and 1000 classes). The grouped stem convolutions are larq-zoo's
 * split → per-group Conv2D → concatenate, so summaries match row by row.
 *
 * @example
 * ```ts
 * import { meliusNet22 } from "./meliusnet.ts";
 * const m = meliusNet22({ inputShape: [64, 64, 3], numClasses: 10 });
 * console.log(m.name, m.output.shape); // meliusnet22 [ 10 ]
 * ```
 */
export function meliusNet22(options: ZooOptions = {}): Model {
  const { image, numClasses, includeTop, seeded } = zooStart("meliusNet22", options);
  const { conv, pool, norm, act, quantConv, groupConv } = parts(seeded);
  let x = act(norm(conv(image, 32, 3, "stem_s0_conv", 2), "stem_s0_bn"), "stem_s0_relu");
  x = act(norm(groupConv(x, 32, 4, "stem_s1_groupconv"), "stem_s1_bn"), "stem_s1_relu");
  x = act(norm(groupConv(x, 64, 8, "stem_s2_groupconv"), "stem_s2_bn"), "stem_s2_relu");
  x = pool(x, "stem_pool");
  MELIUSNET22.blocks.forEach((blocks, i) => {
    for (let j = 0; j < blocks; j++) {
      const name = `section_${i}_block_${j}`;
      const dense = quantConv(norm(x, `${name}_dense_bn`), `${name}_dense_binconv`);
      x = new Concatenate({ name: `${name}_dense_concat` }).apply([x, dense]);
      const improve = quantConv(norm(x, `${name}_improve_bn`), `${name}_improve_binconv`);
      x = new AddToLastChannels({ name: `${name}_improve_merge` }).apply([x, improve]);
    }
    const filters = MELIUSNET22.transitions[i];
    if (filters !== null) {
      const name = `section_${i}_transition`;
      x = act(pool(norm(x, `${name}_bn`), `${name}_maxpool`), `${name}_relu`);
      x = conv(x, filters, 1, `${name}_pw`);
    }
  });
  x = act(norm(x, "head_bn"), "head_relu");
  if (includeTop) {
    x = globalPool(x, "head_globalpool");
    x = seeded(new Dense(numClasses, { kernelInitializer: "glorot_normal", name: "head_dense" })).apply(x);
    x = new Activation("softmax", { name: "head_softmax" }).apply(x);
  }
  return new Model(image, x, { name: "meliusnet22" });
}
