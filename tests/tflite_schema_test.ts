/**
 * tflite/_schema_generated.ts, generated from LiteRT's copy of the TFLite
 * schema by tools/py/gen_tflite_schema.py, and the reader and writer of every
 * option table it lists: the tables onebit kept by hand before come out
 * identical, every table and every field kind round-trips through the writer
 * and the reader (and, with the Python venv, through LiteRT's own generated
 * reader), and malformed option fields are ModelFormatErrors.
 */
import assert from "node:assert/strict";
import { ModelFormatError } from "../tflite/errors.ts";
import type { Operator, OptionValue, TfliteModel } from "../tflite/model.ts";
import { readModel } from "../tflite/reader.ts";
import {
  Builtin,
  BUILTIN_OPTIONS,
  builtinName,
  type FieldKind,
  OPTION_TABLE_BY_ID,
  OPTION_TABLES,
  type OptionField,
  type OptionTable,
} from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";

const root = new URL("..", import.meta.url).pathname;
const python = new URL("../.tools/venv/bin/python", import.meta.url).pathname;
const hasPython = (() => {
  try {
    return Deno.statSync(python).isFile;
  } catch {
    return false;
  }
})();

// ---- tflite/schema.ts's hand-kept tables before they were generated, verbatim.

function f(name: string, slot: number, kind: FieldKind, def: number | boolean | null = 0): OptionField {
  return { name, slot, kind, default: kind === "bool" && def === 0 ? false : kind === "i32[]" ? null : def };
}

const conv = [f("padding", 0, "i8"), f("stride_w", 1, "i32"), f("stride_h", 2, "i32")];

const HAND_KEPT_TABLES: readonly OptionTable[] = [
  {
    typeId: 1,
    name: "Conv2DOptions",
    fields: [
      ...conv,
      f("fused_activation_function", 3, "i8"),
      f("dilation_w_factor", 4, "i32", 1),
      f("dilation_h_factor", 5, "i32", 1),
    ],
  },
  {
    typeId: 2,
    name: "DepthwiseConv2DOptions",
    fields: [
      ...conv,
      f("depth_multiplier", 3, "i32"),
      f("fused_activation_function", 4, "i8"),
      f("dilation_w_factor", 5, "i32", 1),
      f("dilation_h_factor", 6, "i32", 1),
    ],
  },
  {
    typeId: 5,
    name: "Pool2DOptions",
    fields: [
      ...conv,
      f("filter_width", 3, "i32"),
      f("filter_height", 4, "i32"),
      f("fused_activation_function", 5, "i8"),
    ],
  },
  {
    typeId: 8,
    name: "FullyConnectedOptions",
    fields: [f("fused_activation_function", 0, "i8"), f("weights_format", 1, "i8"), f("keep_num_dims", 2, "bool")],
  },
  { typeId: 9, name: "SoftmaxOptions", fields: [f("beta", 0, "f32")] },
  {
    typeId: 10,
    name: "ConcatenationOptions",
    fields: [f("axis", 0, "i32"), f("fused_activation_function", 1, "i8")],
  },
  { typeId: 11, name: "AddOptions", fields: [f("fused_activation_function", 0, "i8")] },
  {
    typeId: 15,
    name: "ResizeBilinearOptions",
    fields: [f("align_corners", 2, "bool"), f("half_pixel_centers", 3, "bool")],
  },
  { typeId: 17, name: "ReshapeOptions", fields: [f("new_shape", 0, "i32[]")] },
  { typeId: 21, name: "MulOptions", fields: [f("fused_activation_function", 0, "i8")] },
  { typeId: 22, name: "PadOptions", fields: [] },
  { typeId: 26, name: "TransposeOptions", fields: [] },
  { typeId: 27, name: "ReducerOptions", fields: [f("keep_dims", 0, "bool")] },
  { typeId: 28, name: "SubOptions", fields: [f("fused_activation_function", 0, "i8")] },
  { typeId: 30, name: "SqueezeOptions", fields: [f("squeeze_dims", 0, "i32[]")] },
  {
    typeId: 32,
    name: "StridedSliceOptions",
    fields: [
      f("begin_mask", 0, "i32"),
      f("end_mask", 1, "i32"),
      f("ellipsis_mask", 2, "i32"),
      f("new_axis_mask", 3, "i32"),
      f("shrink_axis_mask", 4, "i32"),
      f("offset", 5, "bool"),
    ],
  },
  { typeId: 38, name: "DequantizeOptions", fields: [] },
  { typeId: 39, name: "MaximumMinimumOptions", fields: [] },
  { typeId: 43, name: "PadV2Options", fields: [] },
  { typeId: 49, name: "TransposeConvOptions", fields: [...conv, f("fused_activation_function", 3, "i8")] },
  {
    typeId: 74,
    name: "ResizeNearestNeighborOptions",
    fields: [f("align_corners", 0, "bool"), f("half_pixel_centers", 1, "bool")],
  },
  { typeId: 75, name: "LeakyReluOptions", fields: [f("alpha", 0, "f32")] },
  { typeId: 89, name: "QuantizeOptions", fields: [] },
  { typeId: 91, name: "HardSwishOptions", fields: [] },
];

