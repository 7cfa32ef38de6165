/**
 * Writes the optimized converter graph as a TFLite model: one tensor per
 * value, constants in 16-byte aligned buffers, builtin options by TFLite
 * field name, LCE custom options as FlexBuffer maps with every value an INT
 * (LceBconv2d's keys sorted, LceBMaxPool2d's in LCE's insertion order, so
 * both match LCE's bytes).
 * @module
 */
import { flexbuffers } from "../_deps.ts";
import { tfAxis } from "../kernels/geometry.ts";
import type { OperatorCode, OptionValue, Tensor, TfliteModel } from "../tflite/model.ts";
import { Builtin, BUILTIN_OPTIONS, Padding, TensorType } from "../tflite/schema.ts";
import { packSigns } from "./binary.ts";
import type {
  BconvOp,
  Conv2dOp,
  DenseOp,
  DepthwiseOp,
  FusedActivation,
  Graph,
  Node,
  Op,
  PaddingMode,
} from "./graph.ts";

const ACT: Record<FusedActivation, number> = { none: 0, relu: 1, relu_n1_to_1: 2, relu6: 3 };
const PAD = (p: PaddingMode) => (p === "same" ? Padding.SAME : Padding.VALID);

/** LceBconv2d options (FlexBuffer map, keys sorted by the builder as LCE's). */
export function bconvOptions(o: {
  channelsIn: number;
  dilations: readonly [number, number];
  act: FusedActivation;
  padValues: 0 | 1;
  padding: PaddingMode;
  strides: readonly [number, number];
}): Uint8Array {
  return flexbuffers.encode({
    channels_in: o.channelsIn,
    dilation_height_factor: o.dilations[0],
    dilation_width_factor: o.dilations[1],
    fused_activation_function: ACT[o.act],
    pad_values: o.padValues,
    padding: PAD(o.padding),
    stride_height: o.strides[0],
    stride_width: o.strides[1],
  });
}

/** LceBMaxPool2d options, keys written in LCE's order (byte-identical to LCE's converter). */
export function bmaxpoolOptions(o: {
  padding: PaddingMode;
  strides: readonly [number, number];
  pool: readonly [number, number];
}): Uint8Array {
  const b = flexbuffers.builder();
  b.startMap();
  const entries: [string, number][] = [
    ["padding", PAD(o.padding)],
    ["stride_width", o.strides[1]],
    ["stride_height", o.strides[0]],
    ["filter_width", o.pool[1]],
    ["filter_height", o.pool[0]],
  ];
  for (const [k, v] of entries) {
    b.addKey(k);
    b.addInt(v);
  }
  b.end();
  return b.finish();
}

