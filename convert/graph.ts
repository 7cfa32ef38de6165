/**
 * The converter's intermediate graph: TFLite-level operations on values
 * with static shapes (batch axis included), before tensors and buffers are
 * laid out. Layers lower into it (trace.ts), passes rewrite it (passes.ts),
 * and emit.ts writes it as a TFLite model. Every node remembers the layers
 * it came from, for the conversion report.
 * @module
 */
import type { BinarizeMode } from "../quantizers/quantizer.ts";

/** Fused activations of TFLite (and of LceBconv2d, where they clamp the raw ±1 dot product). */
export type FusedActivation = "none" | "relu" | "relu_n1_to_1" | "relu6";

export type PaddingMode = "same" | "valid";

/** A tensor of the graph: float32, or LCE-bitpacked (int32 words along the last axis). */
export interface Value {
  name: string;
  /** Unpacked shape, batch first (a packed value stores ceil(C/32) words in its last axis). */
  shape: number[];
  packed: boolean;
}

/** How a binarizing activation quantizer maps x to two levels (the quantizers declare theirs). */
export type { BinarizeMode };

/** What a float convolution and a depthwise convolution share. */
interface WindowOp {
  /** Conv2D: HWIO [kh, kw, cin / groups, cout]; depthwise: [kh, kw, c, multiplier]. */
  filter: Float32Array;
  filterShape: [number, number, number, number];
  bias: Float32Array | null;
  strides: [number, number];
  dilations: [number, number];
  padding: PaddingMode;
  /** Value of "same" padding (larq pad_values). */
  padValues: number;
  act: FusedActivation;
}

export interface Conv2dOp extends WindowOp {
  kind: "conv2d";
  groups: number;
}

export interface DepthwiseOp extends WindowOp {
  kind: "depthwise";
}

export interface DenseOp {
  kind: "dense";
  /** [in, units] (Keras). */
  filter: Float32Array;
  filterShape: [number, number];
  bias: Float32Array | null;
  act: FusedActivation;
}

/** LceBconv2d: packed input, ±1 OHWI filter; float output (multiplier, bias) or packed output (threshold). */
export interface BconvOp {
  kind: "bconv";
  /** ±1 values, OHWI [cout, kh, kw, cin / groups]. */
  signs: Float32Array;
  filterShape: [number, number, number, number];
  channelsIn: number;
  strides: [number, number];
  dilations: [number, number];
  padding: PaddingMode;
  padValues: 0 | 1;
  act: FusedActivation;
  multiplier: Float32Array;
  bias: Float32Array;
  /** Set when the output is bitpacked (then `signs` are already flipped for negative multipliers). */
  threshold: Int32Array | null;
}

export type Op =
  | Conv2dOp
  | DepthwiseOp
  | DenseOp
  | BconvOp
  | { kind: "binarize"; mode: BinarizeMode; quantizer: string }
  | { kind: "quantize" }
  | { kind: "dequantize" }
  | { kind: "bmaxpool"; pool: [number, number]; strides: [number, number]; padding: PaddingMode }
  /** y = act(x·scale + offset) per channel (BatchNormalization in inference form; act fused by pass 3). */
  | { kind: "affine"; scale: Float32Array; offset: Float32Array; act?: FusedActivation }
  | { kind: "activation"; fn: "relu" | "relu6" | "relu_n1_to_1" | "sigmoid" | "tanh" | "softmax" }
  | { kind: "leaky_relu"; alpha: number }
  /** Keras Conv2DTranspose: filter [kh, kw, filters, channels]. */
  | {
    kind: "transpose_conv";
    filter: Float32Array;
    filterShape: [number, number, number, number];
    bias: Float32Array | null;
    strides: [number, number];
    padding: PaddingMode;
  }
  | {
    kind: "pool";
    type: "max" | "avg";
    pool: [number, number];
    strides: [number, number];
    padding: PaddingMode;
    act: FusedActivation;
  }
  | { kind: "mean"; axes: number[] }
  | { kind: "reshape" }
  | { kind: "add"; act: FusedActivation }
  /** Elementwise product of two values, broadcast as TFLite broadcasts (Keras's Multiply). */
  | { kind: "mul"; act: FusedActivation }
  /** max(x, 0) + alpha·min(x, 0), alpha broadcast against x (Keras's PReLU). */
  | { kind: "prelu"; alpha: Float32Array; alphaShape: number[] }
  /** The block of x from `begin` of extent `size` (one part of a Split). */
  | { kind: "slice"; begin: number[]; size: number[] }
  /** y = constant - x. */
  | { kind: "sub_from"; constant: number }
  | { kind: "concat"; axis: number; act: FusedActivation }
  /** Constant padding, [before, after] per axis. */
  | { kind: "pad"; paddings: [number, number][]; value: number };

export type OpKind = Op["kind"];

export interface Node {
  op: Op;
  inputs: number[];
  output: number;
  /** The layers this node computes (several after a fusion). */
  layers: string[];
}

/** Why a layer did or did not become binary, and how to make it faster. */
export interface LayerNote {
  /** The layer has an input or kernel quantizer (so staying float is worth a reason). */
  quantized?: boolean;
  reason?: string;
  guidance: string[];
}

export class Graph {
  readonly values: Value[] = [];
  nodes: Node[] = [];
  /** The model's input values and output values, in the model's order. */
  inputs: number[] = [];
  outputs: number[] = [];
  /** Per layer name: the reason it stayed float, and efficiency guidance. */
  readonly notes = new Map<string, LayerNote>();

  addValue(name: string, shape: readonly number[], packed = false): number {
    this.values.push({ name, shape: [...shape], packed });
    return this.values.length - 1;
  }

  /** Adds a node computing a new value; returns that value's id. */
  add(
    op: Op,
    inputs: number[],
    layers: string[],
    out: { name: string; shape: readonly number[]; packed?: boolean },
  ): number {
    const output = this.addValue(out.name, out.shape, out.packed ?? false);
    this.nodes.push({ op, inputs, output, layers: [...layers] });
    return output;
  }

  producer(v: number): Node | undefined {
    return this.nodes.find((n) => n.output === v);
  }

  /** Nodes reading `v` (a node reading it twice counts once). */
  consumers(v: number): Node[] {
    return this.nodes.filter((n) => n.inputs.includes(v));
  }

  /** True when `v` is read by exactly `node` and is not a model output. */
  onlyFeeds(v: number, node: Node): boolean {
    const c = this.consumers(v);
    return !this.outputs.includes(v) && c.length === 1 && c[0] === node;
  }

  /** Makes every reader of `from` (and the model outputs) read `to` instead. */
  replaceUses(from: number, to: number): void {
    for (const n of this.nodes) n.inputs = n.inputs.map((i) => (i === from ? to : i));
    this.outputs = this.outputs.map((o) => (o === from ? to : o));
  }

  remove(node: Node): void {
    this.nodes = this.nodes.filter((n) => n !== node);
  }

  note(layer: string): LayerNote {
    let n = this.notes.get(layer);
    if (!n) this.notes.set(layer, n = { guidance: [] });
    return n;
  }

  /** Keeps the nodes the output depends on, in dependency order. */
  sort(): void {
    const byOutput = new Map(this.nodes.map((n) => [n.output, n]));
    const order: Node[] = [], done = new Set<Node>();
    const visit = (v: number) => {
      const n = byOutput.get(v);
      if (!n || done.has(n)) return;
      done.add(n);
      for (const i of n.inputs) visit(i);
      order.push(n);
    };
    for (const o of this.outputs) visit(o);
    this.nodes = order;
  }
}

/** Elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