const HAND_KEPT_BUILTIN_OPTIONS: ReadonlyMap<number, number> = new Map([
  [Builtin.CONV_2D, 1],
  [Builtin.DEPTHWISE_CONV_2D, 2],
  [Builtin.AVERAGE_POOL_2D, 5],
  [Builtin.MAX_POOL_2D, 5],
  [Builtin.FULLY_CONNECTED, 8],
  [Builtin.SOFTMAX, 9],
  [Builtin.CONCATENATION, 10],
  [Builtin.ADD, 11],
  [Builtin.RESIZE_BILINEAR, 15],
  [Builtin.RESHAPE, 17],
  [Builtin.MUL, 21],
  [Builtin.PAD, 22],
  [Builtin.TRANSPOSE, 26],
  [Builtin.MEAN, 27],
  [Builtin.SUB, 28],
  [Builtin.SQUEEZE, 30],
  [Builtin.STRIDED_SLICE, 32],
  [Builtin.DEQUANTIZE, 38],
  [Builtin.MAXIMUM, 39],
  [Builtin.MINIMUM, 39],
  [Builtin.PADV2, 43],
  [Builtin.TRANSPOSE_CONV, 49],
  [Builtin.RESIZE_NEAREST_NEIGHBOR, 74],
  [Builtin.LEAKY_RELU, 75],
  [Builtin.QUANTIZE, 89],
  [Builtin.HARD_SWISH, 91],
]);

/** Fields of the hand-kept tables' schema that the hand-kept tables left out. */
const FIELDS_THEY_LACKED: Record<string, OptionField[]> = {
  Conv2DOptions: [{ name: "quantized_bias_type", slot: 6, kind: "i8", default: 0 }],
  FullyConnectedOptions: [
    { name: "asymmetric_quantize_inputs", slot: 3, kind: "bool", default: false },
    { name: "quantized_bias_type", slot: 4, kind: "i8", default: 0 },
  ],
  AddOptions: [{ name: "pot_scale_int16", slot: 1, kind: "bool", default: true }],
  SubOptions: [{ name: "pot_scale_int16", slot: 1, kind: "bool", default: true }],
  TransposeConvOptions: [{ name: "quantized_bias_type", slot: 4, kind: "i8", default: 0 }],
};

Deno.test("generated tables: every table onebit kept by hand comes out identical, plus the fields it lacked", () => {
  for (const kept of HAND_KEPT_TABLES) {
    const fields = [...kept.fields, ...(FIELDS_THEY_LACKED[kept.name] ?? [])].sort((a, b) => a.slot - b.slot);
    // The enum each field has is checked in tflite/summary_test.ts; the hand-kept tables did not say it.
    const generated = OPTION_TABLE_BY_ID.get(kept.typeId)!;
    const untyped = { ...generated, fields: generated.fields.map(({ enum: _, ...f }) => f) };
    assert.deepEqual(untyped, { ...kept, fields }, kept.name);
  }
  for (const [code, typeId] of HAND_KEPT_BUILTIN_OPTIONS) {
    assert.equal(BUILTIN_OPTIONS.get(code), typeId, builtinName(code));
  }
});

