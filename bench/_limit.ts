/**
 * The hardware limit of a model on this machine, measured in the same run
 * as its latency (issue #18 part 2): its binary MACs at the register-only
 * peak of the fastest binary micro-kernel this CPU runs (`onebit_peak_loop`),
 * plus its float MACs at the register-only multiply-add peak of the float
 * micro-kernel it runs (`onebit_fma_peak_loop`: its accumulators as
 * independent FMA chains, no loads), or its memory traffic at the measured
 * copy bandwidth where that takes longer. The fastest float kernel's GEMM on
 * an L2-resident tile is measured beside it and printed (what loads cost).
 * Shared by bench/bench.ts and bench/compare.ts.
 * @module
 */
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";
import type { KernelSet, UkernelDescription } from "../kernels/_ukernels.ts";
import type { ModelSummary, OpSummary } from "../tflite/summary.ts";
import { median } from "./_stats.ts";

/** What this machine reached in this run on `threads` threads. */
export interface Peaks {
  threads: number;
  /** The binary micro-kernel the interpreter runs (the fastest supported, listed last). */
  binary_ukernel: string;
  /** Its register-only XOR + popcount + accumulate loop, G binary MACs per second (all threads together). */
  binary_gmacs: number;
  /** The float micro-kernel the interpreter runs. */
  float_ukernel: string;
  /** Its register-only multiply-add loop, G float MACs (FMAs) per second (all threads together): the limit's. */
  float_gmacs: number;
  /** Its GEMM on an L2-resident tile, G float MACs per second (all threads together): printed beside the peak. */
  float_gemm_gmacs: number;
  /** A large buffer copy (bytes read + bytes written per second, 1 thread), GB/s. */
  copy_gbs: number;
  /** The last-level cache's bytes (Linux sysfs; 0 when unknown): work whose bytes fit stays off DRAM. */
  cache_bytes: number;
}

/** Work of a model or an op, the input of {@link limitOf}. */
export interface Work {
  binaryMacs: number;
  floatMacs: number;
  /** Bytes the work must move through memory at least (0: not counted). */
  bytes?: number;
}

/** A limit in milliseconds: its parts and which bounds it. */
export interface Limit {
  /** Binary MACs at the binary peak. */
  binary_ms: number;
  /** Float MACs at the float peak. */
  float_ms: number;
  /** The bytes at the copy bandwidth (counted in `ms` only when they exceed the last-level cache). */
  memory_ms: number;
  /** binary_ms + float_ms, or memory_ms where that is longer and the bytes do not fit in the last-level cache. */
  ms: number;
  /** "compute" when the MACs take longer than the bytes, else "memory". */
  bound: "compute" | "memory";
}

/**
 * The time `work` takes at least at `peaks`: binary MACs at the binary peak plus float MACs at the float peak, or
 * its bytes at the copy bandwidth where that is longer and they exceed the last-level cache (smaller work stays in
 * cache between invokes, so DRAM bandwidth does not bound it).
 *
 * @example
 * ```ts
 * import { limitOf } from "./_limit.ts";
 * const peaks = { threads: 1, binary_ukernel: "b", binary_gmacs: 1000, float_ukernel: "f", float_gmacs: 100, float_gemm_gmacs: 80, copy_gbs: 20, cache_bytes: 0 };
 * console.log(limitOf({ binaryMacs: 2e9, floatMacs: 1e8 }, peaks).ms); // 3 (2 ms binary + 1 ms float)
 * ```
 */
export function limitOf(work: Work, peaks: Peaks): Limit {
  for (const k of ["binary_gmacs", "float_gmacs", "copy_gbs"] as const) {
    if (!(peaks[k] > 0)) throw new RangeError(`limitOf: peaks.${k} is ${peaks[k]}; a measured peak is > 0`);
  }
  for (const k of ["binaryMacs", "floatMacs", "bytes"] as const) {
    const v = work[k] ?? 0;
    if (!(v >= 0)) throw new RangeError(`limitOf: work.${k} is ${v}; counts are >= 0`);
  }
  const binary_ms = work.binaryMacs / peaks.binary_gmacs / 1e6;
  const float_ms = work.floatMacs / peaks.float_gmacs / 1e6;
  const memory_ms = (work.bytes ?? 0) / peaks.copy_gbs / 1e6;
  const compute = binary_ms + float_ms;
  const memoryBound = (work.bytes ?? 0) > peaks.cache_bytes && memory_ms > compute;
  return {
    binary_ms,
    float_ms,
    memory_ms,
    ms: memoryBound ? memory_ms : compute,
    bound: memoryBound ? "memory" : "compute",
  };
}

