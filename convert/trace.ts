/**
 * Lowers a onebit model (Sequential or functional) to the converter graph,
 * layer by layer, in float form: an input quantizer becomes a `binarize`
 * node, a kernel quantizer is evaluated on the latent kernel (the file
 * stores what the forward pass uses), BatchNormalization becomes the
 * per-channel affine map of its inference form. The passes then decide
 * what runs binary.
 * @module
 */
import type { Model, SymbolicTensor } from "../graph/functional.ts";
import * as ops from "../graph/ops.ts";
import { noGrad } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import type { Sequential } from "../graph/sequential.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation, type ActivationName, Dropout, Flatten, ReLU, Reshape, ZeroPadding2D } from "../layers/core.ts";
import { QuantConv1D, QuantConv2DTranspose, QuantSeparableConv2D } from "../layers/conv_variants.ts";
import { QuantDense } from "../layers/dense.ts";
import { QuantDepthwiseConv2D } from "../layers/depthwise.ts";
import type { Layer } from "../layers/layer.ts";
import { Add, Concatenate } from "../layers/merge.ts";
import { AveragePooling2D, GlobalAveragePooling2D, MaxPool2D } from "../layers/pooling.ts";
import { ApproxSign } from "../quantizers/approx_sign.ts";
import { DoReFa } from "../quantizers/dorefa.ts";
import { NoOp } from "../quantizers/noop.ts";
import type { Quantizer } from "../quantizers/quantizer.ts";
import { SteHeaviside } from "../quantizers/ste_heaviside.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import { SwishSign } from "../quantizers/swish_sign.ts";
import { ConversionError } from "./errors.ts";
import { type BinarizeMode, type FusedActivation, Graph, type Op, type PaddingMode } from "./graph.ts";

/** The layer classes the converter lowers (for messages). */
export const SUPPORTED_LAYERS = [
  "QuantConv2D",
  "Conv2D",
  "QuantDense",
  "Dense",
  "QuantDepthwiseConv2D",
  "DepthwiseConv2D",
  "QuantConv1D",
  "Conv1D",
  "QuantSeparableConv2D",
  "SeparableConv2D",
  "QuantConv2DTranspose",
  "Conv2DTranspose",
  "ZeroPadding2D",
  "ReLU",
  "BatchNormalization",
  "MaxPool2D",
  "AveragePooling2D",
  "GlobalAveragePooling2D",
  "Activation",
  "Flatten",
  "Reshape",
  "Dropout",
  "Add",
  "Concatenate",
];

const FUSABLE: Partial<Record<ActivationName, FusedActivation>> = {
  relu: "relu",
  relu6: "relu6",
  hard_tanh: "relu_n1_to_1",
};
const STANDALONE: Partial<Record<ActivationName, "sigmoid" | "tanh" | "softmax">> = {
  sigmoid: "sigmoid",
  tanh: "tanh",
  softmax: "softmax",
};

/** Probe points for quantizers onebit does not know by class: signs, ties at 0 and 0.5, extremes. */
const PROBE = [-1e30, -3, -1, -0.75, -0.5, -1e-7, -0, 0, 1e-7, 0.25, 0.4999999, 0.5, 0.5000001, 0.75, 1, 1.5, 3, 1e30];

/**
 * How an activation quantizer binarizes: known larq classes by class, other
 * quantizers (customQuantizer) by probing their forward pass. Null: the
 * identity (no quantizer, NoOp).
 */
export function binarizeMode(q: Quantizer | null, layer: string): BinarizeMode | null {
  if (q === null || q instanceof NoOp) return null;
  if (q instanceof SteSign || q instanceof ApproxSign || q instanceof SwishSign) return "sign";
  if (q instanceof SteHeaviside) return "heaviside";
  if (q instanceof DoReFa && q.mode === "activations" && q.precision === 1) return "dorefa";
  const y = noGrad(() => q.call(Tensor.from(PROBE))).toArray() as number[];
  const same = (f: (x: number) => number) => PROBE.every((x, i) => y[i] === f(x));
  if (same((x) => (x < 0 ? -1 : 1))) return "sign";
  if (same((x) => (x > 0 ? 1 : 0))) return "heaviside";
  if (same((x) => (x > 0.5 ? 1 : 0))) return "dorefa";
  throw new ConversionError(
    layer,
    `input quantizer ${q.name} (precision ${q.precision}) has no TFLite lowering: the converter handles ` +
      "sign-like (ste_sign, approx_sign, swish_sign), {0,1} (ste_heaviside, 1-bit dorefa_quantizer) and no quantizer; " +
      "use one of those for activations",
  );
}