Deno.test("generated tables: the whole schema, TFLite's op -> options mapping, typed builtin names", () => {
  assert.equal(Builtin.ADD, 0);
  assert.equal(Builtin.RESIZE_BILINEAR, 23);
  assert.equal(Builtin.HARD_SWISH, 117);
  assert.equal(Builtin.STABLEHLO_CASE, 209);
  assert.equal(builtinName(Builtin.BATCH_MATMUL), "BATCH_MATMUL");
  assert.equal(builtinName(5000), "BUILTIN_5000");
  // @ts-expect-error: a misspelt builtin does not type-check
  const typo = Builtin.CONV2D;
  assert.equal(typo, undefined);

  assert.equal(OPTION_TABLES.length, 126);
  assert.deepEqual(OPTION_TABLES.map((t) => t.typeId), Array.from({ length: 126 }, (_, i) => i + 1));
  for (const t of OPTION_TABLES) {
    const slots = t.fields.map((f) => f.slot);
    assert.deepEqual(slots, [...new Set(slots)].sort((a, b) => a - b), `${t.name}: slots unique and ascending`);
    for (const f of t.fields) assert.match(f.name, /^[a-z][a-z0-9_]*$/, `${t.name}.${f.name}`);
  }
  const tableOf = (op: keyof typeof Builtin) => OPTION_TABLE_BY_ID.get(BUILTIN_OPTIONS.get(Builtin[op]) ?? -1)?.name;
  const expected: [keyof typeof Builtin, string | undefined][] = [
    // The exceptions to the names (tools/py/gen_tflite_schema.py OPTIONS_EXCEPTIONS).
    ["AVERAGE_POOL_2D", "Pool2DOptions"],
    ["MAX_POOL_2D", "Pool2DOptions"],
    ["L2_POOL_2D", "Pool2DOptions"],
    ["MAXIMUM", "MaximumMinimumOptions"],
    ["MINIMUM", "MaximumMinimumOptions"],
    ["MEAN", "ReducerOptions"],
    ["SUM", "ReducerOptions"],
    ["REDUCE_PROD", "ReducerOptions"],
    ["REDUCE_MAX", "ReducerOptions"],
    ["REDUCE_MIN", "ReducerOptions"],
    ["REDUCE_ANY", "ReducerOptions"],
    ["REDUCE_ALL", "ReducerOptions"],
    ["L2_NORMALIZATION", "L2NormOptions"],
    ["UNIDIRECTIONAL_SEQUENCE_RNN", "SequenceRNNOptions"],
    ["CONV_3D_TRANSPOSE", "Conv3DOptions"],
    ["RANDOM_STANDARD_NORMAL", "RandomOptions"],
    ["RANDOM_UNIFORM", "RandomOptions"],
    ["MULTINOMIAL", "RandomOptions"],
    // Names that give the table regardless of case and underscores.
    ["CONV_2D", "Conv2DOptions"],
    ["RESIZE_BILINEAR", "ResizeBilinearOptions"],
    ["PADV2", "PadV2Options"],
    ["LESS", "LessOptions"],
    ["GREATER_EQUAL", "GreaterEqualOptions"],
    ["CONCAT_EMBEDDINGS", "ConcatEmbeddingsOptions"],
    ["LSH_PROJECTION", "LSHProjectionOptions"],
    ["SVDF", "SVDFOptions"],
    ["RNN", "RNNOptions"],
    ["UNIDIRECTIONAL_SEQUENCE_LSTM", "UnidirectionalSequenceLSTMOptions"],
    ["BIDIRECTIONAL_SEQUENCE_RNN", "BidirectionalSequenceRNNOptions"],
    ["BATCH_TO_SPACE_ND", "BatchToSpaceNDOptions"],
    ["GATHER_ND", "GatherNdOptions"],
    ["TOPK_V2", "TopKV2Options"],
    ["ATAN2", "ATan2Options"],
    ["RFFT2D", "Rfft2dOptions"],
    ["CONV_3D", "Conv3DOptions"],
    ["BATCH_MATMUL", "BatchMatMulOptions"],
    ["VAR_HANDLE", "VarHandleOptions"],
    ["RIGHT_SHIFT", "RightShiftOptions"],
    // Ops without options, and StableHLO ops (their options are in BuiltinOptions2, which onebit does not read).
    ["RELU", undefined],
    ["LOGISTIC", undefined],
    ["EMBEDDING_LOOKUP", undefined],
    ["CUSTOM", undefined],
    ["BROADCAST_ARGS", undefined],
    ["STABLEHLO_ADD", undefined],
    ["REDUCE_WINDOW", undefined],
  ];
  for (const [op, table] of expected) assert.equal(tableOf(op), table, op);
  assert.equal(BUILTIN_OPTIONS.size, 138);
  const carried = new Set(BUILTIN_OPTIONS.values());
  for (const t of OPTION_TABLES) assert.ok(carried.has(t.typeId), `no builtin carries ${t.name}`);
});