/**
 * A whole model's work: its MACs, and as bytes every constant read once plus every activation written once: the
 * traffic if nothing stayed in cache between invokes (an upper bound of what must reach DRAM, compared with DRAM
 * copy bandwidth; the data of small models stays in L2/L3 and goes faster).
 */
export function modelWork(s: ModelSummary): Work {
  return { binaryMacs: s.binaryMacs, floatMacs: s.floatMacs, bytes: s.constantBytes + s.activationBytes };
}

/**
 * The MACs of a profiled op: `op` is one operator's name or a fusion (`LceBconv2d+ADD`) whose parts are the
 * operators from `index` on, in order. Parts that do not match the file count nothing.
 */
export function opWork(ops: readonly OpSummary[], index: number, op: string): Work {
  let binaryMacs = 0, floatMacs = 0;
  for (const [k, part] of op.split("+").entries()) {
    const o = ops[index + k];
    if (o?.op !== part) break;
    if (o.binary) binaryMacs += o.macs;
    else floatMacs += o.macs;
  }
  return { binaryMacs, floatMacs };
}

/**
 * bench:compare's row fields of one model's limit at each of `peaks` (one per thread count t): `limit_t{t}_ms`,
 * `binary_peak_t{t}_gmacs`, `float_peak_t{t}_gmacs`, `float_gemm_t{t}_gmacs` (the GEMM beside the peak), and once
 * `copy_gbs`, `binary_ukernel`, `float_ukernel`.
 */
export function limitFields(work: Work, peaks: readonly Peaks[]): Record<string, number | string> {
  if (peaks.length === 0) throw new RangeError("limitFields: no peaks; measure at least one thread count");
  const row: Record<string, number | string> = {
    copy_gbs: peaks[0].copy_gbs,
    binary_ukernel: peaks[0].binary_ukernel,
    float_ukernel: peaks[0].float_ukernel,
  };
  for (const p of peaks) {
    row[`binary_peak_t${p.threads}_gmacs`] = p.binary_gmacs;
    row[`float_peak_t${p.threads}_gmacs`] = p.float_gmacs;
    row[`float_gemm_t${p.threads}_gmacs`] = p.float_gemm_gmacs;
    row[`limit_t${p.threads}_ms`] = limitOf(work, p).ms;
  }
  return row;
}

/** 100 × a row's `limit_t{threads}_ms` / `ms`: the % of its limit a median of `ms` reaches. */
export function pctOfLimit(row: Record<string, number | string>, threads: number, ms: number): number {
  const limit = row[`limit_t${threads}_ms`];
  if (typeof limit !== "number") throw new RangeError(`pctOfLimit: the row has no limit_t${threads}_ms`);
  if (!(ms > 0)) throw new RangeError(`pctOfLimit: ms is ${ms}; a measured time is > 0`);
  return 100 * limit / ms;
}

