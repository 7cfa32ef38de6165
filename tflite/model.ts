/**
 * A decoded TFLite model: plain objects, independent of the flatbuffer
 * they came from (buffer data are views of the file's bytes). The reader
 * produces it, the writer consumes it, the runtime plans from it.
 * @module
 */

/** Value of one option field of a builtin options table (null: an absent string or vector). */
export type OptionValue = number | boolean | string | number[] | null;

/** Which operator an operator code names: a TFLite builtin, or a custom op by name (LCE's ops are custom). */
export interface OperatorCode {
  /** BuiltinOperator code (the larger of the deprecated and the extended field). */
  builtinCode: number;
  /** Name of a CUSTOM op, e.g. `LceBconv2d`; null for builtins. */
  customCode: string | null;
  /** Operator version (the kernel's behaviour revision, as the converter wrote it). */
  version: number;
}

/** Affine quantization of an int8/uint8 tensor: real = scale · (q - zeroPoint), per tensor or per channel. */
export interface Quantization {
  /** One scale per tensor, or one per channel of `quantizedDimension`. */
  scale: number[];
  /** Zero points, one per scale. */
  zeroPoint: number[];
  /** The axis the per-channel scales run along (0 for a per-tensor quantization). */
  quantizedDimension: number;
}

/** One tensor of a subgraph: an activation, or a constant when its buffer holds data. */
export interface Tensor {
  /** Name as the converter wrote it (e.g. `sequential/quant_conv2d/Conv2D`). */
  name: string;
  /** Static shape; -1 entries of `shapeSignature` are stored here as 1 by TFLite converters. */
  shape: number[];
  /** Shape with -1 for dynamic dimensions (usually the batch), or null when the file has none. */
  shapeSignature: number[] | null;
  /** TensorType code (see schema.ts). */
  type: number;
  /** Index into `buffers`; 0 is the empty buffer (no constant data). */
  buffer: number;
  /** Quantization parameters of an int8/uint8 tensor; null for float tensors. */
  quantization: Quantization | null;
  /** Whether the tensor is a variable: state kept between invokes (TFLite's stateful ops); constant files have none. */
  isVariable: boolean;
  /** Has sparsity parameters (a compressed layout onebit does not read). */
  sparse?: boolean;
}

/** One operator of a subgraph, in execution order. */
export interface Operator {
  /** Index into {@link TfliteModel.operatorCodes}. */
  opcodeIndex: number;
  /** Tensor indices; -1 marks an absent optional input. */
  inputs: number[];
  /** Tensor indices of its outputs. */
  outputs: number[];
  /** BuiltinOptions union type id (0: none). */
  builtinOptionsType: number;
  /** Decoded fields of the options table, by TFLite field name; null when absent. */
  builtinOptions: Record<string, OptionValue> | null;
  /** FlexBuffer bytes of a custom op's options; null when absent. */
  customOptions: Uint8Array | null;
}

/** A graph of tensors and operators; onebit runs the first subgraph of a file. */
export interface Subgraph {
  /** The subgraph's name (`main` in most converters' files). */
  name: string;
  /** Every tensor, addressed by index. */
  tensors: Tensor[];
  /** Indices of the graph's inputs. */
  inputs: number[];
  /** Indices of the graph's outputs. */
  outputs: number[];
  /** The operators in execution order. */
  operators: Operator[];
}

/** A named input or output of a signature. */
export interface TensorMap {
  /** The signature's name for it (e.g. `input_1`). */
  name: string;
  /** Index of the tensor in the signature's subgraph. */
  tensorIndex: number;
}

/** A named entry point of the model (`serving_default`), as TensorFlow's converter writes it. */
export interface SignatureDef {
  /** The signature's key, e.g. `serving_default`. */
  signatureKey: string;
  /** Index of the subgraph it runs. */
  subgraphIndex: number;
  /** Its inputs by name. */
  inputs: TensorMap[];
  /** Its outputs by name. */
  outputs: TensorMap[];
}

/** A named metadata entry (e.g. `min_runtime_version`) stored in a buffer. */
export interface Metadata {
  /** The entry's name. */
  name: string;
  /** Index into {@link TfliteModel.buffers} of its bytes. */
  buffer: number;
}

/** A whole `.tflite` file as plain objects: what {@link readModel} returns and {@link writeModel} takes. */
export interface TfliteModel {
  /** Schema version (3 for every current converter). */
  version: number;
  /** Free text the converter wrote (e.g. `MLIR Converted.`, or onebit's). */
  description: string;
  /** The operator codes the operators index. */
  operatorCodes: OperatorCode[];
  /** The subgraphs; the first is the model. */
  subgraphs: Subgraph[];
  /** Constant data by buffer index; an empty array for buffers without data. */
  buffers: Uint8Array[];
  /** The file's named entry points (may be empty). */
  signatureDefs: SignatureDef[];
  /** The file's metadata entries (may be empty). */
  metadata: Metadata[];
}
