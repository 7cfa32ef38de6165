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
import type { BconvOp, FusedActivation, Graph, Node, PaddingMode } from "./graph.ts";

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

/** Writes `g` (optimized and sorted) as a TFLite model. */
export function emit(g: Graph, description: string): { model: TfliteModel; ops: EmittedOp[] } {
  const tensors: Tensor[] = [], buffers: Uint8Array[] = [new Uint8Array(0)];
  const codes: OperatorCode[] = [], codeIndex = new Map<string, number>();
  const operators: TfliteModel["subgraphs"][0]["operators"] = [];
  const ops: EmittedOp[] = [];
  const tensorOf = new Map<number, number>();
  const names = new Set<string>();

  const addTensor = (wanted: string, shape: number[], type: number, data?: Uint8Array): number => {
    let name = wanted;
    for (let i = 1; names.has(name); i++) name = `${wanted}_${i}`;
    names.add(name);
    let buffer = 0;
    if (data) {
      buffers.push(data);
      buffer = buffers.length - 1;
    }
    tensors.push({ name, shape, shapeSignature: null, type, buffer, quantization: null, isVariable: false });
    return tensors.length - 1;
  };
  const valueTensor = (v: number): number => {
    let t = tensorOf.get(v);
    if (t === undefined) {
      const { name, shape, packed } = g.values[v];
      const stored = packed ? [...shape.slice(0, -1), Math.ceil(shape.at(-1)! / 32)] : shape;
      t = addTensor(name, stored, packed ? TensorType.INT32 : TensorType.FLOAT32);
      tensorOf.set(v, t);
    }
    return t;
  };
  const f32 = (name: string, shape: number[], data: Float32Array) =>
    addTensor(name, shape, TensorType.FLOAT32, bytes(data));
  const i32 = (name: string, shape: number[], data: Int32Array | number[]) =>
    addTensor(name, shape, TensorType.INT32, bytes(Int32Array.from(data)));
  const code = (name: string): number => {
    let i = codeIndex.get(name);
    if (i === undefined) {
      const builtin = (Builtin as Record<string, number>)[name];
      codes.push(
        builtin === undefined
          ? { builtinCode: Builtin.CUSTOM, customCode: name, version: 1 }
          : { builtinCode: builtin, customCode: null, version: 1 },
      );
      i = codes.length - 1;
      codeIndex.set(name, i);
    }
    return i;
  };
  const push = (
    node: Node,
    name: string,
    inputs: number[],
    outputs: number[],
    options: Record<string, OptionValue> | Uint8Array | null = null,
    macs = 0,
  ) => {
    const builtin = (Builtin as Record<string, number>)[name];
    const custom = builtin === undefined;
    operators.push({
      opcodeIndex: code(name),
      inputs,
      outputs,
      builtinOptionsType: custom ? 0 : BUILTIN_OPTIONS.get(builtin) ?? 0,
      builtinOptions: custom ? null : options as Record<string, OptionValue> | null,
      customOptions: custom ? (options as Uint8Array | null) ?? new Uint8Array(0) : null,
    });
    ops.push({ op: name, layers: node.layers, macs, binary: name === "LceBconv2d" || name === "LceBMaxPool2d", node });
  };
  /** A float intermediate tensor between two ops of one node. */
  const scratch = (node: Node, suffix: string, shape: number[]) =>
    addTensor(`${node.layers[0]}/${suffix}`, shape, TensorType.FLOAT32);
  /** PADV2 by TF SAME amounts with a constant, for convs whose "same" padding is not zero. */
  const padSame = (node: Node, x: number, kernel: number[], strides: number[], dilations: number[], value: number) => {
    const shape = g.values[node.inputs[0]].shape;
    const paddings = [0, 0];
    const padded = [shape[0]];
    for (let i = 0; i < 2; i++) {
      const a = tfAxis(shape[1 + i], kernel[i], strides[i], dilations[i], "same");
      paddings.push(a.before, a.after);
      padded.push(shape[1 + i] + a.before + a.after);
    }
    paddings.push(0, 0);
    padded.push(shape[3]);
    const out = scratch(node, "padded", padded);
    const name = g.values[node.output].name;
    push(node, "PADV2", [
      x,
      i32(`${name}/paddings`, [4, 2], paddings),
      f32(`${name}/pad_value`, [], Float32Array.of(value)),
    ], [out]);
    return out;
  };
  const constVec = (node: Node, suffix: string, data: Float32Array) =>
    f32(`${node.layers[0]}/${suffix}`, [data.length], data);

  const inputs = g.inputs.map(valueTensor);
  for (const node of g.nodes) {
    const op = node.op, name = node.layers[0];
    const x = valueTensor(node.inputs[0]), y = valueTensor(node.output);
    const outShape = g.values[node.output].shape;
    const pixels = outShape.slice(0, -1).reduce((a, b) => a * b, 1);
    switch (op.kind) {
      case "conv2d":
      case "depthwise": {
        const [kh, kw, c, m] = op.filterShape;
        let xin = x, padding = op.padding;
        if (op.padding === "same" && op.padValues !== 0) {
          xin = padSame(node, x, [kh, kw], op.strides, op.dilations, op.padValues);
          padding = "valid";
        }
        const conv = op.kind === "conv2d";
        // CONV_2D takes OHWI [cout, kh, kw, cin / groups]; DEPTHWISE_CONV_2D [1, kh, kw, c·m] (Keras's order).
        let filter = op.filter;
        if (conv) {
          filter = new Float32Array(op.filter.length);
          for (let t = 0; t < kh * kw * c; t++) {
            for (let o = 0; o < m; o++) filter[o * kh * kw * c + t] = op.filter[t * m + o];
          }
        }
        const cout = conv ? m : c * m;
        push(
          node,
          conv ? "CONV_2D" : "DEPTHWISE_CONV_2D",
          [
            xin,
            f32(`${name}/filter`, conv ? [m, kh, kw, c] : [1, kh, kw, c * m], filter),
            constVec(node, "bias", op.bias ?? new Float32Array(cout)),
          ],
          [y],
          {
            padding: PAD(padding),
            stride_w: op.strides[1],
            stride_h: op.strides[0],
            ...(conv ? {} : { depth_multiplier: m }),
            fused_activation_function: ACT[op.act],
            dilation_w_factor: op.dilations[1],
            dilation_h_factor: op.dilations[0],
          },
          pixels * cout * kh * kw * (conv ? c : 1),
        );
        break;
      }
      case "dense": {
        const [depth, units] = op.filterShape;
        const t = new Float32Array(op.filter.length);
        for (let i = 0; i < depth; i++) for (let u = 0; u < units; u++) t[u * depth + i] = op.filter[i * units + u];
        push(
          node,
          "FULLY_CONNECTED",
          [
            x,
            f32(`${name}/weights`, [units, depth], t),
            constVec(node, "bias", op.bias ?? new Float32Array(units)),
          ],
          [y],
          { fused_activation_function: ACT[op.act], weights_format: 0, keep_num_dims: false },
          pixels * depth * units,
        );
        break;
      }
      case "bconv":
        emitBconv(node, op, x, y, pixels, push, i32, constVec, name);
        break;
      case "quantize":
        push(node, "LceQuantize", [x], [y]);
        break;
      case "dequantize":
        push(node, "LceDequantize", [x], [y]);
        break;
      case "bmaxpool":
        push(node, "LceBMaxPool2d", [x], [y], bmaxpoolOptions(op));
        break;
      case "affine": {
        const mid = scratch(node, "scaled", outShape);
        push(node, "MUL", [x, constVec(node, "scale", op.scale)], [mid], { fused_activation_function: 0 });
        push(node, "ADD", [mid, constVec(node, "offset", op.offset)], [y], { fused_activation_function: 0 });
        break;
      }
      case "activation": {
        const names = {
          relu: "RELU",
          relu6: "RELU6",
          relu_n1_to_1: "RELU_N1_TO_1",
          sigmoid: "LOGISTIC",
          tanh: "TANH",
          softmax: "SOFTMAX",
        };
        push(node, names[op.fn], [x], [y], op.fn === "softmax" ? { beta: 1 } : null);
        break;
      }
      case "leaky_relu":
        push(node, "LEAKY_RELU", [x], [y], { alpha: op.alpha });
        break;
      case "transpose_conv": {
        // TFLite: inputs (output shape, weights [filters, kh, kw, channels], input, bias).
        const [kh, kw, f, c] = op.filterShape;
        const w = new Float32Array(op.filter.length);
        for (let i = 0; i < kh * kw; i++) {
          for (let o = 0; o < f; o++) {
            for (let ci = 0; ci < c; ci++) w[(o * kh * kw + i) * c + ci] = op.filter[(i * f + o) * c + ci];
          }
        }
        push(
          node,
          "TRANSPOSE_CONV",
          [
            i32(`${name}/output_shape`, [4], outShape),
            f32(`${name}/filter`, [f, kh, kw, c], w),
            x,
            constVec(node, "bias", op.bias ?? new Float32Array(f)),
          ],
          [y],
          {
            padding: PAD(op.padding),
            stride_w: op.strides[1],
            stride_h: op.strides[0],
            fused_activation_function: 0,
          },
          g.values[node.inputs[0]].shape.slice(0, -1).reduce((a, b) => a * b, 1) * f * kh * kw * c,
        );
        break;
      }
      case "pool":
        push(node, op.type === "max" ? "MAX_POOL_2D" : "AVERAGE_POOL_2D", [x], [y], {
          padding: PAD(op.padding),
          stride_w: op.strides[1],
          stride_h: op.strides[0],
          filter_width: op.pool[1],
          filter_height: op.pool[0],
          fused_activation_function: ACT[op.act],
        });
        break;
      case "mean":
        push(node, "MEAN", [x, i32(`${name}/axes`, [op.axes.length], op.axes)], [y], { keep_dims: false });
        break;
      case "reshape": {
        // A packed reshape moves words: its shape is in words along the last axis.
        const stored = tensors[y].shape;
        push(node, "RESHAPE", [x, i32(`${name}/shape`, [stored.length], stored)], [y], { new_shape: stored });
        break;
      }
      case "add":
        push(node, "ADD", [x, valueTensor(node.inputs[1])], [y], { fused_activation_function: ACT[op.act] });
        break;
      case "sub_from":
        push(node, "SUB", [f32(`${name}/constant`, [1], Float32Array.of(op.constant)), x], [y], {
          fused_activation_function: 0,
        });
        break;
      case "concat":
        push(node, "CONCATENATION", node.inputs.map(valueTensor), [y], {
          axis: op.axis,
          fused_activation_function: ACT[op.act],
        });
        break;
      case "pad": {
        const paddings = op.paddings.flat();
        push(node, "PADV2", [
          x,
          i32(`${name}/paddings`, [op.paddings.length, 2], paddings),
          f32(`${name}/pad_value`, [], Float32Array.of(op.value)),
        ], [y]);
        break;
      }
      case "binarize":
        throw new Error(`internal: binarize node ${name} survived the passes`);
    }
  }
  const outputs = g.outputs.map(valueTensor);
  const map = (list: number[]) => list.map((i) => ({ name: tensors[i].name, tensorIndex: i }));
  const model: TfliteModel = {
    version: 3,
    description,
    operatorCodes: codes,
    subgraphs: [{ name: "main", tensors, inputs, outputs, operators }],
    buffers,
    signatureDefs: [{ signatureKey: "serving_default", subgraphIndex: 0, inputs: map(inputs), outputs: map(outputs) }],
    metadata: [],
  };
  return { model, ops };
}

function emitBconv(
  node: Node,
  op: BconvOp,
  x: number,
  y: number,
  pixels: number,
  push: (n: Node, name: string, i: number[], o: number[], opts: Uint8Array, macs: number) => void,
  i32: (name: string, shape: number[], data: Int32Array) => number,
  constVec: (n: Node, suffix: string, data: Float32Array) => number,
  name: string,
): void {
  const [cout, kh, kw, cinG] = op.filterShape;
  const filter = i32(`${name}/filter`, [cout, kh, kw, Math.ceil(cinG / 32)], packSigns(op.signs, cinG));
  const inputs = op.threshold
    ? [x, filter, -1, -1, i32(`${name}/threshold`, [cout], op.threshold)]
    : [x, filter, constVec(node, "multiplier", op.multiplier), constVec(node, "bias", op.bias), -1];
  push(node, "LceBconv2d", inputs, [y], bconvOptions(op), pixels * cout * kh * kw * cinG);
}
