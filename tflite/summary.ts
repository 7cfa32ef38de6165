/**
 * A readable account of a `.tflite` file: every op with its tensors and
 * options, tensor memory, and how much of the model runs binary — the
 * quick answer to "did my layer become a binary op?". The CLI around it is
 * `tflite/inspect.ts` (`deno task inspect model.tflite [--json]`).
 * @module
 */
import { readFlexMap } from "./flexbuffer.ts";
import type { Operator, Subgraph, TfliteModel } from "./model.ts";
import { readModel } from "./reader.ts";
import { builtinName, tensorTypeName, tensorTypeSize } from "./schema.ts";

/** One operator of the file. */
export interface OpSummary {
  /** Position in the subgraph's execution order. */
  index: number;
  /** Operator name: a builtin such as `CONV_2D` or a custom one such as `LceBconv2d`. */
  op: string;
  /** Each input as `name [shape] type` (plus ` const` for constant data); `-` for an absent optional input. */
  inputs: string[];
  /** Each output as `name [shape] type`. */
  outputs: string[];
  /** The decoded builtin options, or the custom options' FlexBuffer map (LCE's ops). */
  options: Record<string, unknown>;
  /** Multiply-accumulates (binary ones for LceBconv2d), 0 for ops without a weight. */
  macs: number;
  /** Whether it runs on binary kernels (`LceBconv2d`, `LceBMaxPool2d`). */
  binary: boolean;
}

/** What {@link summarize} finds in a `.tflite` file: its ops, memory and how much of it runs binary. */
export interface ModelSummary {
  /** Size of the file in bytes. */
  bytes: number;
  /** The file's description field. */
  description: string;
  /** Every operator of the first subgraph, in execution order. */
  ops: OpSummary[];
  /** Bytes of constant data (the buffers the tensors point to). */
  constantBytes: number;
  /** Bytes of all non-constant tensors together: an upper bound of the interpreter's arena. */
  activationBytes: number;
  /** Multiply-accumulates of the binary ops (1-bit MACs). */
  binaryMacs: number;
  /** Multiply-accumulates of the float ops with weights (convolutions, fully connected). */
  floatMacs: number;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function opName(m: TfliteModel, op: Operator): string {
  const code = m.operatorCodes[op.opcodeIndex];
  return code.customCode ?? builtinName(code.builtinCode);
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
      const [cout, kh, kw, wordsG] = shape(1);
      const wordsIn = shape(0).at(-1) ?? wordsG;
      const cinG = Number(options.channels_in) * wordsG / wordsIn;
      return prod(out.slice(0, -1)) * cout * kh * kw * cinG;
    }
    default:
      return 0;
  }
}

/**
 * Summarises a model's ops, memory and binary share (what `deno task inspect` prints). Throws a
 * `ModelFormatError` for bytes that are not a TFLite flatbuffer.
 *
 * @example
 * ```ts
 * import { formatSummary, summarize } from "./summary.ts";
 * const s = summarize(await Deno.readFile("tests/fixtures/lce/quicknet_block.tflite")); // made by LCE's converter
 * console.log(s.ops.filter((o) => o.binary).length > 0, s.binaryMacs > s.floatMacs); // true true
 * console.log(formatSummary(s).split("\n")[0]); // size, description, op count
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
  let binaryMacs = 0, floatMacs = 0;
  const ops = g.operators.map((op, index): OpSummary => {
    const name = opName(m, op);
    const options: Record<string, unknown> = op.customOptions?.length
      ? readFlexMap(op.customOptions, `operator ${index}`)
      : { ...(op.builtinOptions ?? {}) };
    const macs = macsOf(name, op, g, options);
    const binary = name === "LceBconv2d" || name === "LceBMaxPool2d";
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
  };
}

/** The summary as text: an op table, then memory and the binary share. */
export function formatSummary(s: ModelSummary): string {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
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
  );
  return lines.join("\n");
}