/** Median milliseconds of `repeats` calls of `fn` after one untimed call. */
function timeMs(fn: () => void, repeats: number): number {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** The micro-kernel a kernel set runs by default (the library says which: `chosen`). */
export function chosenUkernel(list: readonly UkernelDescription[]): UkernelDescription {
  const u = list.find((k) => k.chosen);
  if (!u) throw new RangeError("chosenUkernel: no micro-kernel of the list is supported on this CPU");
  return u;
}

/**
 * G MACs/s of micro-kernel `u`'s register-only loop (binary or float, as `k`) on `threads` threads at once: `macs`
 * per thread a call (~0.4 ms at the AMD Zen 4's peaks: short enough that a time slice of the shared VM seldom cuts
 * one, and the median of 5 drops those it does).
 */
function registerPeak(k: KernelSet, u: UkernelDescription, threads: number, macs: number): number {
  const iterations = Math.ceil(macs / u.peakMacsPerIteration);
  const total = threads * iterations * u.peakMacsPerIteration;
  return total / timeMs(() => k.peakLoop(u.index, iterations, threads), 5) / 1e6;
}

/**
 * G float MACs/s of the chosen float micro-kernel's GEMM (beside its register-only peak): a GEMM of `threads` × 96 rows by 32 channels at depth 512 (each
 * thread's lhs 192 KiB, the weights 64 KiB: L2-resident; 1.5 M MACs a call, so the call's overhead is ~1%), 50 calls
 * per timing. On AMD Zen 4 this reaches ~55 G/s on one core: near its two 256-bit FMA pipes' 16 FMAs a cycle.
 */
function floatGemmRate(k: FloatKernels, threads: number, scale: number): number {
  const rows = 96 * threads, depth = 512, n = 32, batch = Math.max(10, Math.round(50 * scale));
  const w = k.packRhs(Float32Array.from({ length: n * depth }, (_, i) => ((i * 7) % 13) / 13 - 0.5), n);
  const op = k.with({ threads }).bindSgemm(w, { rows });
  const lhs = Float32Array.from({ length: rows * depth }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
  const out = new Float32Array(rows * n);
  const ms = timeMs(() => {
    for (let i = 0; i < batch; i++) op.run(lhs, out);
  }, 7);
  return (batch * rows * depth * n) / ms / 1e6;
}

/** The largest cache's size in bytes from Linux sysfs (`32768K`), 0 when unknown. */
export function lastLevelCacheBytes(): number {
  let best = 0;
  for (let i = 0; i < 8; i++) {
    try {
      const text = Deno.readTextFileSync(`/sys/devices/system/cpu/cpu0/cache/index${i}/size`).trim();
      const m = text.match(/^(\d+)([KMG]?)$/);
      if (m) best = Math.max(best, Number(m[1]) * ({ "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[m[2]] ?? 1));
    } catch {
      break;
    }
  }
  return best;
}

/** GB/s of copying a 64 MiB buffer into another (read + write counted), 1 thread. */
function copyBandwidth(scale: number): number {
  const n = Math.round((16 << 20) * Math.min(1, scale));
  const src = new Float32Array(n).fill(1), dst = new Float32Array(n);
  return (2 * 4 * n) / timeMs(() => dst.set(src), 5) / 1e6;
}

/**
 * Measures the peaks on each of `threads` (native library; throws NativeLibraryError without it). `quick` shortens
 * every loop 4× (for tests).
 */
export function measurePeaks(threads: readonly number[] = [1, 2], options: { quick?: boolean } = {}): Peaks[] {
  const scale = options.quick ? 0.25 : 1;
  const binary = BinaryKernels.native(), float = FloatKernels.native();
  const b = chosenUkernel(binary.ukernels()), f = chosenUkernel(float.ukernels());
  const copy_gbs = copyBandwidth(scale), cache_bytes = lastLevelCacheBytes();
  return threads.map((t) => ({
    threads: t,
    binary_ukernel: b.name,
    binary_gmacs: registerPeak(binary, b, t, 4e8 * scale),
    float_ukernel: f.name,
    float_gmacs: registerPeak(float, f, t, 2e7 * scale),
    float_gemm_gmacs: floatGemmRate(float, t, scale),
    copy_gbs,
    cache_bytes,
  }));
}

/** One line describing `p`, e.g. for a benchmark's header. */
export function formatPeaks(p: Peaks): string {
  return `${p.threads} thread(s): ${p.binary_ukernel} ${p.binary_gmacs.toFixed(0)} G bMAC/s, ${p.float_ukernel} ${
    p.float_gmacs.toFixed(1)
  } G FMA/s (its GEMM in L2 ${p.float_gemm_gmacs.toFixed(1)}), copy ${p.copy_gbs.toFixed(1)} GB/s`;
}
