/**
 * Lowers a onebit model (Sequential or functional) to the converter graph,
 * layer by layer, in float form: an input quantizer becomes a `binarize`
 * node, a kernel quantizer is evaluated on the latent kernel (the file
 * stores what the forward pass uses), BatchNormalization becomes the
 * per-channel affine map of its inference form. The passes then decide
 * what runs binary.
 * @module
 */
import * as ops from "../graph/ops.ts";
import { noGrad } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import {
  Activation,
  type ActivationName,
  Add,
  AddToLastChannels,
  AveragePooling2D,
  BatchNormalization,
  Concatenate,
  Dropout,
  Flatten,
  GlobalAveragePooling2D,
  Identity,
  MaxPool2D,
  Multiply,
  PReLU,
  QuantConv1D,
  QuantConv2D,
  QuantConv2DTranspose,
  QuantDense,
  QuantDepthwiseConv2D,
  QuantSeparableConv1D,
  QuantSeparableConv2D,
  RandomCrop,
  RandomFlip,
  RandomTranslation,
  RandomZoom,
  ReLU,
  Rescaling,
  Reshape,
  Softmax,
  Split,
  ZeroPadding2D,
} from "../layers/all.ts";
import { kerasClassName, type Layer, type LayerClass } from "../layers/layer.ts";
import { QuantLayer } from "../layers/quant_layer.ts";
import { layerClasses } from "../layers/registry.ts";
import type { Model } from "../models/model.ts";
import type { SymbolicTensor } from "../layers/symbolic.ts";
import { Sequential } from "../models/sequential.ts";
import type { Quantizer } from "../quantizers/quantizer.ts";
import { ConversionError } from "./errors.ts";
import { type BinarizeMode, type FusedActivation, Graph, type Op, type PaddingMode } from "./graph.ts";

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

/** Probe points for quantizers that declare no binarization mode: signs, ties at 0 and 0.5, extremes. */
const PROBE = [-1e30, -3, -1, -0.75, -0.5, -1e-7, -0, 0, 1e-7, 0.25, 0.4999999, 0.5, 0.5000001, 0.75, 1, 1.5, 3, 1e30];

/**
 * How an activation quantizer binarizes: the built-in quantizers by the mode
 * they declare, others (customQuantizer) by probing their forward pass.
 * Null: the identity (no quantizer, NoOp).
 */