Deno.test({
  name: "tflite/_schema_generated.ts is what tools/py/gen_tflite_schema.py prints",
  ignore: !hasPython,
  async fn() {
    const out = await new Deno.Command(python, {
      args: ["tools/py/gen_tflite_schema.py"],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const committed = await Deno.readTextFile(new URL("../tflite/_schema_generated.ts", import.meta.url));
    assert.equal(committed, new TextDecoder().decode(out.stdout), "stale: run 'deno task gen:schema'");
  },
});

// ---- Round trips.

/** A value of each kind for the `j`-th field: in range, and distinct across fields to catch swapped slots. */
const SAMPLES: { [K in FieldKind]: (j: number) => OptionValue } = {
  bool: () => true, // replaced by the negated default
  i8: (j) => -2 - (j % 120),
  u8: (j) => 128 + (j % 120),
  i16: (j) => -300 - j,
  u16: (j) => 60000 + j,
  i32: (j) => -100000 - j,
  u32: (j) => 3_000_000_000 + j,
  i64: (j) => -(2 ** 40) - j,
  u64: (j) => 2 ** 52 + j,
  f32: (j) => 0.25 + j,
  f64: (j) => 0.1 + j,
  string: (j) => `field ${j}: grüße`,
  "i8[]": (j) => [-128, j, 127],
  "u8[]": (j) => [0, j, 255],
  "i16[]": (j) => [-32768, j, 32767],
  "u16[]": (j) => [0, j, 65535],
  "i32[]": (j) => [-(2 ** 31), j, 2 ** 31 - 1],
  "u32[]": (j) => [0, j, 2 ** 32 - 1],
  "i64[]": (j) => [-Number.MAX_SAFE_INTEGER, j, Number.MAX_SAFE_INTEGER],
  "u64[]": (j) => [0, j, Number.MAX_SAFE_INTEGER],
  "f32[]": (j) => [-1.5, j, 3.25],
  "f64[]": (j) => [-0.1, j, 1e300],
};

function sample(f: OptionField, j: number): OptionValue {
  return f.kind === "bool" ? !f.default : SAMPLES[f.kind](j);
}

function modelOf(operators: Operator[]): TfliteModel {
  return {
    version: 3,
    description: "option tables",
    operatorCodes: [{ builtinCode: Builtin.CUSTOM, customCode: "Options", version: 1 }],
    subgraphs: [{ name: "main", tensors: [], inputs: [], outputs: [], operators }],
    buffers: [new Uint8Array(0)],
    signatureDefs: [],
    metadata: [],
  };
}

function opWith(table: OptionTable, values: Record<string, OptionValue>): Operator {
  return {
    opcodeIndex: 0,
    inputs: [],
    outputs: [],
    builtinOptionsType: table.typeId,
    builtinOptions: values,
    customOptions: null,
  };
}

/** One operator per generated table, every field set to a value that is not its default. */
function everyTable(): TfliteModel {
  let j = 0;
  return modelOf(OPTION_TABLES.map((t) => {
    const values = Object.fromEntries(t.fields.map((f) => [f.name, sample(f, j++)]));
    for (const f of t.fields) assert.notDeepEqual(values[f.name], f.default, `${t.name}.${f.name}`);
    return opWith(t, values);
  }));
}

Deno.test("round trip: every generated table, every field off its default, reads back as written", () => {
  const model = everyTable();
  assert.deepEqual(readModel(writeModel(model)), model);
});

Deno.test("round trip: absent fields read back as their defaults, and defaults are not written", () => {
  const empty = modelOf(OPTION_TABLES.map((t) => opWith(t, {})));
  const bytes = writeModel(empty);
  readModel(bytes).subgraphs[0].operators.forEach((op, i) => {
    const t = OPTION_TABLES[i];
    assert.deepEqual(op.builtinOptions, Object.fromEntries(t.fields.map((f) => [f.name, f.default])), t.name);
  });
  const defaults = modelOf(
    OPTION_TABLES.map((t) => opWith(t, Object.fromEntries(t.fields.map((f) => [f.name, f.default])))),
  );
  assert.equal(writeModel(defaults).length, bytes.length);
});

/** Runs `fn` with `table` registered as a `BuiltinOptions` type (ids past the schema's are free). */
function withTable(table: OptionTable, fn: () => void): void {
  const tables = OPTION_TABLE_BY_ID as Map<number, OptionTable>;
  assert.ok(!tables.has(table.typeId));
  tables.set(table.typeId, table);
  try {
    fn();
  } finally {
    tables.delete(table.typeId);
  }
}

const ALL_KINDS = Object.keys(SAMPLES) as FieldKind[];

/** A table with one field of every kind, in reverse slot order, with a gap at slot 1. */
const EVERY_KIND: OptionTable = {
  typeId: 250,
  name: "EveryKindOptions",
  fields: ALL_KINDS.map((kind, i) => ({
    name: `field_${kind.replace("[]", "_vector")}`,
    slot: 2 * ALL_KINDS.length - 2 * i,
    kind,
    default: kind === "bool" ? true : kind === "string" || kind.endsWith("[]") ? null : i + 1,
  })),
};

Deno.test("round trip: every field kind, at its range's ends", () => {
  withTable(EVERY_KIND, () => {
    const extremes: Partial<Record<FieldKind, number>> = {
      i8: -128,
      u8: 255,
      i16: -32768,
      u16: 65535,
      i32: 2 ** 31 - 1,
      u32: 2 ** 32 - 1,
      i64: -Number.MAX_SAFE_INTEGER,
      u64: Number.MAX_SAFE_INTEGER,
      f32: -3.4028234663852886e38,
      f64: Number.MIN_VALUE,
    };
    const ops = [
      EVERY_KIND.fields.map((f, j) => [f.name, sample(f, j)]),
      EVERY_KIND.fields.map((f, j) => [f.name, extremes[f.kind] ?? sample(f, j + 7)]),
      EVERY_KIND.fields.map((f) => [f.name, f.kind === "string" ? "" : f.kind.endsWith("[]") ? [] : f.default]),
    ].map((entries) => opWith(EVERY_KIND, Object.fromEntries(entries)));
    const model = modelOf(ops);
    assert.deepEqual(readModel(writeModel(model)), model);
  });
});

Deno.test("writer: a 64-bit option that is not a safe integer is a RangeError naming the field", () => {
  withTable(EVERY_KIND, () => {
    for (const value of [2 ** 60, 0.5]) {
      const op = opWith(EVERY_KIND, { field_i64: value });
      assert.throws(() => writeModel(modelOf([op])), /operators\[0\]: option field_i64 = .* is not a safe integer/);
    }
  });
});

Deno.test({
  name: "round trip: LiteRT's own generated reader decodes what the writer wrote",
  ignore: !hasPython,
  async fn() {
    const model = everyTable();
    const file = await Deno.makeTempFile({ suffix: ".tflite" });
    try {
      await Deno.writeFile(file, writeModel(model));
      const script = `
import json, re, sys
import numpy as np
from ai_edge_litert import schema_py_generated as s
m = s.ModelT.InitFromPackedBuf(open(sys.argv[1], "rb").read(), 0)
def value(v):
    if isinstance(v, np.ndarray): return v.tolist()
    if isinstance(v, bytes): return v.decode()
    return v
out = [{re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): value(v) for k, v in vars(op.builtinOptions).items()}
       for op in m.subgraphs[0].operators]
print(json.dumps(out))
`;
      const out = await new Deno.Command(python, { args: ["-c", script, file], stdout: "piped", stderr: "piped" })
        .output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const decoded: Record<string, unknown>[] = JSON.parse(new TextDecoder().decode(out.stdout));
      model.subgraphs[0].operators.forEach((op, i) => {
        assert.deepEqual(decoded[i], op.builtinOptions, OPTION_TABLES[i].name);
      });
    } finally {
      await Deno.remove(file);
    }
  },
});

// ---- Malformed option fields.

function u32At(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
}

function setU32(bytes: Uint8Array, at: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, true);
}

/** The only position of `needle` in `bytes`. */
function find(bytes: Uint8Array, needle: number[]): number {
  const hits: number[] = [];
  for (let i = 0; i + needle.length <= bytes.length; i++) {
    if (needle.every((b, k) => bytes[i + k] === b)) hits.push(i);
  }
  assert.equal(hits.length, 1, `marker ${needle} found ${hits.length} times`);
  return hits[0];
}

function le32(v: number): number[] {
  return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
}

function written(typeName: string, values: Record<string, OptionValue>): Uint8Array {
  const table = OPTION_TABLES.find((t) => t.name === typeName)!;
  return writeModel(modelOf([opWith(table, values)]));
}

function assertFormatError(bytes: Uint8Array, pattern: RegExp, what: string): void {
  assert.throws(() => readModel(bytes), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `${what}: ${e}`);
    assert.match(e.message, pattern, what);
    return true;
  });
}