function activationOf(layer: string, name: ActivationName | null): {
  fused: FusedActivation;
  after: "sigmoid" | "tanh" | "softmax" | null;
} {
  if (name === null || name === "linear") return { fused: "none", after: null };
  const fused = FUSABLE[name], after = STANDALONE[name];
  if (fused) return { fused, after: null };
  if (after) return { fused: "none", after };
  throw new ConversionError(
    layer,
    `activation "${name}" has no TFLite builtin; use relu, relu6, hard_tanh, sigmoid, tanh or softmax`,
  );
}

function f32(t: Tensor): Float32Array {
  return Float32Array.from(t.data);
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/** Lowers one layer applied to `inputs`; returns the value holding its output. */
function lowerLayer(g: Graph, layer: Layer, inputs: number[], outShape: number[]): number {
  const name = layer.name, x = inputs[0];
  const value = (suffix = "") => ({ name: name + suffix, shape: outShape });
  const withActivation = (v: number, after: "sigmoid" | "tanh" | "softmax" | null) =>
    after === null ? v : g.add({ kind: "activation", fn: after }, [v], [name], value());
  const binarize = (q: Quantizer | null, from = x): number => {
    const mode = binarizeMode(q, name);
    if (mode === null) return from;
    return g.add({ kind: "binarize", mode, quantizer: q!.name }, [from], [name], {
      name: `${name}/input_quantizer`,
      shape: g.values[from].shape,
    });
  };
  const kernelOf = (kernel: Tensor, q: Quantizer | null) => f32(q ? noGrad(() => q.call(kernel)) : kernel);
  const padding = (p: string): PaddingMode => (p === "same" ? "same" : "valid");

  if (
    layer instanceof QuantConv2D || layer instanceof QuantDense || layer instanceof QuantConv1D ||
    layer instanceof QuantConv2DTranspose
  ) {
    if (layer.inputQuantizer || layer.kernelQuantizer) g.note(name).quantized = true;
  }
  if (layer instanceof QuantSeparableConv2D && (layer.inputQuantizer || layer.depthwiseQuantizer)) {
    g.note(name).quantized = true;
  }
  if (layer instanceof QuantDepthwiseConv2D && (layer.inputQuantizer || layer.depthwiseQuantizer)) {
    g.note(name).quantized = true;
  }
  if (layer instanceof QuantConv2D || layer instanceof QuantDepthwiseConv2D) {
    const conv = layer instanceof QuantConv2D;
    const act = activationOf(name, conv ? layer.getConfig().activation as ActivationName | null : layer.activation);
    const xi = binarize(layer.inputQuantizer);
    const [kh, kw, c, m] = layer.kernel.shape;
    const window = {
      filter: kernelOf(layer.kernel, conv ? layer.kernelQuantizer : layer.depthwiseQuantizer),
      filterShape: [kh, kw, c, m] as [number, number, number, number],
      bias: layer.bias ? f32(layer.bias) : null,
      strides: layer.strides,
      dilations: conv ? layer.dilations : [1, 1] as [number, number],
      padding: padding(layer.padding),
      padValues: layer.padValues,
      act: act.fused,
    };
    const op: Op = conv ? { kind: "conv2d", ...window, groups: layer.groups } : { kind: "depthwise", ...window };
    const v = g.add(op, [xi], [name], value(act.after ? "/linear" : ""));
    return withActivation(v, act.after);
  }
  if (layer instanceof QuantConv1D) {
    // [N, T, C] as [N, 1, T, C]: a 1×k conv2d (binary when its input is), then back.
    const act = activationOf(name, layer.activationName);
    const [n, t, c] = g.values[x].shape;
    const x4 = g.add({ kind: "reshape" }, [x], [name], { name: `${name}/as2d`, shape: [n, 1, t, c] });
    const xi = binarize(layer.inputQuantizer, x4);
    const [k, cinG, f] = layer.kernel.shape;
    const v = g.add(
      {
        kind: "conv2d",
        filter: kernelOf(layer.kernel, layer.kernelQuantizer),
        filterShape: [1, k, cinG, f],
        bias: layer.bias ? f32(layer.bias) : null,
        strides: [1, layer.strides],
        dilations: [1, layer.dilationRate],
        padding: padding(layer.padding),
        padValues: layer.padValues,
        groups: layer.groups,
        act: act.fused,
      },
      [xi],
      [name],
      { name: `${name}/conv2d`, shape: [n, 1, outShape[1], outShape[2]] },
    );
    return withActivation(g.add({ kind: "reshape" }, [v], [name], value(act.after ? "/linear" : "")), act.after);
  }
  if (layer instanceof QuantSeparableConv2D) {
    const act = activationOf(name, layer.activationName);
    const xi = binarize(layer.inputQuantizer);
    const [kh, kw, c, m] = layer.depthwiseKernel.shape;
    const inShape = g.values[x].shape;
    const dOut = g.add(
      {
        kind: "depthwise",
        filter: kernelOf(layer.depthwiseKernel, layer.depthwiseQuantizer),
        filterShape: [kh, kw, c, m],
        bias: null,
        strides: layer.strides,
        dilations: layer.dilations,
        padding: padding(layer.padding),
        padValues: layer.padValues,
        act: "none",
      },
      [xi],
      [name],
      { name: `${name}/depthwise`, shape: [inShape[0], outShape[1], outShape[2], c * m] },
    );
    const v = g.add(
      {
        kind: "conv2d",
        filter: kernelOf(layer.pointwiseKernel, layer.pointwiseQuantizer),
        filterShape: [1, 1, c * m, layer.filters],
        bias: layer.bias ? f32(layer.bias) : null,
        strides: [1, 1],
        dilations: [1, 1],
        padding: "valid",
        padValues: 0,
        groups: 1,
        act: act.fused,
      },
      [dOut],
      [name],
      value(act.after ? "/linear" : ""),
    );
    return withActivation(v, act.after);
  }
  if (layer instanceof QuantConv2DTranspose) {
    const act = activationOf(name, layer.activationName);
    const xi = binarize(layer.inputQuantizer);
    const [kh, kw, f, c] = layer.kernel.shape;
    let v = g.add(
      {
        kind: "transpose_conv",
        filter: kernelOf(layer.kernel, layer.kernelQuantizer),
        filterShape: [kh, kw, f, c],
        bias: layer.bias ? f32(layer.bias) : null,
        strides: layer.strides,
        padding: padding(layer.padding),
      },
      [xi],
      [name],
      value(act.fused !== "none" || act.after ? "/linear" : ""),
    );
    if (act.fused !== "none") {
      v = g.add({ kind: "activation", fn: act.fused }, [v], [name], value(act.after ? "/act" : ""));
    }
    return withActivation(v, act.after);
  }
  if (layer instanceof ZeroPadding2D) {
    const [[t, b], [l, r]] = layer.padding;
    return g.add({ kind: "pad", paddings: [[0, 0], [t, b], [l, r], [0, 0]], value: 0 }, [x], [name], value());
  }
  if (layer instanceof ReLU) {
    if (layer.negativeSlope > 0) {
      if (layer.maxValue !== null) {
        throw new ConversionError(name, "ReLU with both max_value and negative_slope has no TFLite builtin; use one");
      }
      return g.add({ kind: "leaky_relu", alpha: layer.negativeSlope }, [x], [name], value());
    }
    const fn = layer.maxValue === null ? "relu" : layer.maxValue === 6 ? "relu6" : null;
    if (fn === null) {
      throw new ConversionError(
        name,
        `ReLU(max_value=${layer.maxValue}) has no TFLite builtin; use max_value 6 or none`,
      );
    }
    return g.add({ kind: "activation", fn }, [x], [name], value());
  }
  if (layer instanceof QuantDense) {
    const act = activationOf(name, layer.options.activation);
    const inShape = g.values[x].shape;
    const [depth, units] = layer.kernel.shape;
    const rows = inShape.slice(0, -1).reduce((a, b) => a * b, 1);
    // FULLY_CONNECTED takes [rows, depth]; other ranks go through reshapes (before the quantizer, which the
    // binary matching expects right before the layer).
    const flat = inShape.length === 2
      ? x
      : g.add({ kind: "reshape" }, [x], [name], { name: `${name}/rows`, shape: [rows, depth] });
    const xi = binarize(layer.inputQuantizer, flat);
    let v = g.add(
      {
        kind: "dense",
        filter: kernelOf(layer.kernel, layer.kernelQuantizer),
        filterShape: [depth, units],
        bias: layer.bias ? f32(layer.bias) : null,
        act: act.fused,
      },
      [xi],
      [name],
      { name: inShape.length === 2 && !act.after ? name : `${name}/matmul`, shape: [rows, units] },
    );
    if (inShape.length !== 2) v = g.add({ kind: "reshape" }, [v], [name], value(act.after ? "/linear" : ""));
    return withActivation(v, act.after);
  }
  if (layer instanceof BatchNormalization) {
    // The inference form exactly as graph/nn.ts batchNorm computes it: x·inv + (β - mean·inv).
    let inv = ops.div(1, ops.sqrt(ops.add(layer.movingVariance, layer.epsilon)));
    if (layer.gamma) inv = ops.mul(inv, layer.gamma);
    const shift = layer.beta
      ? ops.sub(layer.beta, ops.mul(layer.movingMean, inv))
      : ops.neg(ops.mul(layer.movingMean, inv));
    return g.add({ kind: "affine", scale: f32(inv), offset: f32(shift) }, [x], [name], value());
  }
  if (layer instanceof MaxPool2D || layer instanceof AveragePooling2D) {
    const pool = pair(layer.poolSize);
    const strides = layer.options.strides === undefined ? pool : pair(layer.options.strides);
    return g.add(
      {
        kind: "pool",
        type: layer instanceof MaxPool2D ? "max" : "avg",
        pool,
        strides,
        padding: padding(layer.options.padding ?? "valid"),
        act: "none",
      },
      [x],
      [name],
      value(),
    );
  }
  if (layer instanceof GlobalAveragePooling2D) return g.add({ kind: "mean", axes: [1, 2] }, [x], [name], value());
  if (layer instanceof Activation) {
    const act = activationOf(name, layer.activation);
    const fn = act.after ?? act.fused;
    if (fn === "none") return x;
    return g.add({ kind: "activation", fn }, [x], [name], value());
  }
  if (layer instanceof Flatten || layer instanceof Reshape) return g.add({ kind: "reshape" }, [x], [name], value());
  if (layer instanceof Dropout) return x;
  if (layer instanceof Add) {
    let v = inputs[0];
    for (let i = 1; i < inputs.length; i++) {
      v = g.add({ kind: "add", act: "none" }, [v, inputs[i]], [name], value(i < inputs.length - 1 ? `/${i}` : ""));
    }
    return v;
  }
  if (layer instanceof Concatenate) {
    const axis = layer.axis < 0 ? outShape.length + layer.axis : layer.axis;
    return g.add({ kind: "concat", axis, act: "none" }, inputs, [name], value());
  }
  throw new ConversionError(
    name,
    `${layer.constructor.name} has no TFLite lowering; the converter supports ${SUPPORTED_LAYERS.join(", ")}`,
  );
}

export interface TraceOptions {
  /** Batch size of the converted model (default 1). */
  batch?: number;
  /** Input shape without the batch axis; needed for a Sequential model. */
  inputShape?: readonly number[];
}

function isModel(m: Model | Sequential): m is Model {
  return "nodes" in m;
}

/** Lowers a model to the converter graph, every layer in float form. */
export function trace(model: Model | Sequential, options: TraceOptions = {}): Graph {
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new ConversionError("", `batch must be a positive integer, got ${batch}`);
  }
  const g = new Graph();
  if (isModel(model)) {
    if (options.inputShape && (model.inputs.length !== 1 || options.inputShape.join() !== model.input.shape.join())) {
      throw new ConversionError(
        "",
        `inputShape [${options.inputShape}] differs from the model's input [${model.inputs[0].shape}]; leave it out`,
      );
    }
    const ids = new Map<SymbolicTensor, number>();
    for (const t of model.inputs) {
      const v = g.addValue(t.name, [batch, ...t.shape]);
      g.inputs.push(v);
      ids.set(t, v);
    }
    for (const node of model.nodes) {
      const out = lowerLayer(g, node.layer, node.inputs.map((t) => ids.get(t)!), [batch, ...node.output.shape]);
      ids.set(node.output, out);
    }
    g.outputs = model.outputs.map((t) => ids.get(t)!);
  } else {
    const inputShape = options.inputShape ?? model.inputShape;
    if (!inputShape) {
      throw new ConversionError("", "a Sequential model has no input shape; pass inputShape (without the batch axis)");
    }
    let v = g.addValue("input_1", [batch, ...inputShape]);
    g.inputs.push(v);
    let sample = Tensor.zeros([1, ...inputShape]);
    for (const layer of model.layers) {
      sample = noGrad(() => layer.apply(sample));
      v = lowerLayer(g, layer, [v], [batch, ...sample.shape.slice(1)]);
    }
    g.outputs = [v];
  }
  if (g.outputs.some((o) => g.inputs.includes(o))) {
    throw new ConversionError("", "a model output is one of its inputs; TFLite needs an op between them");
  }
  if (new Set(g.outputs).size !== g.outputs.length) {
    throw new ConversionError("", "two model outputs are the same tensor; TFLite needs distinct outputs");
  }
  return g;
}
