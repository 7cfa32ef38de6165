/**
 * A decoded TFLite model: plain objects, independent of the flatbuffer
 * they came from (buffer data are views of the file's bytes). The reader
 * produces it, the writer consumes it, the runtime plans from it.
 * @module
 */

/** Value of one option field of a builtin options table (null: an absent string or vector). */
export type OptionValue = number | boolean | string | number[] | null;

export interface OperatorCode {
  /** BuiltinOperator code (the larger of the deprecated and the extended field). */
  builtinCode: number;
  /** Name of a CUSTOM op, e.g. `LceBconv2d`; null for builtins. */
  customCode: string | null;
  version: number;
}

export interface Quantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface Tensor {
  name: string;
  /** Static shape; -1 entries of `shapeSignature` are stored here as 1 by TFLite converters. */
  shape: number[];
  shapeSignature: number[] | null;
  /** TensorType code (see schema.ts). */
  type: number;
  /** Index into `buffers`; 0 is the empty buffer (no constant data). */
  buffer: number;
  quantization: Quantization | null;
  isVariable: boolean;
  /** Has sparsity parameters (a compressed layout onebit does not read). */
  sparse?: boolean;
}

export interface Operator {
  opcodeIndex: number;
  /** Tensor indices; -1 marks an absent optional input. */
  inputs: number[];
  outputs: number[];
  /** BuiltinOptions union type id (0: none). */
  builtinOptionsType: number;
  /** Decoded fields of the options table, by TFLite field name; null when absent. */
  builtinOptions: Record<string, OptionValue> | null;
  /** FlexBuffer bytes of a custom op's options; null when absent. */
  customOptions: Uint8Array | null;
}

export interface Subgraph {
  name: string;
  tensors: Tensor[];
  inputs: number[];
  outputs: number[];
  operators: Operator[];
}

export interface TensorMap {
  name: string;
  tensorIndex: number;
}

export interface SignatureDef {
  signatureKey: string;
  subgraphIndex: number;
  inputs: TensorMap[];
  outputs: TensorMap[];
}

export interface Metadata {
  name: string;
  buffer: number;
}

export interface TfliteModel {
  version: number;
  description: string;
  operatorCodes: OperatorCode[];
  subgraphs: Subgraph[];
  /** Constant data by buffer index; an empty array for buffers without data. */
  buffers: Uint8Array[];
  signatureDefs: SignatureDef[];
  metadata: Metadata[];
}
