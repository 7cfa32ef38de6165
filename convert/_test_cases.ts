/**
 * The converter's round-trip sweep, shared by convert_test.ts and
 * tools/convert_sweep.ts (which hands the files to LCE's and LiteRT's
 * interpreters): small models covering every layer the converter lowers and
 * every fusion it makes, with the ops each file must (not) contain.
 * @module
 */
import { input, link, type SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import * as ops from "../graph/ops.ts";
import { Sequential } from "../models/sequential.ts";
import { Tensor } from "../graph/tensor.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D, type QuantConv2DOptions } from "../layers/conv.ts";
import { Activation, Dropout, Flatten, ReLU, Reshape, ZeroPadding2D } from "../layers/core.ts";
import { Conv2DTranspose, QuantConv1D, QuantSeparableConv2D, SeparableConv2D } from "../layers/conv_variants.ts";
import { Dense, QuantDense } from "../layers/dense.ts";
import { DepthwiseConv2D, QuantDepthwiseConv2D } from "../layers/depthwise.ts";
import { seededRandom } from "../graph/random.ts";
import { type Layer, weightClip } from "../layers/layer.ts";
import { Add, Concatenate } from "../layers/merge.ts";
import { AveragePooling2D, GlobalAveragePooling2D, MaxPool2D } from "../layers/pooling.ts";
import { customQuantizer } from "../quantizers/registry.ts";
import { readModel } from "../tflite/reader.ts";
import { builtinName } from "../tflite/schema.ts";
import { type ConversionReport, convert } from "./convert.ts";

/** Random BatchNorm statistics (γ of both signs), so folding is exercised. */
export function randomize(model: Model | Sequential, seed: number): void {
  const r = seededRandom(seed);
  for (const l of model.layers) {
    if (!(l instanceof BatchNormalization)) continue;
    const c = l.movingMean.size;
    const vals = (f: () => number) => Float32Array.from({ length: c }, f);
    l.movingMean.assign(vals(() => r() * 4 - 2));
    l.movingVariance.assign(vals(() => 0.5 + r() * 2));
    l.gamma?.assign(vals(() => (r() < 0.3 ? -1 : 1) * (0.2 + r())));
    l.beta?.assign(vals(() => r() * 2 - 1));
  }
}

/** Layer initialisation of the case being built (reset by runCase, so every run has the same weights). */
let init = seededRandom(13);

/** link() with a seeded layer: functional layers build (and initialise) when linked. */
function sl(layer: Layer, ...inputs: SymbolicTensor[]): SymbolicTensor {
  return link(layer.seed(init), ...inputs);
}

/** The op names of a file, in order. */
export function opNames(bytes: Uint8Array): string[] {
  const m = readModel(bytes);
  return m.subgraphs[0].operators.map((o) => {
    const c = m.operatorCodes[o.opcodeIndex];
    return c.customCode ?? builtinName(c.builtinCode);
  });
}

export interface Case {
  name: string;
  model: () => Model | Sequential;
  inputShape: number[];
  batch?: number;
  /** Ops the file must contain, in order of first appearance among them. */
  expect?: string[];
  /** Ops the file must not contain. */
  absent?: string[];
  /** A bitpacked LceBconv2d (threshold input) must be present. */
  bitpacked?: boolean;
}

const bin = (o: QuantConv2DOptions = {}): QuantConv2DOptions => ({
  inputQuantizer: "ste_sign",
  kernelQuantizer: "ste_sign",
  kernelConstraint: weightClip(),
  ...o,
});

const bin1d = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() } as const;

