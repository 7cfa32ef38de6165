/**
 * A readable account of a `.tflite` file: every op with its tensors and
 * options, tensor memory, and how much of the model runs binary — the
 * quick answer to "did my layer become a binary op?". The CLI around it is
 * `tflite/inspect.ts` (`deno task inspect model.tflite [--json]`).
 * @module
 */
import type { GraphDescription, GraphEdge, GraphNode } from "../viz/graph_description.ts";
import { readFlexMap } from "./flexbuffer.ts";
import type { Operator, Subgraph, TfliteModel } from "./model.ts";
import { readModel } from "./reader.ts";
import {
  builtinName,
  enumName,
  OPTION_TABLE_BY_ID,
  type SchemaEnum,
  TensorType,
  tensorTypeName,
  tensorTypeSize,
} from "./schema.ts";

/** One operator of the file. */
export interface OpSummary {
  /** Its index in the subgraph's operators (run order). */
  index: number;
  /** The builtin's name (`CONV_2D`) or the custom op's (`LceBconv2d`). */
  op: string;
  /** Its input tensors as `name [shape] type [const]` (`-` for an omitted optional input). */
  inputs: string[];
  /** Its output tensors, as the inputs. */
  outputs: string[];
  /** Its options; enum fields by member name (`padding: "SAME"`, `fused_activation_function: "RELU"`). */
  options: Record<string, unknown>;
  /** Multiply-accumulates (binary ones for LceBconv2d), 0 for ops without a weight. */
  macs: number;
  /** Runs on packed bits: one of LCE's ops (see {@link isBinaryOp}). */
  binary: boolean;
}