export function binarizeMode(q: Quantizer | null, layer: string): BinarizeMode | null {
  if (q === null || q.binarizeMode === "identity") return null;
  if (q.binarizeMode) return q.binarizeMode;
  if (q.binarizeMode === undefined) {
    const y = noGrad(() => q.call(Tensor.from(PROBE))).toArray() as number[];
    const same = (f: (x: number) => number) => PROBE.every((x, i) => y[i] === f(x));
    if (same((x) => (x < 0 ? -1 : 1))) return "sign";
    if (same((x) => (x > 0 ? 1 : 0))) return "heaviside";
    if (same((x) => (x > 0.5 ? 1 : 0))) return "dorefa";
  }
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

/** What a lowering gets: the graph, the layer's call, and helpers bound to it. */
interface Call<L extends Layer = Layer> {
  g: Graph;
  layer: L;
  name: string;
  inputs: number[];
  /** The first input. */
  x: number;
  outShape: number[];
  /** The output value (with a name suffix for intermediates). */
  value(suffix?: string): { name: string; shape: number[] };
  /** A binarize node for an input quantizer (or `from` itself for none). */
  binarize(q: Quantizer | null, from?: number): number;
  /** An activation op after `v`, when the layer's activation is not fused. */
  withActivation(v: number, after: "sigmoid" | "tanh" | "softmax" | null): number;
}

/** A lowering returns the value holding the layer's output (one per output for a layer with several). */
type Lowering<L extends Layer = Layer> = (c: Call<L>) => number | number[];

/** q(kernel) as the file stores it. */
function kernelOf(kernel: Tensor, q: Quantizer | null): Float32Array {
  return f32(q ? noGrad(() => q.call(kernel)) : kernel);
}

const padding = (p: string): PaddingMode => (p === "same" ? "same" : "valid");

function lowerConv2D(c: Call<QuantConv2D | QuantDepthwiseConv2D>): number {
  const { g, layer, name } = c, conv = layer instanceof QuantConv2D;
  const act = activationOf(name, layer.activationName);
  const xi = c.binarize(layer.inputQuantizer);
  const [kh, kw, ch, m] = layer.kernel.shape;
  const window = {
    filter: kernelOf(layer.kernel, layer.quantizerOf(conv ? "kernel" : "depthwise")),
    filterShape: [kh, kw, ch, m] as [number, number, number, number],
    bias: layer.bias ? f32(layer.bias) : null,
    strides: layer.strides,
    dilations: conv ? layer.dilations : [1, 1] as [number, number],
    padding: padding(layer.padding),
    padValues: layer.padValues,
    act: act.fused,
  };
  const op: Op = conv ? { kind: "conv2d", ...window, groups: layer.groups } : { kind: "depthwise", ...window };
  return c.withActivation(g.add(op, [xi], [name], c.value(act.after ? "/linear" : "")), act.after);
}

/** [N, T, C] as [N, 1, T, C]: a 1×k conv2d (binary when its input is), then back. */
function lowerConv1D(c: Call<QuantConv1D>): number {
  const { g, layer, name, x, outShape } = c;
  const act = activationOf(name, layer.activationName);
  const [n, t, ch] = g.values[x].shape;
  const x4 = g.add({ kind: "reshape" }, [x], [name], { name: `${name}/as2d`, shape: [n, 1, t, ch] });
  const xi = c.binarize(layer.inputQuantizer, x4);
  const [k, cinG, f] = layer.kernel.shape;
  const v = g.add(
    {
      kind: "conv2d",
      filter: kernelOf(layer.kernel, layer.quantizerOf("kernel")),
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
  return c.withActivation(g.add({ kind: "reshape" }, [v], [name], c.value(act.after ? "/linear" : "")), act.after);
}

function lowerSeparableConv2D(c: Call<QuantSeparableConv2D>): number {
  const { g, layer, name, x, outShape } = c;
  const act = activationOf(name, layer.activationName);
  const xi = c.binarize(layer.inputQuantizer);
  const [kh, kw, ch, m] = layer.depthwiseKernel.shape;
  const inShape = g.values[x].shape;
  const dOut = g.add(
    {
      kind: "depthwise",
      filter: kernelOf(layer.depthwiseKernel, layer.quantizerOf("depthwise")),
      filterShape: [kh, kw, ch, m],
      bias: null,
      strides: layer.strides,
      dilations: layer.dilations,
      padding: padding(layer.padding),
      padValues: layer.padValues,
      act: "none",
    },
    [xi],
    [name],
    { name: `${name}/depthwise`, shape: [inShape[0], outShape[1], outShape[2], ch * m] },
  );
  const v = g.add(
    {
      kind: "conv2d",
      filter: kernelOf(layer.pointwiseKernel, layer.quantizerOf("pointwise")),
      filterShape: [1, 1, ch * m, layer.filters],
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
    c.value(act.after ? "/linear" : ""),
  );
  return c.withActivation(v, act.after);
}

/** [N, T, C] as [N, 1, T, C]: a 1×k depthwise conv, a 1×1 conv, then back. */
function lowerSeparableConv1D(c: Call<QuantSeparableConv1D>): number {
  const { g, layer, name, x, outShape } = c;
  const act = activationOf(name, layer.activationName);
  const [n, t, ch] = g.values[x].shape;
  const x4 = g.add({ kind: "reshape" }, [x], [name], { name: `${name}/as2d`, shape: [n, 1, t, ch] });
  const xi = c.binarize(layer.inputQuantizer, x4);
  const [k, , m] = layer.depthwiseKernel.shape;
  const dOut = g.add(
    {
      kind: "depthwise",
      filter: kernelOf(layer.depthwiseKernel, layer.quantizerOf("depthwise")),
      filterShape: [1, k, ch, m],
      bias: null,
      strides: [1, layer.strides],
      dilations: [1, layer.dilationRate],
      padding: padding(layer.padding),
      padValues: layer.padValues,
      act: "none",
    },
    [xi],
    [name],
    { name: `${name}/depthwise`, shape: [n, 1, outShape[1], ch * m] },
  );
  const v = g.add(
    {
      kind: "conv2d",
      filter: kernelOf(layer.pointwiseKernel, layer.quantizerOf("pointwise")),
      filterShape: [1, 1, ch * m, layer.filters],
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
    { name: `${name}/conv2d`, shape: [n, 1, outShape[1], outShape[2]] },
  );
  return c.withActivation(g.add({ kind: "reshape" }, [v], [name], c.value(act.after ? "/linear" : "")), act.after);
}

/** x·scale + offset as the per-channel affine op BatchNormalization lowers to. */
function lowerRescaling({ g, layer, name, x, outShape, value }: Call<Rescaling>): number {
  const channels = outShape[outShape.length - 1];
  const scale = new Float32Array(channels).fill(layer.scale), offset = new Float32Array(channels).fill(layer.offset);
  return g.add({ kind: "affine", scale, offset }, [x], [name], value());
}

/** RandomCrop resizes at inference (smart_resize) unless the input already has the target size. */
function lowerRandomCrop({ g, name, x, outShape }: Call<RandomCrop>): number {
  if (g.values[x].shape.join() !== outShape.join()) {
    throw new ConversionError(
      name,
      `RandomCrop resizes [${g.values[x].shape}] to [${outShape}] at inference; TFLite models here take the ` +
        "target size: resize before the model, or drop the layer for conversion",
    );
  }
  return x;
}

function lowerConv2DTranspose(c: Call<QuantConv2DTranspose>): number {
  const { g, layer, name } = c;
  const act = activationOf(name, layer.activationName);
  const xi = c.binarize(layer.inputQuantizer);
  const [kh, kw, f, ch] = layer.kernel.shape;
  let v = g.add(
    {
      kind: "transpose_conv",
      filter: kernelOf(layer.kernel, layer.quantizerOf("kernel")),
      filterShape: [kh, kw, f, ch],
      bias: layer.bias ? f32(layer.bias) : null,
      strides: layer.strides,
      padding: padding(layer.padding),
    },
    [xi],
    [name],
    c.value(act.fused !== "none" || act.after ? "/linear" : ""),
  );
  if (act.fused !== "none") {
    v = g.add({ kind: "activation", fn: act.fused }, [v], [name], c.value(act.after ? "/act" : ""));
  }
  return c.withActivation(v, act.after);
}

/** FULLY_CONNECTED takes [rows, depth]; other ranks go through reshapes (before the quantizer, as binary matching expects). */
function lowerDense(c: Call<QuantDense>): number {
  const { g, layer, name, x } = c;
  const act = activationOf(name, layer.activationName);
  const inShape = g.values[x].shape;
  const [depth, units] = layer.kernel.shape;
  const rows = inShape.slice(0, -1).reduce((a, b) => a * b, 1);
  const flat = inShape.length === 2
    ? x
    : g.add({ kind: "reshape" }, [x], [name], { name: `${name}/rows`, shape: [rows, depth] });
  const xi = c.binarize(layer.inputQuantizer, flat);
  let v = g.add(
    {
      kind: "dense",
      filter: kernelOf(layer.kernel, layer.quantizerOf("kernel")),
      filterShape: [depth, units],
      bias: layer.bias ? f32(layer.bias) : null,
      act: act.fused,
    },
    [xi],
    [name],
    { name: inShape.length === 2 && !act.after ? name : `${name}/matmul`, shape: [rows, units] },
  );
  if (inShape.length !== 2) v = g.add({ kind: "reshape" }, [v], [name], c.value(act.after ? "/linear" : ""));
  return c.withActivation(v, act.after);
}

function lowerReLU({ g, layer, name, x, value }: Call<ReLU>): number {
  if (layer.negativeSlope > 0) {
    if (layer.maxValue !== null) {
      throw new ConversionError(name, "ReLU with both max_value and negative_slope has no TFLite builtin; use one");
    }
    return g.add({ kind: "leaky_relu", alpha: layer.negativeSlope }, [x], [name], value());
  }
  const fn = layer.maxValue === null ? "relu" : layer.maxValue === 6 ? "relu6" : null;
  if (fn === null) {
    throw new ConversionError(name, `ReLU(max_value=${layer.maxValue}) has no TFLite builtin; use max_value 6 or none`);
  }
  return g.add({ kind: "activation", fn }, [x], [name], value());
}

/** The inference form exactly as graph/nn.ts batchNorm computes it: x·inv + (β - mean·inv). */
function lowerBatchNorm({ g, layer, name, x, value }: Call<BatchNormalization>): number {
  let inv = ops.div(1, ops.sqrt(ops.add(layer.movingVariance, layer.epsilon)));
  if (layer.gamma) inv = ops.mul(inv, layer.gamma);
  const shift = layer.beta
    ? ops.sub(layer.beta, ops.mul(layer.movingMean, inv))
    : ops.neg(ops.mul(layer.movingMean, inv));
  return g.add({ kind: "affine", scale: f32(inv), offset: f32(shift) }, [x], [name], value());
}

function lowerPool({ g, layer, name, x, value }: Call<MaxPool2D | AveragePooling2D>): number {
  const type = layer instanceof MaxPool2D ? "max" : "avg";
  const op: Op = {
    kind: "pool",
    type,
    pool: layer.poolSize,
    strides: layer.strides,
    padding: padding(layer.padding),
    act: "none",
  };
  return g.add(op, [x], [name], value());
}

function lowerActivation({ g, layer, name, x, value }: Call<Activation>): number {
  const act = activationOf(name, layer.activation);
  const fn = act.after ?? act.fused;
  return fn === "none" ? x : g.add({ kind: "activation", fn }, [x], [name], value());
}

function lowerAdd({ g, name, inputs, value }: Call<Add>): number {
  let v = inputs[0];
  for (let i = 1; i < inputs.length; i++) {
    v = g.add({ kind: "add", act: "none" }, [v, inputs[i]], [name], value(i < inputs.length - 1 ? `/${i}` : ""));
  }
  return v;
}

/** Each layer class's TFLite lowering; subclasses (Conv2D of QuantConv2D, …) use their base's. The keys are what the converter supports. */
const LOWERINGS = new Map<LayerClass, Lowering>([
  [QuantConv2D, lowerConv2D],
  [QuantDepthwiseConv2D, lowerConv2D],
  [QuantConv1D, lowerConv1D],
  [QuantSeparableConv2D, lowerSeparableConv2D],
  [QuantConv2DTranspose, lowerConv2DTranspose],
  [QuantDense, lowerDense],
  [ReLU, lowerReLU],
  [BatchNormalization, lowerBatchNorm],
  [MaxPool2D, lowerPool],
  [AveragePooling2D, lowerPool],
  [Activation, lowerActivation],
  [Add, lowerAdd],
  [ZeroPadding2D, ({ g, layer, name, x, value }: Call<ZeroPadding2D>) => {
    const [[t, b], [l, r]] = layer.padding;
    return g.add({ kind: "pad", paddings: [[0, 0], [t, b], [l, r], [0, 0]], value: 0 }, [x], [name], value());
  }],
  [GlobalAveragePooling2D, ({ g, name, x, value }) => g.add({ kind: "mean", axes: [1, 2] }, [x], [name], value())],
  [Flatten, ({ g, name, x, value }) => g.add({ kind: "reshape" }, [x], [name], value())],
  [Reshape, ({ g, name, x, value }) => g.add({ kind: "reshape" }, [x], [name], value())],
  [Dropout, ({ x }) => x],
  // Augmentation is the identity at inference: the converter skips it.
  [RandomFlip, ({ x }) => x],
  [RandomTranslation, ({ x }) => x],
  [RandomZoom, ({ x }) => x],
  [RandomCrop, lowerRandomCrop],
  [Rescaling, lowerRescaling],
  [QuantSeparableConv1D, lowerSeparableConv1D],
  [Concatenate, ({ g, layer, name, inputs, outShape, value }: Call<Concatenate>) => {
    const axis = layer.axis < 0 ? outShape.length + layer.axis : layer.axis;
    return g.add({ kind: "concat", axis, act: "none" }, inputs, [name], value());
  }],
  [Multiply, lowerMultiply],
  [
    PReLU,
    ({ g, layer, name, x, value }: Call<PReLU>) =>
      g.add({ kind: "prelu", alpha: f32(layer.alpha), alphaShape: [...layer.alpha.shape] }, [x], [name], value()),
  ],
  [Softmax, ({ g, name, x, value }) => g.add({ kind: "activation", fn: "softmax" }, [x], [name], value())],
  [Identity, ({ x }) => x],
  [Split, lowerSplit],
  [AddToLastChannels, ({ g, name, inputs: [x, w], outShape, value }: Call<AddToLastChannels>) => {
    const channels = outShape.at(-1)! - g.values[w].shape.at(-1)!;
    const paddings = outShape.map((_, d) => (d === outShape.length - 1 ? [channels, 0] : [0, 0]) as [number, number]);
    const padded = g.add({ kind: "pad", paddings, value: 0 }, [w], [name], value("/padded"));
    return g.add({ kind: "add", act: "none" }, [x, padded], [name], value());
  }],
] as [LayerClass, Lowering][]);

/** Products of two values (TFLite's MUL broadcasts as Keras does). */
function lowerMultiply({ g, name, inputs, value }: Call<Multiply>): number {
  let v = inputs[0];
  for (let i = 1; i < inputs.length; i++) {
    v = g.add({ kind: "mul", act: "none" }, [v, inputs[i]], [name], value(i < inputs.length - 1 ? `/${i}` : ""));
  }
  return v;
}

/** One SLICE per part (TFLite's SPLIT has several outputs, which the converter's graph does not have). */
function lowerSplit({ g, layer, name, x }: Call<Split>): number[] {
  const shape = g.values[x].shape, axis = layer.axis < 0 ? shape.length + layer.axis : layer.axis;
  let at = 0;
  return layer.sizes(shape[axis]).map((size, i) => {
    const begin = shape.map((_, d) => (d === axis ? at : 0)), extent = shape.map((e, d) => (d === axis ? size : e));
    at += size;
    return g.add({ kind: "slice", begin, size: extent }, [x], [name], { name: `${name}/${i}`, shape: extent });
  });
}

/** The lowering of a layer's class or of its nearest registered base. */
function loweringOf(cls: LayerClass): Lowering | undefined {
  for (let c: unknown = cls; c && c !== Object; c = Object.getPrototypeOf(c)) {
    const f = LOWERINGS.get(c as LayerClass);
    if (f) return f;
  }
  return undefined;
}

/** The Keras class names of the registered layers the converter lowers. */
export function supportedLayers(): string[] {
  return layerClasses().filter((c) => loweringOf(c) && !Object.hasOwn(c, "conversionRefusal")).map(kerasClassName);
}

/** Lowers one layer applied to `inputs`; returns the values holding its outputs. */
function lowerLayer(g: Graph, layer: Layer, inputs: number[], outShape: number[]): number[] {
  const cls = layer.constructor as unknown as LayerClass, name = layer.name;
  if (cls.conversionRefusal) throw new ConversionError(name, `${kerasClassName(cls)}: ${cls.conversionRefusal}`);
  const lower = loweringOf(cls);
  if (!lower) {
    throw new ConversionError(
      name,
      `${kerasClassName(cls)} has no TFLite lowering; the converter supports ${supportedLayers().join(", ")}`,
    );
  }
  if (layer instanceof QuantLayer && layer.quantized) g.note(name).quantized = true;
  const x = inputs[0];
  const value = (suffix = "") => ({ name: name + suffix, shape: outShape });
  const out = lower({
    g,
    layer,
    name,
    inputs,
    x,
    outShape,
    value,
    binarize: (q, from = x) => {
      const mode = binarizeMode(q, name);
      if (mode === null) return from;
      return g.add({ kind: "binarize", mode, quantizer: q!.name }, [from], [name], {
        name: `${name}/input_quantizer`,
        shape: g.values[from].shape,
      });
    },
    withActivation: (v, after) => after === null ? v : g.add({ kind: "activation", fn: after }, [v], [name], value()),
  });
  return Array.isArray(out) ? out : [out];
}

/**
 * How the model's input is laid out in the file: batch size and (for a Sequential model without one) the input shape.
 */
export interface TraceOptions {
  /** Batch size of the converted model (default 1). */
  batch?: number;
  /** Input shape without the batch axis; needed for a Sequential model. */
  inputShape?: readonly number[];
}

/** Lowers a model to the converter graph, every layer in float form. */
export function trace(model: Model, options: TraceOptions = {}): Graph {
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new ConversionError("", `batch must be a positive integer, got ${batch}`);
  }
  if (model instanceof Sequential && options.inputShape) {
    if (model.inputShape && options.inputShape.join() !== model.inputShape.join()) {
      throw new ConversionError(
        "",
        `inputShape [${options.inputShape}] differs from the model's [${model.inputShape}]`,
      );
    }
    if (!model.inputShape) noGrad(() => model.apply(Tensor.zeros([1, ...options.inputShape!])));
  } else if (
    options.inputShape && (model.inputs.length !== 1 || options.inputShape.join() !== model.input.shape.join())
  ) {
    throw new ConversionError(
      "",
      `inputShape [${options.inputShape}] differs from the model's input [${model.inputs[0].shape}]; leave it out`,
    );
  }
  if (model instanceof Sequential && !model.inputShape) {
    throw new ConversionError("", "a Sequential model has no input shape; pass inputShape (without the batch axis)");
  }
  const g = new Graph();
  const ids = new Map<SymbolicTensor, number>();
  for (const t of model.inputs) {
    const v = g.addValue(t.name, [batch, ...t.shape]);
    g.inputs.push(v);
    ids.set(t, v);
  }
  for (const node of model.nodes) {
    const values = lowerLayer(g, node.layer, node.inputs.map((t) => ids.get(t)!), [batch, ...node.output.shape]);
    node.outputs.forEach((t, i) => ids.set(t, values[i]));
  }
  g.outputs = model.outputs.map((t) => ids.get(t)!);
  if (g.outputs.some((o) => g.inputs.includes(o))) {
    throw new ConversionError("", "a model output is one of its inputs; TFLite needs an op between them");
  }
  if (new Set(g.outputs).size !== g.outputs.length) {
    throw new ConversionError("", "two model outputs are the same tensor; TFLite needs distinct outputs");
  }
  return g;
}
