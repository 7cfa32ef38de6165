/**
 * BinaryResNetE18 (Bethge et al. 2019, "Back to Simplicity: How to Train
 * Accurate BNNs from Scratch?", https://arxiv.org/abs/1906.08637) as
 * larq-zoo builds it: a ResNet-18 whose every binary 3×3 convolution has
 * its own shortcut, real-valued downsampling shortcuts (average pool + 1×1
 * conv + BN), ste_sign(1.25) inputs and kernels, weight_clip(1.25).
 * @module
 */
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D } from "../layers/conv.ts";
import { Activation } from "../layers/core.ts";
import { Dense } from "../layers/dense.ts";
import { weightClip } from "../layers/layer.ts";
import { Add } from "../layers/merge.ts";
import { AveragePooling2D, MaxPool2D } from "../layers/pooling.ts";
import type { SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import { globalPool, type ZooOptions, zooStart } from "./_common.ts";

/** BinaryResNetE18's sections: blocks (each doubled into two shortcut blocks) and filters. */
const SECTIONS = { blocks: [2, 2, 2, 2], filters: [64, 128, 256, 512] } as const;

/** larq-zoo's BatchNormalization for ResNetE. */
const bn = () => new BatchNormalization({ momentum: 0.9, epsilon: 1e-5 });

/**
 * BinaryResNetE18 with random weights (seeded): the layers, names and
 * parameter counts of larq-zoo's `BinaryResNetE18` (11,699,368 parameters
 * for 224×224×3 and 1000 classes). Inputs under 50 pixels high get
 * larq-zoo's small stem (one 3×3 convolution).
 *
 * @example
 * ```ts
 * import { binaryResNetE18 } from "./resnet_e.ts";
 * const m = binaryResNetE18({ inputShape: [32, 32, 3], numClasses: 10 });
 * console.log(m.name, m.output.shape); // binary_resnet_e_18 [ 10 ]
 * ```
 */
export function binaryResNetE18(options: ZooOptions = {}): Model {
  const { image, numClasses, includeTop, seeded } = zooStart("binaryResNetE18", options);
  const residualBlock = (x: SymbolicTensor, filters: number, strides: number): SymbolicTensor => {
    let residual = x;
    if (x.shape[2] !== filters) {
      residual = new AveragePooling2D(2, { strides: 2 }).apply(residual);
      residual = seeded(new Conv2D(filters, 1, { useBias: false, kernelInitializer: "glorot_normal" })).apply(residual);
      residual = seeded(bn()).apply(residual);
    }
    const conv = new QuantConv2D(filters, 3, {
      strides,
      padding: "same",
      inputQuantizer: new SteSign({ clipValue: 1.25 }),
      kernelQuantizer: new SteSign({ clipValue: 1.25 }),
      kernelConstraint: weightClip(1.25),
      kernelInitializer: "glorot_normal",
      useBias: false,
    });
    const y = seeded(bn()).apply(seeded(conv).apply(x));
    return new Add().apply([y, residual]);
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
    x = seeded(bn()).apply(x);
  }
  SECTIONS.blocks.forEach((blocks, section) => {
    // Each ResNet block becomes two, one per binary convolution, each with a shortcut.
    for (let layer = 0; layer < blocks * 2; layer++) {
      x = residualBlock(x, SECTIONS.filters[section], section === 0 || layer !== 0 ? 1 : 2);
    }
  });
  x = new Activation("relu").apply(x);
  if (includeTop) {
    x = globalPool(x);
    x = seeded(new Dense(numClasses, { kernelInitializer: "glorot_normal" })).apply(x);
    x = new Activation("softmax").apply(x);
  }
  return new Model(image, x, { name: "binary_resnet_e_18" });
}