/** What {@link summarize} reports about a `.tflite` file. */
export interface ModelSummary {
  /** The file's size. */
  bytes: number;
  /** The model's description string (the converter's name). */
  description: string;
  /** Every operator of the first subgraph, in run order. */
  ops: OpSummary[];
  /** Bytes of constant data. */
  constantBytes: number;
  /** Bytes of all non-constant tensors together: an upper bound of the arena (before lifetimes share it). */
  activationBytes: number;
  /** Multiply-accumulates of the binary ops. */
  binaryMacs: number;
  /** Multiply-accumulates of the float ops. */
  floatMacs: number;
  /** Bytes of the LceBconv2d filters in the file (bitpacked: 1 bit per weight). */
  binaryFilterBytes: number;
  /** What those filters would take as float32 weights: the weight part of the float model's size. */
  binaryFilterFloatBytes: number;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function opName(m: TfliteModel, op: Operator): string {
  const code = m.operatorCodes[op.opcodeIndex];
  return code.customCode ?? builtinName(code.builtinCode);
}

/** The enum fields of LCE's custom options: LCE writes TFLite's own `Padding` and `ActivationFunctionType`. */
const LCE_OPTION_ENUMS: Record<string, SchemaEnum> = {
  padding: "Padding",
  fused_activation_function: "ActivationFunctionType",
};

/** An op's options with enum fields by member name (builtin ones from the schema, LCE's by {@link LCE_OPTION_ENUMS}). */
function namedOptions(name: string, op: Operator, where: string): Record<string, unknown> {
  if (op.customOptions?.length) {
    const raw = readFlexMap(op.customOptions, where);
    if (!name.startsWith("Lce")) return raw;
    return Object.fromEntries(
      Object.entries(raw).map(([k, v]) => {
        const e = LCE_OPTION_ENUMS[k];
        return [k, e !== undefined && typeof v === "number" ? enumName(e, v) : v];
      }),
    );
  }
  const out: Record<string, unknown> = { ...(op.builtinOptions ?? {}) };
  for (const f of OPTION_TABLE_BY_ID.get(op.builtinOptionsType)?.fields ?? []) {
    if (f.enum !== undefined && typeof out[f.name] === "number") out[f.name] = enumName(f.enum, out[f.name] as number);
  }
  return out;
}

/**
 * Whether an op runs on packed bits: LCE's ops (binary convolution and pooling, and the bitpacking at their borders),
 * or a fusion with one of them as a part (`LceBconv2d+ADD+LceQuantize`). The one predicate behind `inspect`'s
 * `binary` flag, the graph picture's colours and the interpreter's display.
 *
 * @example
 * ```ts
 * import { isBinaryOp } from "./summary.ts";
 * console.log(isBinaryOp("LceQuantize"), isBinaryOp("CONV_2D"), isBinaryOp("LceBconv2d+ADD")); // true false true
 * ```
 */
export function isBinaryOp(label: string): boolean {
  return label.split("+").some((part) => part.startsWith("Lce"));
}

function macsOf(name: string, op: Operator, g: Subgraph, options: Record<string, unknown>): number {
  const shape = (i: number) => (op.inputs[i] >= 0 ? g.tensors[op.inputs[i]].shape : []);
  const out = g.tensors[op.outputs[0]].shape;
  switch (name) {
    case "CONV_2D": {
      const [, kh, kw, cinG] = shape(1);
      return prod(out) * kh * kw * cinG;
    }
    case "DEPTHWISE_CONV_2D": {
      const [, kh, kw] = shape(1);
      return prod(out) * kh * kw;
    }
    case "TRANSPOSE_CONV": {
      // Every input pixel scatters a kh×kw×filters patch: inputs (output shape, weights [F, kh, kw, C], input).
      const [f, kh, kw, c] = shape(1);
      return prod(shape(2).slice(0, -1)) * f * kh * kw * c;
    }
    case "FULLY_CONNECTED":
      return (prod(out) * shape(1)[1]) || 0;
    case "LceBconv2d": {
      const [cout, kh, kw] = shape(1);
      return prod(out.slice(0, -1)) * cout * kh * kw * bconvChannelsPerGroup(op, g, options);
    }
    default:
      return 0;
  }
}

/** Input channels per group of a LceBconv2d: its filter's packed words per group, in channels. */
function bconvChannelsPerGroup(op: Operator, g: Subgraph, options: Record<string, unknown>): number {
  const wordsG = g.tensors[op.inputs[1]].shape[3];
  const wordsIn = g.tensors[op.inputs[0]].shape.at(-1) ?? wordsG;
  return Number(options.channels_in) * wordsG / wordsIn;
}

/** Bytes a LceBconv2d's filter takes in the file, and as float32 weights (one per channel and tap). */
function bconvFilterBytes(m: TfliteModel, op: Operator, options: Record<string, unknown>): [number, number] {
  const g = m.subgraphs[0], filter = g.tensors[op.inputs[1]];
  const [cout, kh, kw] = filter.shape;
  return [m.buffers[filter.buffer]?.length ?? 0, cout * kh * kw * bconvChannelsPerGroup(op, g, options) * 4];
}

/**
 * Summarises a model's ops, memory and binary share.
 * @example
 * ```ts
 * import { summarize } from "./summary.ts";
 * import { convert } from "../convert/convert.ts";
 * import { Sequential } from "../models/sequential.ts";
 * import { QuantConv2D } from "../layers/conv.ts";
 * const model = new Sequential([new QuantConv2D(32, 3, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", padding: "same", padValues: 1 })], { seed: 1 });
 * const s = summarize(convert(model, { inputShape: [8, 8, 32] }).bytes);
 * console.log(s.ops[1].op, s.ops[1].options.padding); // LceBconv2d SAME
 * ```
 */
export function summarize(bytes: Uint8Array): ModelSummary {
  const m = readModel(bytes);
  const g = m.subgraphs[0];
  const label = (i: number) => {
    if (i < 0) return "-";
    const t = g.tensors[i];
    return `${t.name} [${t.shape}] ${tensorTypeName(t.type).toLowerCase()}${
      m.buffers[t.buffer]?.length ? " const" : ""
    }`;
  };
  let binaryMacs = 0, floatMacs = 0, binaryFilterBytes = 0, binaryFilterFloatBytes = 0;
  const ops = g.operators.map((op, index): OpSummary => {
    const name = opName(m, op);
    const options = namedOptions(name, op, `operator ${index}`);
    const macs = macsOf(name, op, g, options);
    if (name === "LceBconv2d") {
      const [stored, asFloat] = bconvFilterBytes(m, op, options);
      binaryFilterBytes += stored;
      binaryFilterFloatBytes += asFloat;
    }
    const binary = isBinaryOp(name);
    if (binary) binaryMacs += macs;
    else floatMacs += macs;
    return { index, op: name, inputs: op.inputs.map(label), outputs: op.outputs.map(label), options, macs, binary };
  });
  let constantBytes = 0, activationBytes = 0;
  for (const t of g.tensors) {
    const size = prod(t.shape) * (tensorTypeSize(t.type) ?? 0);
    if (m.buffers[t.buffer]?.length) constantBytes += m.buffers[t.buffer].length;
    else activationBytes += size;
  }
  return {
    bytes: bytes.length,
    description: m.description,
    ops,
    constantBytes,
    activationBytes,
    binaryMacs,
    floatMacs,
    binaryFilterBytes,
    binaryFilterFloatBytes,
  };
}

/** The summary as text: an op table, then memory and the binary share. */
export function formatSummary(s: ModelSummary): string {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  const size = (b: number) => b < 2 ** 20 ? `${(b / 1024).toFixed(1)} KiB` : mib(b);
  const fmt = (o: Record<string, unknown>) =>
    Object.entries(o).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v}]` : v}`).join(
      " ",
    );
  const lines = [`${s.bytes} bytes, "${s.description}", ${s.ops.length} ops`, ""];
  const width = Math.max(2, ...s.ops.map((o) => o.op.length));
  for (const o of s.ops) {
    lines.push(
      `${String(o.index).padStart(4)}  ${o.op.padEnd(width)}  ${o.binary ? "binary" : "      "}  ${fmt(o.options)}`,
    );
    for (const i of o.inputs) lines.push(`${" ".repeat(width + 16)}in   ${i}`);
    for (const i of o.outputs) lines.push(`${" ".repeat(width + 16)}out  ${i}`);
  }
  const counts = new Map<string, number>();
  for (const o of s.ops) counts.set(o.op, (counts.get(o.op) ?? 0) + 1);
  const total = s.binaryMacs + s.floatMacs;
  lines.push(
    "",
    `Ops: ${[...counts].map(([k, v]) => `${k}×${v}`).join(", ")}`,
    `Constants ${mib(s.constantBytes)}; non-constant tensors ${mib(s.activationBytes)} (before arena sharing)`,
    `Binary: ${s.ops.filter((o) => o.binary).length} of ${s.ops.length} ops, ${s.binaryMacs} of ${total} MACs (${
      total === 0 ? "0.0" : (100 * s.binaryMacs / total).toFixed(1)
    }%)`,
    ...(s.binaryFilterBytes === 0 ? [] : [
      `Binary filters: ${size(s.binaryFilterBytes)} in this file; as float32 weights ${
        size(s.binaryFilterFloatBytes)
      }, so the float model takes about ${size(s.bytes - s.binaryFilterBytes + s.binaryFilterFloatBytes)} (this file ${
        size(s.bytes)
      })`,
    ]),
  );
  return lines.join("\n");
}

