/**
 * Real-to-Binary Net (Martinez et al. 2020, "Training binary neural
 * networks with real-to-binary convolutions",
 * https://openreview.net/forum?id=BJg4NgBKvH), the BNN variant larq-zoo
 * exposes as `RealToBinaryNet`: ResNet-18-shaped blocks of two half
 * blocks, each BN → binary 3×3 conv (ste_sign, weight_clip) whose output
 * is scaled per channel by a squeeze-and-excite gate computed from the
 * conv's real-valued input, then PReLU and a real-valued shortcut.
 * @module
 */
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D } from "../layers/conv.ts";
import { Reshape } from "../layers/core.ts";
import { Dense } from "../layers/dense.ts";
import { Identity } from "../layers/identity.ts";
import { Add, Multiply } from "../layers/merge.ts";
import { AveragePooling2D, MaxPool2D } from "../layers/pooling.ts";
import { PReLU } from "../layers/prelu.ts";
import { Softmax } from "../layers/softmax.ts";
import type { SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { globalPool, type ZooOptions, type ZooStart, zooStart } from "./_common.ts";

const MODEL = "r2b_bnn";
/** Channels of the scaling gate's bottleneck: input channels / 8 (larq-zoo's scaling_r). */
const SCALING_R = 8;

/** larq-zoo's shared pieces: BN (momentum 0.99), PReLU shared over height and width, glorot_normal convolutions. */
function parts(seeded: ZooStart["seeded"]) {
  return {
    bn: (name: string) => seeded(new BatchNormalization({ momentum: 0.99, name })),
    prelu: (name: string) => seeded(new PReLU({ sharedAxes: [1, 2], name })),
    conv: (filters: number, size: number, name: string, strides = 1) =>
      seeded(
        new Conv2D(filters, size, {
          strides,
          padding: "same",
          kernelInitializer: "glorot_normal",
          useBias: false,
          name,
        }),
      ),
  };
}

/** The gate: global pool of the conv's input → Dense(C/8, relu) → Dense(out, sigmoid) → reshape → × conv output. */
function scaleConvOutput(
  seeded: ZooStart["seeded"],
  convInput: SymbolicTensor,
  convOutput: SymbolicTensor,
  name: string,
): SymbolicTensor {
  const out = convOutput.shape[2];
  const dense = (units: number, activation: "relu" | "sigmoid", suffix: string) =>
    seeded(new Dense(units, { activation, kernelInitializer: "he_normal", useBias: false, name: `${name}_${suffix}` }));
  let z = globalPool(convInput, `${name}_scaling_pool`);
  z = dense(Math.floor(convInput.shape[2] / SCALING_R), "relu", "scaling_dense_reduce").apply(z);
  z = dense(out, "sigmoid", "scaling_dense_expand").apply(z);
  z = new Reshape([1, 1, out], { name: `${name}_scaling_reshape` }).apply(z);
  return new Multiply({ name: `${name}_scaling_multiplication` }).apply([convOutput, z]);
}

/** Half a block: shortcut (pooled and projected when the channels double), BN → binary conv → gate → PReLU, add. */
function halfBinaryBlock(seeded: ZooStart["seeded"], x: SymbolicTensor, downsample: boolean, name: string) {
  const { bn, prelu, conv } = parts(seeded);
  const inChannels = x.shape[2], outChannels = downsample ? 2 * inChannels : inChannels;
  let shortcut = x;
  if (inChannels !== outChannels) {
    shortcut = new AveragePooling2D(2, { strides: 2, padding: "same", name: `${name}_shortcut_pool` }).apply(x);
    shortcut = conv(outChannels, 1, `${name}_shortcut_conv2d`).apply(shortcut);
    shortcut = bn(`${name}_shortcut_batch_norm`).apply(shortcut);
  }
  const convInput = bn(`${name}_batch_norm`).apply(x);
  const binaryConv = new QuantConv2D(outChannels, 3, {
    strides: downsample ? 2 : 1,
    padding: "same",
    inputQuantizer: "ste_sign",
    kernelQuantizer: "ste_sign",
    kernelConstraint: "weight_clip",
    kernelInitializer: "glorot_normal",
    useBias: false,
    name: `${name}_conv2d`,
  });
  const convOutput = seeded(binaryConv).apply(convInput);
  const y = prelu(`${name}_prelu`).apply(scaleConvOutput(seeded, convInput, convOutput, name));
  return new Add({ name: `${name}_skip_add` }).apply([y, shortcut]);
}

/**
 * Real-to-Binary Net (BNN) with random weights (seeded): the layers, names
 * and parameter counts of larq-zoo's `RealToBinaryNet` (11,995,624
 * parameters for 224×224×3 and 1000 classes).
 *
 * @example
 * ```ts
 * import { realToBinaryNet } from "./real_to_binary_net.ts";
 * const m = realToBinaryNet({ inputShape: [64, 64, 3], numClasses: 10 });
 * console.log(m.name, m.output.shape); // r2b_bnn [ 10 ]
 * ```
 */
export function realToBinaryNet(options: ZooOptions = {}): Model {
  const { image, numClasses, includeTop, seeded } = zooStart("realToBinaryNet", options);
  const { bn, prelu, conv } = parts(seeded);
  const first = `${MODEL}_block_1`;
  let x = conv(64, 7, `${first}_conv2d`, 2).apply(image);
  x = bn(`${first}_batch_norm`).apply(x);
  x = prelu(`${first}_prelu`).apply(x);
  x = new MaxPool2D(3, { strides: 2, padding: "same", name: `${first}_pool` }).apply(x);
  for (let block = 2; block < 10; block++) {
    const name = `${MODEL}_block_${block}`;
    x = halfBinaryBlock(seeded, x, block % 2 === 0 && block > 3, `${name}a`);
    x = halfBinaryBlock(seeded, x, false, `${name}b`);
    // A named block output (larq-zoo's identity Lambda, for attention matching in distillation).
    x = new Identity({ name: `${name}_out` }).apply(x);
  }
  if (includeTop) {
    const last = `${MODEL}_block_10`;
    x = globalPool(x, `${last}_global_pool`);
    x = seeded(new Dense(numClasses, { name: `${last}_logits` })).apply(x);
    x = new Softmax({ name: `${last}_probs` }).apply(x);
  }
  return new Model(image, x, { name: MODEL });
}
