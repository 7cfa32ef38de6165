/**
 * The converter: a onebit model to a `.tflite` file with LCE's binary ops
 * (LceQuantize, LceBconv2d, LceBMaxPool2d, LceDequantize) and TFLite
 * builtins, plus a report of what became binary and why not.
 * @module
 */
import type { Model } from "../models/model.ts";
import type { Layer } from "../layers/layer.ts";
import { writeModel } from "../tflite/writer.ts";
export { writeFileAtomic, writeFileAtomicSync } from "../_fs.ts";
import { emit, type EmittedOp } from "./emit.ts";
import type { BconvOp } from "./graph.ts";
import { optimize } from "./passes.ts";
import { trace, type TraceOptions } from "./trace.ts";

/** Options of {@link convert}: the batch and input shape of the file's input, and its description. */
export interface ConvertOptions extends TraceOptions {
  /** The model description stored in the file (default "onebit"). */
  description?: string;
}

/** One layer of the model and what it became. */
export interface LayerReport {
  /** The layer's name (Keras-style, e.g. `quant_conv2d_1`). */
  layer: string;
  /** The layer's class, e.g. `QuantConv2D`. */
  className: string;
  /** The TFLite ops computing this layer (an op fused from several layers lists all of them). */
  ops: string[];
  /** The layer whose op this layer was fused into, if not its own. */
  fusedInto: string | null;
  /** Runs as LceBconv2d or LceBMaxPool2d. */
  binary: boolean;
  /** Why a quantized layer stayed float. */
  reason: string | null;
  /** How to make this layer faster (LCE's optimization guide). */
  guidance: string[];
  /** Multiply-accumulates of the layer in the converted model (binary ones for a binary layer). */
  macs: number;
}

/** What {@link convert} made of a model: per layer what it became and why, the op counts and the binary share. */
export interface ConversionReport {
  /** Every layer of the model, in order. */
  layers: LayerReport[];
  /** Op name → count. */
  opCounts: Record<string, number>;
  /** Multiply-accumulates running on binary kernels (LceBconv2d). */
  binaryMacs: number;
  /** Multiply-accumulates running on float kernels. */
  floatMacs: number;
}

function bconvGuidance(op: BconvOp): string[] {
  const [cout, kh, kw, cinG] = op.filterShape, out: string[] = [];
  if (cinG % 32 !== 0) {
    const waste = Math.round(100 * (1 - cinG / (32 * Math.ceil(cinG / 32))));
    out.push(`input channels per group (${cinG}) are not a multiple of 32: ${waste}% of every packed word is padding`);
  }
  if (cout % 8 !== 0) out.push(`output channels (${cout}) are not a multiple of 8, the kernels' tile`);
  if (op.padding === "same" && op.padValues === 0) {
    out.push("same padding with pad_values=0 needs a border correction and a float output; pad_values=1 is free");
  }
  const words = kh * kw * Math.ceil(cinG / 32);
  if (words % 4 !== 0) {
    out.push(
      `the depth kh·kw·ceil(cin/32) is ${words} words; the ARM kernel steps 4 words (128 bits), so ${
        4 - words % 4
      } of the last step's words are idle`,
    );
  }
  return out;
}

function buildReport(
  layers: readonly Layer[],
  ops: EmittedOp[],
  notes: Map<string, { quantized?: boolean; reason?: string }>,
): ConversionReport {
  const opCounts: Record<string, number> = {};
  let binaryMacs = 0, floatMacs = 0;
  for (const o of ops) {
    opCounts[o.op] = (opCounts[o.op] ?? 0) + 1;
    if (o.binary) binaryMacs += o.macs;
    else floatMacs += o.macs;
  }
  const reports = layers.map((l): LayerReport => {
    const mine = ops.filter((o) => o.layers.includes(l.name));
    const own = mine.filter((o) => o.layers[0] === l.name);
    const binary = mine.some((o) => o.binary);
    const guidance = own.flatMap((
      o,
    ) => (o.node.op.kind === "bconv" && o.op === "LceBconv2d" ? bconvGuidance(o.node.op) : []));
    return {
      layer: l.name,
      className: l.constructor.name,
      ops: [...new Set(mine.map((o) => o.op))],
      fusedInto: own.length === 0 && mine.length > 0 ? mine[0].layers[0] : null,
      binary,
      reason: binary || !notes.get(l.name)?.quantized ? null : notes.get(l.name)?.reason ?? null,
      guidance: [...new Set(guidance)],
      macs: own.reduce((s, o) => s + o.macs, 0),
    };
  });
  return { layers: reports, opCounts, binaryMacs, floatMacs };
}

/** The report as a table, then the totals, then the notes. */
export function formatReport(r: ConversionReport): string {
  const rows = r.layers.map((l) => [
    l.layer,
    l.className,
    l.ops.length === 0 ? "(identity)" : l.ops.join(", ") + (l.fusedInto ? ` (fused into ${l.fusedInto})` : ""),
    l.binary ? "yes" : "no",
  ]);
  const head = ["Layer", "Class", "Ops", "Binary"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const total = r.binaryMacs + r.floatMacs;
  const out = [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ""];
  out.push(
    `Binary MACs: ${r.binaryMacs} of ${total} (${total === 0 ? 0 : (100 * r.binaryMacs / total).toFixed(1)}%)`,
    `Ops: ${Object.entries(r.opCounts).map(([k, v]) => `${k}×${v}`).join(", ")}`,
  );
  const notes = r.layers.filter((l) => l.reason || l.guidance.length);
  if (notes.length) out.push("", "Notes:");
  for (const l of notes) {
    if (l.reason) out.push(`  ${l.layer}: not binary: ${l.reason}`);
    for (const g of l.guidance) out.push(`  ${l.layer}: ${g}`);
  }
  return out.join("\n");
}

/**
 * Converts a model to `.tflite` bytes. Float32 input and output, batch 1 by
 * default.
 *
 * @example
 * ```ts
 * import { convert, formatReport } from "./convert.ts";
 * import { Sequential } from "../models/sequential.ts";
 * import { QuantConv2D } from "../layers/conv.ts";
 * import { weightClip } from "../layers/layer.ts";
 * const model = new Sequential([
 *   new QuantConv2D(32, 3, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), padding: "same", padValues: 1 }),
 * ], { seed: 1 });
 * const { bytes, report } = convert(model, { inputShape: [8, 8, 32] });
 * console.log(bytes.length > 0, report.layers[0].ops); // true [ "LceQuantize", "LceBconv2d" ]
 * console.log(formatReport(report).includes("Binary MACs"));  // true
 * ```
 */
export function convert(
  model: Model,
  options: ConvertOptions = {},
): { bytes: Uint8Array; report: ConversionReport } {
  const g = trace(model, options);
  optimize(g);
  const { model: tflite, ops } = emit(g, options.description ?? "onebit");
  return { bytes: writeModel(tflite), report: buildReport(model.layers, ops, g.notes) };
}