Deno.test("reader: malformed option fields are ModelFormatErrors naming the field", () => {
  const options = "subgraphs\\[0\\]\\.operators\\[0\\]\\.builtin_options";
  // A vector whose length runs past the end of the file: i32[] and f32[].
  let bytes = written("ReshapeOptions", { new_shape: [0x7a7a7a7a] });
  let at = find(bytes, [1, 0, 0, 0, ...le32(0x7a7a7a7a)]);
  setU32(bytes, at, 0x10000000);
  assertFormatError(bytes, new RegExp(`${options}\\.new_shape: reads bytes .* past the end`), "i32[] length");
  bytes = written("BucketizeOptions", { boundaries: [-1.75, 2.5] });
  at = find(bytes, [2, 0, 0, 0, 0, 0, 0xe0, 0xbf]);
  setU32(bytes, at, 3 + bytes.length / 4);
  assertFormatError(bytes, new RegExp(`${options}\\.boundaries: reads bytes .* past the end`), "f32[] length");

  // A string field whose offset points past the end, then one whose length does.
  const text = [...new TextEncoder().encode("container-marker")];
  bytes = written("VarHandleOptions", { container: "container-marker" });
  const string = find(bytes, [text.length, 0, 0, 0, ...text]);
  const field = Array.from({ length: string / 4 }, (_, k) => 4 * k).find((p) => p + u32At(bytes, p) === string)!;
  assert.ok(field !== undefined, "the container field");
  setU32(bytes, field, 0x7ffffff0);
  assertFormatError(bytes, new RegExp(`${options}\\.container: reads bytes .* past the end`), "string offset");
  bytes = written("VarHandleOptions", { container: "container-marker" });
  setU32(bytes, string, 0x7ffffff0);
  assertFormatError(bytes, new RegExp(`${options}\\.container: reads bytes .* past the end`), "string length");

  // A 64-bit integer past 2^53.
  bytes = written("RandomOptions", { seed: 0x12345678, seed2: 0 });
  at = find(bytes, [...le32(0x12345678), 0, 0, 0, 0]);
  bytes[at + 7] = 0x40;
  assertFormatError(
    bytes,
    new RegExp(`${options}\\.seed: i64 value \\d+ is outside JavaScript's safe integer range`),
    "i64",
  );

  // A field whose vtable entry puts it past the end of its table.
  bytes = written("CallOptions", { subgraph: 0x13579bdf });
  at = find(bytes, le32(0x13579bdf));
  const table = at - 4;
  const vtable = table - new DataView(bytes.buffer).getInt32(table, true);
  assert.equal(new DataView(bytes.buffer).getUint16(vtable + 4, true), 4, "CallOptions.subgraph at offset 4");
  new DataView(bytes.buffer).setUint16(vtable + 4, 0x200, true);
  assertFormatError(bytes, new RegExp(`${options}\\.subgraph: field extends past its table`), "field offset");
});

Deno.test("reader: corrupted option tables of every kind fail only with ModelFormatError", () => {
  const good = writeModel(everyTable());
  let s = 20261122;
  const next = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  let failed = 0;
  for (let k = 0; k < 3000; k++) {
    const bytes = good.slice();
    for (let n = 0; n < 1 + (k % 4); n++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
    try {
      readModel(bytes);
    } catch (e) {
      assert.ok(e instanceof ModelFormatError, `case ${k}: ${e}`);
      failed++;
    }
  }
  assert.ok(failed > 100, `only ${failed} corrupted files failed: the corruption tests nothing`);
});
