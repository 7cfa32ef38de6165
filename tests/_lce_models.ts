/**
 * Builds single-op LCE models with onebit's writer, for op-level tests:
 * float input → LceQuantize → LceBconv2d or LceBMaxPool2d → (bitpacked:
 * LceDequantize) → float output. Options are FlexBuffer maps as LCE writes
 * them (every value an INT).
 * @module
 */
import { flexbuffers } from "../_deps.ts";
import type { Operator, Tensor, TfliteModel } from "../tflite/model.ts";
import { Builtin, Padding, TensorType } from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";
import { packSigns } from "../convert/binary.ts";

export interface BconvSpec {
  batch: number;
  height: number;
  width: number;
  channelsIn: number;
  channelsOut: number;
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  padding: "same" | "valid";
  padValues: 0 | 1;
  groups: number;
  /** 0 NONE, 1 RELU, 2 RELU_N1_TO_1, 3 RELU6 (float output only). */
  activation: number;
  /** ±1 weights, OHWI [Cout, KH, KW, Cin/groups]. */
  weights: Float32Array;
  /** Float output: multiplier and bias. Bitpacked output: threshold. */
  multiplier?: Float32Array;
  bias?: Float32Array;
  threshold?: Int32Array;
  outH: number;
  outW: number;
}

function t(name: string, shape: number[], type: number, buffer = 0): Tensor {
  return { name, shape, shapeSignature: null, type, buffer, quantization: null, isVariable: false };
}

function bytesOf(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function op(opcodeIndex: number, inputs: number[], outputs: number[], options?: Record<string, number>): Operator {
  return {
    opcodeIndex,
    inputs,
    outputs,
    builtinOptionsType: 0,
    builtinOptions: null,
    customOptions: options ? flexbuffers.encode(options) : new Uint8Array(0),
  };
}

const CODES = ["LceQuantize", "LceBconv2d", "LceDequantize", "LceBMaxPool2d"].map((c) => ({
  builtinCode: Builtin.CUSTOM,
  customCode: c,
  version: 1,
}));

export function bconvModel(s: BconvSpec): Uint8Array {
  const cinG = s.channelsIn / s.groups;
  const wordsIn = Math.ceil(s.channelsIn / 32), wordsG = Math.ceil(cinG / 32);
  const bitpacked = s.threshold !== undefined;
  const filter = packSigns(s.weights, cinG);
  const buffers = [new Uint8Array(0), bytesOf(filter)];
  const tensors = [
    t("x", [s.batch, s.height, s.width, s.channelsIn], TensorType.FLOAT32),
    t("x_packed", [s.batch, s.height, s.width, wordsIn], TensorType.INT32),
    t("filter", [s.channelsOut, s.kernel[0], s.kernel[1], wordsG], TensorType.INT32, 1),
  ];
  const inputs = [1, 2];
  if (bitpacked) {
    buffers.push(bytesOf(s.threshold!));
    tensors.push(t("threshold", [s.channelsOut], TensorType.INT32, 2));
    inputs.push(-1, -1, 3);
  } else {
    buffers.push(bytesOf(s.multiplier!), bytesOf(s.bias!));
    tensors.push(
      t("multiplier", [s.channelsOut], TensorType.FLOAT32, 2),
      t("bias", [s.channelsOut], TensorType.FLOAT32, 3),
    );
    inputs.push(3, 4, -1);
  }
  const outIndex = tensors.length;
  const outShape = [s.batch, s.outH, s.outW];
  tensors.push(
    bitpacked
      ? t("y_packed", [...outShape, Math.ceil(s.channelsOut / 32)], TensorType.INT32)
      : t("y", [...outShape, s.channelsOut], TensorType.FLOAT32),
  );
  const operators = [
    op(0, [0], [1]),
    op(1, inputs, [outIndex], {
      channels_in: s.channelsIn,
      dilation_height_factor: s.dilations[0],
      dilation_width_factor: s.dilations[1],
      fused_activation_function: s.activation,
      pad_values: s.padValues,
      padding: s.padding === "same" ? Padding.SAME : Padding.VALID,
      stride_height: s.strides[0],
      stride_width: s.strides[1],
    }),
  ];
  let output = outIndex;
  if (bitpacked) {
    tensors.push(t("y", [...outShape, s.channelsOut], TensorType.FLOAT32));
    operators.push(op(2, [outIndex], [outIndex + 1]));
    output = outIndex + 1;
  }
  const model: TfliteModel = {
    version: 3,
    description: "onebit test: LceBconv2d",
    operatorCodes: CODES,
    subgraphs: [{ name: "main", tensors, inputs: [0], outputs: [output], operators }],
    buffers,
    signatureDefs: [],
    metadata: [],
  };
  return writeModel(model);
}

export interface BmaxpoolSpec {
  batch: number;
  height: number;
  width: number;
  channels: number;
  filter: [number, number];
  strides: [number, number];
  padding: "same" | "valid";
  outH: number;
  outW: number;
}

/** float → LceQuantize → LceBMaxPool2d → LceDequantize → float. */
export function bmaxpoolModel(s: BmaxpoolSpec): Uint8Array {
  const words = Math.ceil(s.channels / 32);
  const tensors = [
    t("x", [s.batch, s.height, s.width, s.channels], TensorType.FLOAT32),
    t("x_packed", [s.batch, s.height, s.width, words], TensorType.INT32),
    t("y_packed", [s.batch, s.outH, s.outW, words], TensorType.INT32),
    t("y", [s.batch, s.outH, s.outW, s.channels], TensorType.FLOAT32),
  ];
  const operators = [
    op(0, [0], [1]),
    op(3, [1], [2], {
      padding: s.padding === "same" ? Padding.SAME : Padding.VALID,
      stride_width: s.strides[1],
      stride_height: s.strides[0],
      filter_width: s.filter[1],
      filter_height: s.filter[0],
    }),
    op(2, [2], [3]),
  ];
  return writeModel({
    version: 3,
    description: "onebit test: LceBMaxPool2d",
    operatorCodes: CODES,
    subgraphs: [{ name: "main", tensors, inputs: [0], outputs: [3], operators }],
    buffers: [new Uint8Array(0)],
    signatureDefs: [],
    metadata: [],
  });
}