function bytes(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** One emitted operator, for the conversion report. */
export interface EmittedOp {
  /** Builtin name (CONV_2D) or LCE custom code (LceBconv2d). */
  op: string;
  layers: string[];
  /** Multiply-accumulates (binary ones for LceBconv2d). */
  macs: number;
  binary: boolean;
  node: Node;
}

/** Options of one emitted operator: a builtin's fields, or a custom op's FlexBuffer bytes. */
type Options = Record<string, OptionValue> | Uint8Array | null;

/** The model being written: tensors, buffers, operator codes and operators, added to in graph order. */
class ModelBuilder {
  readonly tensors: Tensor[] = [];
  readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  readonly codes: OperatorCode[] = [];
  readonly operators: TfliteModel["subgraphs"][0]["operators"] = [];
  readonly ops: EmittedOp[] = [];
  readonly #codeIndex = new Map<string, number>();
  readonly #tensorOf = new Map<number, number>();
  readonly #names = new Set<string>();

  constructor(readonly g: Graph) {}

  /** A new tensor (its name made unique), constant when `data` is given. */
  tensor(wanted: string, shape: number[], type: number, data?: Uint8Array): number {
    let name = wanted;
    for (let i = 1; this.#names.has(name); i++) name = `${wanted}_${i}`;
    this.#names.add(name);
    let buffer = 0;
    if (data) {
      this.buffers.push(data);
      buffer = this.buffers.length - 1;
    }
    this.tensors.push({ name, shape, shapeSignature: null, type, buffer, quantization: null, isVariable: false });
    return this.tensors.length - 1;
  }

  /** The tensor of graph value `v` (bitpacked values are INT32 words along the last axis). */
  value(v: number): number {
    let t = this.#tensorOf.get(v);
    if (t === undefined) {
      const { name, shape, packed } = this.g.values[v];
      const stored = packed ? [...shape.slice(0, -1), Math.ceil(shape.at(-1)! / 32)] : shape;
      t = this.tensor(name, stored, packed ? TensorType.INT32 : TensorType.FLOAT32);
      this.#tensorOf.set(v, t);
    }
    return t;
  }

  f32(name: string, shape: number[], data: Float32Array): number {
    return this.tensor(name, shape, TensorType.FLOAT32, bytes(data));
  }

  i32(name: string, shape: number[], data: Int32Array | number[]): number {
    return this.tensor(name, shape, TensorType.INT32, bytes(Int32Array.from(data)));
  }

  /** A constant vector named after the node's first layer. */
  vector(node: Node, suffix: string, data: Float32Array): number {
    return this.f32(`${node.layers[0]}/${suffix}`, [data.length], data);
  }

  /** A float intermediate tensor between two ops of one node. */
  scratch(node: Node, suffix: string, shape: number[]): number {
    return this.tensor(`${node.layers[0]}/${suffix}`, shape, TensorType.FLOAT32);
  }

  /** Appends operator `name` (a builtin's name, else an LCE custom code) for `node`. */
  push(node: Node, name: string, inputs: number[], outputs: number[], options: Options = null, macs = 0): void {
    const builtin = (Builtin as Record<string, number>)[name];
    const custom = builtin === undefined;
    this.operators.push({
      opcodeIndex: this.#code(name, builtin),
      inputs,
      outputs,
      builtinOptionsType: custom ? 0 : BUILTIN_OPTIONS.get(builtin) ?? 0,
      builtinOptions: custom ? null : options as Record<string, OptionValue> | null,
      customOptions: custom ? (options as Uint8Array | null) ?? new Uint8Array(0) : null,
    });
    const binary = name === "LceBconv2d" || name === "LceBMaxPool2d";
    this.ops.push({ op: name, layers: node.layers, macs, binary, node });
  }

  #code(name: string, builtin: number | undefined): number {
    let i = this.#codeIndex.get(name);
    if (i === undefined) {
      this.codes.push(
        builtin === undefined
          ? { builtinCode: Builtin.CUSTOM, customCode: name, version: 1 }
          : { builtinCode: builtin, customCode: null, version: 1 },
      );
      i = this.codes.length - 1;
      this.#codeIndex.set(name, i);
    }
    return i;
  }

  /** PADV2 by TF SAME amounts with a constant, for convs whose "same" padding is not zero. */
  padSame(node: Node, x: number, kernel: number[], strides: number[], dilations: number[], value: number): number {
    const shape = this.g.values[node.inputs[0]].shape;
    const paddings = [0, 0];
    const padded = [shape[0]];
    for (let i = 0; i < 2; i++) {
      const a = tfAxis(shape[1 + i], kernel[i], strides[i], dilations[i], "same");
      paddings.push(a.before, a.after);
      padded.push(shape[1 + i] + a.before + a.after);
    }
    paddings.push(0, 0);
    padded.push(shape[3]);
    const out = this.scratch(node, "padded", padded);
    const name = this.g.values[node.output].name;
    this.push(node, "PADV2", [
      x,
      this.i32(`${name}/paddings`, [4, 2], paddings),
      this.f32(`${name}/pad_value`, [], Float32Array.of(value)),
    ], [out]);
    return out;
  }
}

/** What an op's emitter gets: the builder, the node, its input and output tensors, and output facts. */
interface EmitContext<O extends Op> {
  m: ModelBuilder;
  node: Node;
  op: O;
  /** Layer name (the node's first), for constant names. */
  name: string;
  x: number;
  y: number;
  outShape: number[];
  /** Output positions (all output dims but the channels). */
  pixels: number;
}

/** One emitter per converter op kind: the table the converter extends when it learns an op. */
const EMITTERS: { [K in Op["kind"]]: (c: EmitContext<Extract<Op, { kind: K }>>) => void } = {
  conv2d: emitConv,
  depthwise: emitConv,
  dense: emitDense,
  bconv: emitBconv,
  quantize: ({ m, node, x, y }) => m.push(node, "LceQuantize", [x], [y]),
  dequantize: ({ m, node, x, y }) => m.push(node, "LceDequantize", [x], [y]),
  bmaxpool: ({ m, node, op, x, y }) => m.push(node, "LceBMaxPool2d", [x], [y], bmaxpoolOptions(op)),
  affine: ({ m, node, op, x, y, outShape }) => {
    const mid = m.scratch(node, "scaled", outShape);
    m.push(node, "MUL", [x, m.vector(node, "scale", op.scale)], [mid], { fused_activation_function: 0 });
    m.push(node, "ADD", [mid, m.vector(node, "offset", op.offset)], [y], {
      fused_activation_function: ACT[op.act ?? "none"],
    });
  },
  activation: ({ m, node, op, x, y }) =>
    m.push(node, ACTIVATIONS[op.fn], [x], [y], op.fn === "softmax" ? { beta: 1 } : null),
  leaky_relu: ({ m, node, op, x, y }) => m.push(node, "LEAKY_RELU", [x], [y], { alpha: op.alpha }),
  transpose_conv: emitTransposeConv,
  pool: ({ m, node, op, x, y }) =>
    m.push(node, op.type === "max" ? "MAX_POOL_2D" : "AVERAGE_POOL_2D", [x], [y], {
      padding: PAD(op.padding),
      stride_w: op.strides[1],
      stride_h: op.strides[0],
      filter_width: op.pool[1],
      filter_height: op.pool[0],
      fused_activation_function: ACT[op.act],
    }),
  mean: ({ m, node, op, name, x, y }) =>
    m.push(node, "MEAN", [x, m.i32(`${name}/axes`, [op.axes.length], op.axes)], [y], { keep_dims: false }),
  reshape: ({ m, node, name, x, y }) => {
    // A packed reshape moves words: its shape is in words along the last axis.
    const stored = m.tensors[y].shape;
    m.push(node, "RESHAPE", [x, m.i32(`${name}/shape`, [stored.length], stored)], [y], { new_shape: stored });
  },
  add: ({ m, node, op, x, y }) =>
    m.push(node, "ADD", [x, m.value(node.inputs[1])], [y], { fused_activation_function: ACT[op.act] }),
  mul: ({ m, node, op, x, y }) =>
    m.push(node, "MUL", [x, m.value(node.inputs[1])], [y], { fused_activation_function: ACT[op.act] }),
  prelu: ({ m, node, op, name, x, y }) =>
    m.push(node, "PRELU", [x, m.f32(`${name}/alpha`, op.alphaShape, op.alpha)], [y]),
  slice: ({ m, node, op, x, y }) => {
    const name = m.tensors[y].name, rank = op.begin.length;
    m.push(node, "SLICE", [x, m.i32(`${name}/begin`, [rank], op.begin), m.i32(`${name}/size`, [rank], op.size)], [y]);
  },
  sub_from: ({ m, node, op, name, x, y }) =>
    m.push(node, "SUB", [m.f32(`${name}/constant`, [1], Float32Array.of(op.constant)), x], [y], {
      fused_activation_function: 0,
    }),
  concat: ({ m, node, op, y }) =>
    m.push(node, "CONCATENATION", node.inputs.map((v) => m.value(v)), [y], {
      axis: op.axis,
      fused_activation_function: ACT[op.act],
    }),
  // Zeros as TensorFlow writes them (PAD), other values with PADV2.
  pad: ({ m, node, op, name, x, y }) => {
    const paddings = m.i32(`${name}/paddings`, [op.paddings.length, 2], op.paddings.flat());
    if (op.value === 0) m.push(node, "PAD", [x, paddings], [y]);
    else m.push(node, "PADV2", [x, paddings, m.f32(`${name}/pad_value`, [], Float32Array.of(op.value))], [y]);
  },
  binarize: ({ name }) => {
    throw new Error(`internal: binarize node ${name} survived the passes`);
  },
};

const ACTIVATIONS = {
  relu: "RELU",
  relu6: "RELU6",
  relu_n1_to_1: "RELU_N1_TO_1",
  sigmoid: "LOGISTIC",
  tanh: "TANH",
  softmax: "SOFTMAX",
} as const;

/** Writes `g` (optimized and sorted) as a TFLite model. */
export function emit(g: Graph, description: string): { model: TfliteModel; ops: EmittedOp[] } {
  const m = new ModelBuilder(g);
  const inputs = g.inputs.map((v) => m.value(v));
  for (const node of g.nodes) {
    const outShape = g.values[node.output].shape;
    const context = {
      m,
      node,
      op: node.op,
      name: node.layers[0],
      x: m.value(node.inputs[0]),
      y: m.value(node.output),
      outShape,
      pixels: outShape.slice(0, -1).reduce((a, b) => a * b, 1),
    };
    (EMITTERS[node.op.kind] as (c: EmitContext<Op>) => void)(context);
  }
  const outputs = g.outputs.map((v) => m.value(v));
  const map = (list: number[]) => list.map((i) => ({ name: m.tensors[i].name, tensorIndex: i }));
  const model: TfliteModel = {
    version: 3,
    description,
    operatorCodes: m.codes,
    subgraphs: [{ name: "main", tensors: m.tensors, inputs, outputs, operators: m.operators }],
    buffers: m.buffers,
    signatureDefs: [{ signatureKey: "serving_default", subgraphIndex: 0, inputs: map(inputs), outputs: map(outputs) }],
    metadata: [],
  };
  return { model, ops: m.ops };
}

/** CONV_2D (filter OHWI [cout, kh, kw, cin / groups]) or DEPTHWISE_CONV_2D ([1, kh, kw, c·m], Keras's order). */
function emitConv({ m, node, op, name, x, y, pixels }: EmitContext<Conv2dOp | DepthwiseOp>): void {
  const [kh, kw, c, mult] = op.filterShape;
  let xin = x, padding = op.padding;
  if (op.padding === "same" && op.padValues !== 0) {
    xin = m.padSame(node, x, [kh, kw], op.strides, op.dilations, op.padValues);
    padding = "valid";
  }
  const conv = op.kind === "conv2d";
  let filter = op.filter;
  if (conv) {
    filter = new Float32Array(op.filter.length);
    for (let t = 0; t < kh * kw * c; t++) {
      for (let o = 0; o < mult; o++) filter[o * kh * kw * c + t] = op.filter[t * mult + o];
    }
  }
  const cout = conv ? mult : c * mult;
  m.push(
    node,
    conv ? "CONV_2D" : "DEPTHWISE_CONV_2D",
    [
      xin,
      m.f32(`${name}/filter`, conv ? [mult, kh, kw, c] : [1, kh, kw, c * mult], filter),
      m.vector(node, "bias", op.bias ?? new Float32Array(cout)),
    ],
    [y],
    {
      padding: PAD(padding),
      stride_w: op.strides[1],
      stride_h: op.strides[0],
      ...(conv ? {} : { depth_multiplier: mult }),
      fused_activation_function: ACT[op.act],
      dilation_w_factor: op.dilations[1],
      dilation_h_factor: op.dilations[0],
    },
    pixels * cout * kh * kw * (conv ? c : 1),
  );
}

/** FULLY_CONNECTED with weights [units, depth]. */
function emitDense({ m, node, op, name, x, y, pixels }: EmitContext<DenseOp>): void {
  const [depth, units] = op.filterShape;
  const t = new Float32Array(op.filter.length);
  for (let i = 0; i < depth; i++) for (let u = 0; u < units; u++) t[u * depth + i] = op.filter[i * units + u];
  m.push(
    node,
    "FULLY_CONNECTED",
    [x, m.f32(`${name}/weights`, [units, depth], t), m.vector(node, "bias", op.bias ?? new Float32Array(units))],
    [y],
    { fused_activation_function: ACT[op.act], weights_format: 0, keep_num_dims: false },
    pixels * depth * units,
  );
}

/** TRANSPOSE_CONV: inputs (output shape, weights [filters, kh, kw, channels], input, bias). */
function emitTransposeConv(
  { m, node, op, name, x, y, outShape }: EmitContext<Extract<Op, { kind: "transpose_conv" }>>,
): void {
  const [kh, kw, f, c] = op.filterShape;
  const w = new Float32Array(op.filter.length);
  for (let i = 0; i < kh * kw; i++) {
    for (let o = 0; o < f; o++) {
      for (let ci = 0; ci < c; ci++) w[(o * kh * kw + i) * c + ci] = op.filter[(i * f + o) * c + ci];
    }
  }
  m.push(
    node,
    "TRANSPOSE_CONV",
    [
      m.i32(`${name}/output_shape`, [4], outShape),
      m.f32(`${name}/filter`, [f, kh, kw, c], w),
      x,
      m.vector(node, "bias", op.bias ?? new Float32Array(f)),
    ],
    [y],
    { padding: PAD(op.padding), stride_w: op.strides[1], stride_h: op.strides[0], fused_activation_function: 0 },
    m.g.values[node.inputs[0]].shape.slice(0, -1).reduce((a, b) => a * b, 1) * f * kh * kw * c,
  );
}

/** LceBconv2d: bitpacked OHWI filter, then either multiplier and bias (float output) or thresholds (bitpacked). */
function emitBconv({ m, node, op, name, x, y, pixels }: EmitContext<BconvOp>): void {
  const [cout, kh, kw, cinG] = op.filterShape;
  const filter = m.i32(`${name}/filter`, [cout, kh, kw, Math.ceil(cinG / 32)], packSigns(op.signs, cinG));
  const inputs = op.threshold
    ? [x, filter, -1, -1, m.i32(`${name}/threshold`, [cout], op.threshold)]
    : [x, filter, m.vector(node, "multiplier", op.multiplier), m.vector(node, "bias", op.bias), -1];
  m.push(node, "LceBconv2d", inputs, [y], bconvOptions(op), pixels * cout * kh * kw * cinG);
}
