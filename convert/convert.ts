/**
 * The converter: a onebit model to a `.tflite` file with LCE's binary ops
 * (LceQuantize, LceBconv2d, LceBMaxPool2d, LceDequantize) and TFLite
 * builtins, plus a report of what became binary and why not.
 * @module
 */
import type { Model } from "../models/model.ts";
import type { Layer } from "../layers/layer.ts";
import { writeModel } from "../tflite/writer.ts";
import { JUPYTER_DISPLAY, type MediaBundle } from "../viz/html.ts";
export { writeFileAtomic, writeFileAtomicSync } from "../_fs.ts";
import { emit, type EmittedOp } from "./emit.ts";
import { ConversionError } from "./errors.ts";
import type { BconvOp, Graph, Node } from "./graph.ts";
import { optimize } from "./passes.ts";
import { reportBundle, sizeLine, timingCells, timingLine } from "./report_html.ts";
import { trace, type TraceOptions } from "./trace.ts";

/** Options of {@link convert}: the batch and input shape of the file's input, and its description. */
export interface ConvertOptions extends TraceOptions {
  /** The model description stored in the file (default "onebit"). */
  description?: string;
  /**
   * Convert every layer as float (no LceBconv2d, no LceBMaxPool2d; binarized activations stay exact ±1 floats
   * through LceQuantize → LceDequantize): the float twin a binary model is compared with. Default false.
   */
  float?: boolean;
  /**
   * Also convert the float twin to report its file size ({@link ConversionReport.floatBytes}). Default false: it
   * doubles the conversion's time (`deno task convert` and `measureLayers` compare; `deno task inspect` estimates
   * the float size from the file alone).
   */
  compareFloat?: boolean;
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

/** One layer's latency on this machine's runtime, binary as converted and as a float layer (milliseconds). */
export interface LayerTiming {
  /** The median time per invoke of the ops this layer owns in the converted file (0 when fused into another). */
  binaryMs: number;
  /** The same in the float twin (every layer float). */
  floatMs: number;
}

/** How {@link LayerTiming}s were measured: backend, threads, invokes. */
export interface TimingSetup {
  /** The interpreter's backend: `native`, `wasm` or `reference`. */
  backend: string;
  /** Threads for the binary kernels. */
  threads: number;
  /** Timed invokes per model (after warm-up); each layer's time is the median over them. */
  invokes: number;
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
  /** The layer each operator of the file computes (the first of a fused op's layers), in the file's order. */
  opOwners: string[];
  /** The converted file's size in bytes. */
  bytes: number;
  /**
   * The size of the same model converted with every layer float (`float: true`), or null when not compared
   * (`compareFloat` not set) or when a layer converts only as binary.
   */
  floatBytes: number | null;
  /** Per-layer latency, binary vs float, by layer name: filled by `measureLayers` (convert/measure.ts), else null. */
  timings: Record<string, LayerTiming> | null;
  /** How the timings were measured, or null. */
  timingSetup: TimingSetup | null;
  /** The Jupyter display: an HTML table, binary layers marked, the reason beside every float layer. */
  [JUPYTER_DISPLAY](): MediaBundle;
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

/**
 * LCE's optimization guide: BatchNormalization then ReLU after a binary convolution keeps the ReLU out of it (its
 * fused activation clamps the raw sum, before the BatchNorm's scale and shift), where ReLU then BatchNormalization
 * fuses both. Fires on a LceBconv2d that absorbed a BatchNormalization and whose output a ReLU still reads.
 */
function orderGuidance(g: Graph, node: Node, classOf: (layer: string) => string | undefined): string[] {
  if (node.op.kind !== "bconv" || !node.layers.some((l) => classOf(l) === "BatchNormalization")) return [];
  const relu = g.consumers(node.output).find((r) => r.op.kind === "activation" && r.op.fn === "relu");
  if (relu === undefined) return [];
  return [
    `BatchNormalization then ReLU (${relu.layers[0]}) after this binary convolution blocks the fusion: ReLU ` +
    "then BatchNormalization fuses both into it, while this order runs a separate float RELU and the " +
    "convolution writes float output, so a following binary layer quantizes it again instead of reading " +
    `bitpacked bits; ${BN_RELU_COST}`,
  ];
}

/**
 * What the order costs, as `deno task bench:order` (bench/bn_relu_order.ts) measured it: both orders converted and
 * timed with the runtime, alternately; its output names the machine. Rerun it to check this line.
 */
export const BN_RELU_COST: string = "it cost 11-21% more time per block of two 3x3 binary convolutions (16x16x64, " +
  "28x28x128, 56x56x64; onebit's runtime, native, 1 thread, AMD EPYC: bench/bn_relu_order.ts)";

function buildReport(
  layers: readonly Layer[],
  ops: EmittedOp[],
  g: Graph,
): ConversionReport {
  const notes = g.notes;
  const classes = new Map(layers.map((l) => [l.name, l.constructor.name]));
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
    const guidance = own.flatMap((o) =>
      o.node.op.kind === "bconv" && o.op === "LceBconv2d"
        ? [...bconvGuidance(o.node.op), ...orderGuidance(g, o.node, (name) => classes.get(name))]
        : []
    );
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
  return withDisplay({
    layers: reports,
    opCounts,
    binaryMacs,
    floatMacs,
    opOwners: ops.map((o) => o.layers[0]),
    bytes: 0,
    floatBytes: null,
    timings: null,
    timingSetup: null,
  });
}

/** Adds the Jupyter display to a report, not enumerable (JSON and comparisons see the data only). */
export function withDisplay(r: Omit<ConversionReport, typeof JUPYTER_DISPLAY>): ConversionReport {
  Object.defineProperty(r, JUPYTER_DISPLAY, { value: () => reportBundle(r as ConversionReport), enumerable: false });
  return r as ConversionReport;
}

/** The report as a table (with latency columns when measured), then the sizes and totals, then the notes. */
export function formatReport(r: ConversionReport): string {
  const timed = r.timings !== null;
  const rows = r.layers.map((l) => [
    l.layer,
    l.className,
    l.ops.length === 0 ? "(identity)" : l.ops.join(", ") + (l.fusedInto ? ` (fused into ${l.fusedInto})` : ""),
    l.binary ? "yes" : "no",
    ...(timed ? timingCells(r, l) : []),
  ]);
  const head = ["Layer", "Class", "Ops", "Binary", ...(timed ? ["Binary ms", "Float ms", "Speed-up"] : [])];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const total = r.binaryMacs + r.floatMacs;
  const out = [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ""];
  out.push(
    `Binary MACs: ${r.binaryMacs} of ${total} (${total === 0 ? 0 : (100 * r.binaryMacs / total).toFixed(1)}%)`,
    `Ops: ${Object.entries(r.opCounts).map(([k, v]) => `${k}×${v}`).join(", ")}`,
    sizeLine(r),
    ...(timed ? [timingLine(r)] : []),
  );
  const notes = r.layers.filter((l) => l.reason || l.guidance.length);
  if (notes.length) out.push("", "Notes:");
  for (const l of notes) {
    if (l.reason) out.push(`  ${l.layer}: not binary: ${l.reason}`);
    for (const g of l.guidance) out.push(`  ${l.layer}: ${g}`);
  }
  return out.join("\n");
}

/** The float twin's size, or null when a layer converts only as binary (the binary file is what was asked for). */
function floatTwinBytes(model: Model, options: ConvertOptions): number | null {
  try {
    return convert(model, { ...options, float: true }).bytes.length;
  } catch (e) {
    if (e instanceof ConversionError) return null;
    throw e;
  }
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
  const float = options.float ?? false;
  if (typeof float !== "boolean") throw new TypeError(`convert: float must be a boolean, got ${String(float)}`);
  const g = trace(model, options);
  optimize(g, { binary: !float });
  const { model: tflite, ops } = emit(g, options.description ?? "onebit");
  const bytes = writeModel(tflite);
  const report = buildReport(model.layers, ops, g);
  report.bytes = bytes.length;
  if (float) report.floatBytes = bytes.length;
  else if (options.compareFloat ?? false) report.floatBytes = floatTwinBytes(model, options);
  return { bytes, report };
}
