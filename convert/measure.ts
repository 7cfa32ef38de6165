/**
 * `measureLayers`: what each layer costs on this machine, binary as
 * converted and as a float layer. Both files (the conversion and its float
 * twin, `float: true`) run on onebit's runtime with per-op profiling; each
 * op's time goes to the layer it computes, and each layer's time is the
 * median over the timed invokes. A layer where binary does not pay shows a
 * speed-up at or below 1. Opt-in: it costs two conversions and the runs.
 * @module
 */
import type { Backend } from "../kernels/backend.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import type { Model } from "../models/model.ts";
import { type ConversionReport, convert, type ConvertOptions, type LayerTiming } from "./convert.ts";

/** Options of {@link measureLayers}: the conversion's, plus where and how long to run. */
export interface MeasureOptions extends ConvertOptions {
  /** The runtime's backend (default `auto`: native if built, else wasm, else reference). */
  backend?: Backend;
  /** Threads for the binary kernels (default 1). */
  numThreads?: number;
  /** Timed invokes per file (default 20); each layer's time is their median. */
  invokes?: number;
  /** Untimed invokes first (default 3). */
  warmup?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function positiveInt(name: string, v: number | undefined, fallback: number, min: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(`measureLayers: ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return n;
}

/** Per layer, the median time per invoke (ms) of the ops it owns in one converted file. */
function layerTimes(
  bytes: Uint8Array,
  owners: readonly string[],
  o: { backend: Backend; numThreads: number; invokes: number; warmup: number },
): { times: Map<string, number>; backend: string } {
  const it = Interpreter.fromBytes(bytes, { backend: o.backend, numThreads: o.numThreads, profile: true });
  // Inputs in [-1, 1): any values do, the kernels take the same time whatever the signs.
  const inputs = it.inputs.map((s) =>
    new Float32Array(s.shape.reduce((a, b) => a * b, 1)).map(() => Math.random() * 2 - 1)
  );
  for (let i = 0; i < o.warmup; i++) it.invoke(inputs);
  const samples = new Map<string, number[]>();
  for (let i = 0; i < o.invokes; i++) {
    it.resetProfile();
    it.invoke(inputs);
    const perLayer = new Map<string, number>();
    for (const p of it.profile()) perLayer.set(owners[p.index], (perLayer.get(owners[p.index]) ?? 0) + p.total_ms);
    for (const [layer, ms] of perLayer) samples.set(layer, [...(samples.get(layer) ?? []), ms]);
  }
  return { times: new Map([...samples].map(([l, xs]) => [l, median(xs)])), backend: it.backend };
}

/**
 * Converts `model` (and its float twin), runs both with the runtime on this machine, and returns the
 * conversion's report with {@link ConversionReport.timings}: per layer, its latency binary vs as a float layer.
 * @example
 * ```ts
 * import { measureLayers } from "./measure.ts";
 * import { formatReport } from "./convert.ts";
 * import { Sequential } from "../models/sequential.ts";
 * import { QuantConv2D } from "../layers/conv.ts";
 * const model = new Sequential([new QuantConv2D(64, 3, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", padding: "same", padValues: 1 })], { seed: 1 });
 * const report = measureLayers(model, { inputShape: [16, 16, 64], backend: "reference", invokes: 3, warmup: 1 });
 * console.log(report.timings!["quant_conv2d"].floatMs > 0, formatReport(report).includes("Speed-up")); // true true
 * ```
 */
export function measureLayers(model: Model, options: MeasureOptions = {}): ConversionReport {
  const run = {
    backend: options.backend ?? "auto",
    numThreads: positiveInt("numThreads", options.numThreads, 1, 1),
    invokes: positiveInt("invokes", options.invokes, 20, 1),
    warmup: positiveInt("warmup", options.warmup, 3, 0),
  };
  const binary = convert(model, { ...options, float: false, compareFloat: false });
  const float = convert(model, { ...options, float: true });
  const b = layerTimes(binary.bytes, binary.report.opOwners, run);
  const f = layerTimes(float.bytes, float.report.opOwners, run);
  const report = binary.report;
  report.floatBytes = float.bytes.length;
  report.timings = Object.fromEntries(report.layers.map((l): [string, LayerTiming] => [l.layer, {
    binaryMs: b.times.get(l.layer) ?? 0,
    floatMs: f.times.get(l.layer) ?? 0,
  }]));
  report.timingSetup = { backend: b.backend, threads: run.numThreads, invokes: run.invokes };
  return report;
}