export const CASES: Case[] = [
  {
    name: "binary chain: conv → BN → conv (bitpacked output), negative γ flips weights",
    model: () =>
      new Sequential([
        new QuantConv2D(40, 3, bin({ useBias: false })),
        new BatchNormalization(),
        new QuantConv2D(16, 3, bin({ padding: "same", padValues: 1 })),
        new BatchNormalization(),
      ]),
    inputShape: [9, 9, 35],
    expect: ["LceQuantize", "LceBconv2d", "LceBconv2d"],
    absent: ["CONV_2D", "LceDequantize", "MUL"],
    bitpacked: true,
  },
  {
    name: "max pool before a binary conv becomes LceBMaxPool2d (bitpacked chain through it)",
    model: () =>
      new Sequential([
        new QuantConv2D(32, 3, bin({ padding: "same", padValues: 1 })),
        new BatchNormalization(),
        new MaxPool2D(2, { strides: 2 }),
        new QuantConv2D(8, 3, bin()),
      ]),
    inputShape: [10, 10, 32],
    expect: ["LceQuantize", "LceBconv2d", "LceBMaxPool2d", "LceBconv2d"],
    absent: ["MAX_POOL_2D"],
    bitpacked: true,
  },
  {
    name: "conv → MaxPool → BatchNorm(scale=False) → binary conv: BN moves before the pool (larq's MNIST BNN)",
    model: () =>
      new Sequential([
        new QuantConv2D(32, 3, { kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias: false }),
        new MaxPool2D(2),
        new BatchNormalization({ scale: false }),
        new QuantConv2D(40, 3, bin({ useBias: false })),
        new MaxPool2D(2),
        new BatchNormalization({ scale: false }),
        new QuantConv2D(8, 3, bin({ useBias: false })),
      ]),
    inputShape: [20, 20, 1],
    expect: ["CONV_2D", "LceQuantize", "LceBMaxPool2d", "LceBconv2d", "LceBMaxPool2d", "LceBconv2d"],
    absent: ["MUL", "ADD", "MAX_POOL_2D"],
    bitpacked: true,
  },
  {
    name: "binary conv → Flatten → binary dense: packed bits go through the reshape (64 channels, whole words)",
    model: () =>
      new Sequential([
        new QuantConv2D(64, 3, bin({ useBias: false })),
        new BatchNormalization(),
        new Flatten(),
        new QuantDense(10, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() }),
      ]),
    inputShape: [5, 5, 16],
    expect: ["LceQuantize", "LceBconv2d", "RESHAPE", "LceBconv2d"],
    absent: ["FULLY_CONNECTED"],
    bitpacked: true,
  },
  {
    name: "same-zero padding (float output, correction), stride 2, dilation 2",
    model: () =>
      new Sequential([
        new QuantConv2D(12, 3, bin({ padding: "same", strides: 2 })),
        new BatchNormalization(),
        new QuantConv2D(6, 3, bin({ padding: "same", dilationRate: 2, activation: "relu" })),
      ]),
    inputShape: [11, 9, 20],
    expect: ["LceQuantize", "LceBconv2d", "LceQuantize", "LceBconv2d", "RELU"],
  },
  {
    name: "QuickNet block: same-one conv with fused ReLU, BN folded after it, residual add",
    model: () => {
      const x = input([8, 8, 32]);
      const h = sl(
        new QuantConv2D(32, 3, bin({ padding: "same", padValues: 1, activation: "relu", useBias: false })),
        x,
      );
      const b = sl(new BatchNormalization(), h);
      return new Model(x, sl(new Add(), b, x));
    },
    inputShape: [8, 8, 32],
    expect: ["LceQuantize", "LceBconv2d", "ADD"],
    absent: ["RELU", "MUL"],
  },
  {
    name: "magnitude_aware_sign kernel scales become the multiplier; approx_sign input",
    model: () =>
      new Sequential([
        new QuantConv2D(24, 3, {
          inputQuantizer: "approx_sign",
          kernelQuantizer: "magnitude_aware_sign",
          kernelConstraint: weightClip(),
          padding: "same",
        }),
      ]),
    inputShape: [7, 7, 33],
    expect: ["LceQuantize", "LceBconv2d"],
    absent: ["CONV_2D"],
  },
  {
    name: "binary dense chain as 1×1 binary convs (bitpacked between them), float head",
    model: () =>
      new Sequential([
        new Flatten(),
        new QuantDense(70, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() }),
        new BatchNormalization(),
        new QuantDense(40, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() }),
        new BatchNormalization(),
        new Dense(10, { activation: "softmax" }),
      ]),
    inputShape: [5, 5, 3],
    expect: ["RESHAPE", "LceQuantize", "LceBconv2d", "LceBconv2d", "FULLY_CONNECTED", "SOFTMAX"],
    bitpacked: true,
  },
  {
    name: "binary dense on a rank-3 input (rows reshaped around a 1×1 binary conv)",
    model: () =>
      new Sequential([
        new Reshape([4, 12]),
        new QuantDense(9, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() }),
      ]),
    inputShape: [6, 8],
    expect: ["LceQuantize", "LceBconv2d", "RESHAPE"],
    absent: ["FULLY_CONNECTED"],
  },
  {
    name: "ste_heaviside {0,1} activations: valid and zero-padded same (same-one in packed form)",
    model: () =>
      new Sequential([
        new QuantConv2D(16, 3, {
          inputQuantizer: "ste_heaviside",
          kernelQuantizer: "ste_sign",
          kernelConstraint: weightClip(),
          padding: "same",
        }),
        new BatchNormalization(),
        new QuantConv2D(8, 3, {
          inputQuantizer: "ste_heaviside",
          kernelQuantizer: "ste_sign",
          kernelConstraint: weightClip(),
        }),
      ]),
    inputShape: [8, 8, 20],
    expect: ["SUB", "LceQuantize", "LceBconv2d", "LceBconv2d"],
    absent: ["CONV_2D"],
    bitpacked: true,
  },
  {
    name: "1-bit DoReFa activations (x > 0.5) on a dense layer and a conv",
    model: () =>
      new Sequential([
        new QuantConv2D(8, 2, {
          inputQuantizer: { class_name: "DoReFa", config: { k_bit: 1, mode: "activations" } },
          kernelQuantizer: "ste_sign",
          kernelConstraint: weightClip(),
        }),
        new Flatten(),
        new QuantDense(5, {
          inputQuantizer: { class_name: "DoReFa", config: { k_bit: 1, mode: "activations" } },
          kernelQuantizer: { class_name: "DoReFa", config: { k_bit: 1, mode: "weights" } },
          kernelConstraint: weightClip(),
        }),
      ]),
    inputShape: [4, 4, 6],
    expect: ["SUB", "LceQuantize", "LceBconv2d"],
    absent: ["CONV_2D", "FULLY_CONNECTED"],
  },
  {
    name: "grouped binary conv (2 groups of 32) and a grouped conv that must stay float (groups of 8)",
    model: () =>
      new Sequential([
        new QuantConv2D(16, 3, bin({ groups: 2, padding: "same", padValues: 1 })),
        new QuantConv2D(8, 1, bin({ groups: 2 })),
      ]),
    inputShape: [6, 6, 64],
    expect: ["LceQuantize", "LceBconv2d", "LceQuantize", "LceDequantize", "CONV_2D"],
  },
  {
    name: "binary depthwise stays a float depthwise on exact ±1 inputs",
    model: () =>
      new Sequential([
        new QuantDepthwiseConv2D(3, {
          inputQuantizer: "ste_sign",
          depthwiseQuantizer: "ste_sign",
          padding: "same",
          padValues: 1,
        }),
      ]),
    inputShape: [6, 6, 5],
    expect: ["LceQuantize", "LceDequantize", "PADV2", "DEPTHWISE_CONV_2D"],
  },
  {
    name: "float layers: conv+BN+relu6, depthwise, pools, concat, reshape, dense, activations",
    model: () => {
      const x = input([8, 8, 3]);
      let a = sl(new Conv2D(8, 3, { padding: "same" }), x);
      a = sl(new BatchNormalization(), a);
      a = sl(new Activation("relu6"), a);
      let b = sl(new DepthwiseConv2D(3, { padding: "same", depthMultiplier: 2, activation: "relu" }), x);
      b = sl(new AveragePooling2D(1, { strides: 1 }), b);
      let y = sl(new Concatenate(), a, b);
      y = sl(new MaxPool2D(2, { padding: "same" }), y);
      y = sl(new Activation("hard_tanh"), y);
      const g = sl(new GlobalAveragePooling2D(), y);
      let z = sl(new Reshape([2, 7]), g);
      z = sl(new Dropout(0.5), z);
      z = sl(new Dense(3, { activation: "tanh" }), z);
      z = sl(new Flatten(), z);
      z = sl(new Dense(4, { activation: "sigmoid" }), z);
      return new Model(x, z);
    },
    inputShape: [8, 8, 3],
    expect: ["CONV_2D", "DEPTHWISE_CONV_2D", "CONCATENATION", "MAX_POOL_2D", "MEAN", "FULLY_CONNECTED", "TANH"],
    absent: ["MUL", "RELU6"],
  },
  {
    name: "Conv1D: binary 1×k convs (valid and same-one), then a dense head",
    model: () =>
      new Sequential([
        new QuantConv1D(32, 3, { ...bin1d, useBias: false }),
        new BatchNormalization(),
        new QuantConv1D(8, 3, { ...bin1d, padding: "same", padValues: 1 }),
        new Flatten(),
        new Dense(3),
      ]),
    inputShape: [12, 5],
    expect: ["RESHAPE", "LceQuantize", "LceBconv2d", "LceBconv2d", "FULLY_CONNECTED"],
    bitpacked: true,
  },
  {
    name: "ZeroPadding2D, SeparableConv2D, Conv2DTranspose, ReLU layers (leaky, capped)",
    model: () =>
      new Sequential([
        new ZeroPadding2D([[1, 2], [0, 1]]),
        new SeparableConv2D(8, 3, { activation: "relu", depthMultiplier: 2 }),
        new Conv2DTranspose(4, 3, { strides: 2, padding: "same" }),
        new ReLU({ negativeSlope: 0.1 }),
        new Conv2DTranspose(3, 2, { strides: 2 }),
        new ReLU({ maxValue: 6 }),
      ]),
    inputShape: [6, 5, 3],
    expect: ["PAD", "DEPTHWISE_CONV_2D", "CONV_2D", "TRANSPOSE_CONV", "LEAKY_RELU", "TRANSPOSE_CONV", "RELU6"],
  },
  {
    name: "binary SeparableConv2D: float depthwise on ±1 inputs, pointwise stays float",
    model: () =>
      new Sequential([
        new QuantSeparableConv2D(16, 3, {
          inputQuantizer: "ste_sign",
          depthwiseQuantizer: "ste_sign",
          pointwiseQuantizer: "ste_sign",
          depthwiseConstraint: weightClip(),
          pointwiseConstraint: weightClip(),
          padding: "same",
          padValues: 1,
        }),
      ]),
    inputShape: [5, 5, 8],
    expect: ["LceQuantize", "LceDequantize", "PADV2", "DEPTHWISE_CONV_2D", "CONV_2D"],
  },
  {
    name: "pad_values=1 on a float conv (no input quantizer) pads with PADV2",
    model: () =>
      new Sequential([
        new QuantConv2D(4, 3, {
          kernelQuantizer: "ste_sign",
          kernelConstraint: weightClip(),
          padding: "same",
          padValues: 1,
        }),
      ]),
    inputShape: [5, 5, 2],
    expect: ["PADV2", "CONV_2D"],
  },
  {
    name: "a custom sign quantizer is recognised by probing; batch 2",
    model: () => {
      const sign = () =>
        customQuantizer((x) => ({ value: ops.where(ops.greaterEqual(x, 0), 1, -1), grad: (dy) => dy }), {
          precision: 1,
          name: "my_sign",
        });
      return new Sequential([
        new QuantConv2D(8, 3, { inputQuantizer: sign(), kernelQuantizer: sign(), kernelConstraint: weightClip() }),
      ]);
    },
    inputShape: [5, 5, 8],
    batch: 2,
    expect: ["LceQuantize", "LceBconv2d"],
  },
];

/** Builds a case's model with random BatchNorm statistics, its input, the TS forward output and the converted file. */
export function runCase(c: Case): { x: Tensor; want: Float32Array; bytes: Uint8Array; report: ConversionReport } {
  init = seededRandom(13);
  const model = c.model();
  for (const l of model.layers) if (!l.built) l.seed(init); // the same weights on every run (lce_outputs.json needs them)
  const batch = c.batch ?? 1;
  const r = seededRandom(7);
  const x = new Tensor(
    Float32Array.from({ length: batch * c.inputShape.reduce((a, b) => a * b) }, () => r() * 2 - 1),
    [batch, ...c.inputShape],
  );
  model.apply(x); // builds the layers
  randomize(model, 11);
  const want = Float32Array.from(model.apply(x).data);
  return { x, want, ...convert(model, { inputShape: c.inputShape, batch }) };
}