const shapeText = (shape: readonly number[]) => shape.length === 0 ? "scalar" : shape.join("x");

/** The second line of an op's box: its weight's shape (first constant input) and a fused activation other than NONE. */
function opDetail(m: TfliteModel, op: Operator, options: Record<string, unknown>): string | undefined {
  const g = m.subgraphs[0];
  const weight = op.inputs.find((t) => t >= 0 && m.buffers[g.tensors[t].buffer]?.length);
  const act = options.fused_activation_function;
  const parts = [
    ...(weight === undefined ? [] : [shapeText(g.tensors[weight].shape)]),
    ...(typeof act === "string" && act !== "NONE" ? [act] : []),
  ];
  return parts.length ? parts.join(", ") : undefined;
}

/**
 * The first subgraph as a {@link GraphDescription} for `viz/graph.ts`: one node per operator (binary for LCE's
 * ops), one per model input and output, and one edge per non-constant tensor and reader, labelled with its shape
 * (and type when not float32); int32 tensors an LCE op writes or reads are marked packed.
 * @example
 * ```ts
 * import { modelGraph } from "./summary.ts";
 * import { readModel } from "./reader.ts";
 * import { convert } from "../convert/convert.ts";
 * import { Sequential } from "../models/sequential.ts";
 * import { QuantConv2D } from "../layers/conv.ts";
 * const model = new Sequential([new QuantConv2D(32, 3, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign" })], { seed: 1 });
 * const g = modelGraph(readModel(convert(model, { inputShape: [8, 8, 32] }).bytes));
 * console.log(g.nodes.map((n) => n.kind).join(" "), g.edges.filter((e) => e.packed).length); // input binary binary output 1
 * ```
 */
export function modelGraph(m: TfliteModel): GraphDescription {
  const g = m.subgraphs[0];
  const nodes: GraphNode[] = g.inputs.map((t) => ({ id: `in${t}`, label: g.tensors[t].name, kind: "input" }));
  const producer = new Map<number, { id: string; binary: boolean }>(
    g.inputs.map((t) => [t, { id: `in${t}`, binary: false }]),
  );
  const edges: GraphEdge[] = [];
  const edge = (t: number, to: string, binary: boolean) => {
    const from = producer.get(t);
    if (from === undefined) return; // a constant
    const tensor = g.tensors[t];
    const int32 = tensor.type === TensorType.INT32;
    const type = tensor.type === TensorType.FLOAT32 ? "" : ` ${tensorTypeName(tensor.type).toLowerCase()}`;
    edges.push({ from: from.id, to, label: shapeText(tensor.shape) + type, packed: int32 && (binary || from.binary) });
  };
  g.operators.forEach((op, i) => {
    const name = opName(m, op);
    const binary = isBinaryOp(name);
    nodes.push({
      id: `op${i}`,
      label: name,
      kind: binary ? "binary" : "float",
      detail: opDetail(m, op, namedOptions(name, op, `operator ${i}`)),
    });
    for (const t of new Set(op.inputs)) if (t >= 0) edge(t, `op${i}`, binary);
    for (const t of op.outputs) producer.set(t, { id: `op${i}`, binary });
  });
  for (const t of g.outputs) {
    nodes.push({ id: `out${t}`, label: g.tensors[t].name, kind: "output" });
    edge(t, `out${t}`, false);
  }
  return { nodes, edges, title: m.description || undefined };
}
