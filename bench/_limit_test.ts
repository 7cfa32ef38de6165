/**
 * The hardware limit of bench and bench:compare: the arithmetic (MACs /
 * peak) on a committed LCE file whose MACs are counted by hand here, the
 * fields of `bench --json`, and the micro-kernel each profiled op ran.
 */
import assert from "node:assert/strict";
import {
  chosenUkernel,
  formatPeaks,
  limitFields,
  limitOf,
  measurePeaks,
  modelWork,
  opWork,
  pctOfLimit,
  type Peaks,
} from "./_limit.ts";
import { bench } from "./bench.ts";
import { summarize } from "../tflite/summary.ts";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";

const file = new URL("../tests/fixtures/lce/quicknet_block.tflite", import.meta.url).pathname;

// quicknet_block, by hand: two LceBconv2d 3x3x32->32 on 8x8 (same) = 2 * 64*32*288; CONV_2D 3x3x3->32 on 8x8 out
// (64*32*27), DEPTHWISE 3x3 on 4x4x32 (16*32*9), CONV_2D 1x1 32->64 on 4x4 (16*64*32), FULLY_CONNECTED 64->10.
const BINARY_MACS = 2 * 64 * 32 * 288;
const FLOAT_MACS = 64 * 32 * 27 + 16 * 32 * 9 + 16 * 64 * 32 + 64 * 10;

/** Whether the native library loads here (the tests also run on machines without it). */
const haveNative = (() => {
  try {
    BinaryKernels.native();
    return true;
  } catch {
    return false;
  }
})();

const peaks: Peaks = {
  threads: 1,
  binary_ukernel: "bgemm_test",
  binary_gmacs: 1000,
  float_ukernel: "sgemm_test",
  float_gmacs: 50,
  float_gemm_gmacs: 40,
  copy_gbs: 10,
  cache_bytes: 1 << 20,
};

Deno.test("limitOf: binary MACs at the binary peak plus float MACs at the float peak, or bytes at bandwidth", () => {
  const l = limitOf({ binaryMacs: 3e9, floatMacs: 1e8, bytes: 1e7 }, peaks);
  assert.equal(l.binary_ms, 3); // 3e9 / 1e12 per s
  assert.equal(l.float_ms, 2); // 1e8 / 5e10 per s
  assert.equal(l.memory_ms, 1); // 1e7 B / 1e10 B per s
  assert.equal(l.ms, 5);
  assert.equal(l.bound, "compute");
  // 1e8 bytes at 10 GB/s: 10 ms, longer than the 1 ms of MACs, and more than the 1 MiB cache: memory-bound.
  const m = limitOf({ binaryMacs: 1e9, floatMacs: 0, bytes: 1e8 }, peaks);
  assert.deepEqual([m.ms, m.bound], [10, "memory"]);
  // The same bytes fitting in a 128 MiB cache: compute-bound (1 ms), the memory time only reported.
  const c = limitOf({ binaryMacs: 1e9, floatMacs: 0, bytes: 1e8 }, { ...peaks, cache_bytes: 2 ** 27 });
  assert.deepEqual([c.ms, c.bound, c.memory_ms], [1, "compute", 10]);
  assert.throws(
    () => limitOf({ binaryMacs: 1, floatMacs: 1 }, { ...peaks, float_gmacs: 0 }),
    /peaks\.float_gmacs is 0/,
  );
  assert.throws(() => limitOf({ binaryMacs: -1, floatMacs: 1 }, peaks), RangeError);
});

Deno.test("modelWork and opWork: the MACs of a committed LCE file, counted by hand", () => {
  const s = summarize(Deno.readFileSync(file));
  const w = modelWork(s);
  assert.equal(w.binaryMacs, BINARY_MACS);
  assert.equal(w.floatMacs, FLOAT_MACS);
  assert.equal(w.bytes, s.constantBytes + s.activationBytes);
  const l = limitOf(w, peaks);
  assert.ok(Math.abs(l.binary_ms - BINARY_MACS / 1e9) < 1e-15);
  assert.ok(Math.abs(l.float_ms - FLOAT_MACS / 5e7) < 1e-15);
  // A fusion counts its parts from its first operator on: LceBconv2d (#2) + ADD (#3).
  assert.deepEqual(opWork(s.ops, 2, "LceBconv2d+ADD"), { binaryMacs: 64 * 32 * 288, floatMacs: 0 });
  assert.deepEqual(opWork(s.ops, 0, "CONV_2D"), { binaryMacs: 0, floatMacs: 64 * 32 * 27 });
  // A name that does not match the file's operator counts nothing.
  assert.deepEqual(opWork(s.ops, 0, "ADD"), { binaryMacs: 0, floatMacs: 0 });
});

Deno.test("bench: the limit and its fraction in the JSON result, per model and per profiled op", async () => {
  const r = await bench(file, { runs: 3, warmup: 1, profile: true, limit: peaks });
  const json = JSON.parse(JSON.stringify(r));
  assert.equal(typeof json.cpu_model, "string");
  assert.deepEqual(json.peaks, peaks);
  const want = BINARY_MACS / 1e9 + FLOAT_MACS / 5e7; // its ~70 KB fit in the 1 MiB cache: compute-bound
  assert.ok(Math.abs(json.limit.ms - want) < 1e-12, `${json.limit.ms} vs ${want}`);
  assert.ok(Math.abs(json.limit.fraction_of_limit - want / r.latency.median_ms) < 1e-12);
  // Per op: its own MACs at the same peaks; by type: the sum of its ops' limits.
  for (const o of json.top_ops) {
    assert.ok(Math.abs(o.limit_ms - (o.binary_macs / 1e9 + o.float_macs / 5e7)) < 1e-12);
    assert.ok(Math.abs(o.fraction_of_limit - o.limit_ms / o.ms) < 1e-9);
  }
  const bconv = json.by_type.filter((t: { op: string }) => t.op.startsWith("LceBconv2d"));
  assert.ok(bconv.length > 0);
  const bconvLimit = bconv.reduce((a: number, t: { limit_ms: number }) => a + t.limit_ms, 0);
  assert.ok(Math.abs(bconvLimit - BINARY_MACS / 1e9) < 1e-12);
  await assert.rejects(() => bench(file, { threads: 2, runs: 1, limit: peaks }), /peaks are for 1 thread/);
});

Deno.test({
  name: "bench --profile on native: each op shows the micro-kernel it ran; the peaks are measured for it",
  ignore: !haveNative,
  fn: async () => {
    const [p] = measurePeaks([1], { quick: true });
    const binary = chosenUkernel(BinaryKernels.native().ukernels());
    assert.equal(p.binary_ukernel, binary.name);
    assert.equal(p.float_ukernel, chosenUkernel(FloatKernels.native().ukernels()).name);
    for (const k of ["binary_gmacs", "float_gmacs", "float_gemm_gmacs", "copy_gbs"] as const) {
      assert.ok(p[k] > 0, `${k} ${p[k]}`);
    }
    if (Deno.build.os === "linux") assert.ok(p.cache_bytes >= 2 ** 15, `cache_bytes ${p.cache_bytes}`);
    assert.match(formatPeaks(p), new RegExp(`^1 thread\\(s\\): ${binary.name} \\d+ G bMAC/s`));
    assert.match(formatPeaks(p), /G FMA\/s \(its GEMM in L2 \d+\.\d\)/);
    const r = await bench(file, { runs: 2, warmup: 1, profile: true, limit: p, backend: "native" });
    const ops = r.top_ops!;
    for (const o of ops) {
      const first = o.op.split("+")[0];
      const want = first === "LceBconv2d"
        ? binary.name
        : ["CONV_2D", "FULLY_CONNECTED"].includes(first)
        ? p.float_ukernel
        : undefined; // DEPTHWISE_CONV_2D has float MACs but a kernel of its own
      assert.equal(o.ukernel, want, `#${o.index} ${o.op}`);
    }
    assert.ok(ops.some((o) => o.ukernel === binary.name));
    assert.ok(ops.some((o) => o.op === "DEPTHWISE_CONV_2D" && o.float_macs! > 0 && o.ukernel === undefined));
  },
});

Deno.test("chosenUkernel: the kernel the library marks chosen (not the last supported), a RangeError when none is", () => {
  const k = (index: number, supported: boolean, chosen = false) => ({
    index,
    name: `k${index}`,
    mr: 1,
    nr: 1,
    supported,
    peakMacsPerIteration: 1,
    chosen,
  });
  assert.equal(chosenUkernel([k(0, true), k(1, true, true), k(2, true)]).name, "k1");
  assert.throws(() => chosenUkernel([k(0, true), k(1, false)]), RangeError);
  if (!haveNative) return;
  // The native library marks one supported kernel of each list.
  for (const list of [BinaryKernels.native().ukernels(), FloatKernels.native().ukernels()]) {
    assert.equal(list.filter((u) => u.chosen).length, 1);
    assert.ok(chosenUkernel(list).supported);
  }
});

Deno.test("limitFields and pctOfLimit: bench:compare's JSON fields of the limit at 1 and 2 threads", () => {
  const work = { binaryMacs: BINARY_MACS, floatMacs: FLOAT_MACS, bytes: 0 };
  const two = { ...peaks, threads: 2, binary_gmacs: 2000, float_gmacs: 100 };
  const row = limitFields(work, [peaks, two]);
  assert.deepEqual(Object.keys(row).sort(), [
    "binary_peak_t1_gmacs",
    "binary_peak_t2_gmacs",
    "binary_ukernel",
    "copy_gbs",
    "float_gemm_t1_gmacs",
    "float_gemm_t2_gmacs",
    "float_peak_t1_gmacs",
    "float_peak_t2_gmacs",
    "float_ukernel",
    "limit_t1_ms",
    "limit_t2_ms",
  ]);
  const one = BINARY_MACS / 1e9 + FLOAT_MACS / 5e7;
  assert.ok(Math.abs((row.limit_t1_ms as number) - one) < 1e-15);
  assert.ok(Math.abs((row.limit_t2_ms as number) - one / 2) < 1e-15); // both peaks doubled
  assert.equal(row.binary_peak_t2_gmacs, 2000);
  assert.ok(Math.abs(pctOfLimit(row, 1, 4 * one) - 25) < 1e-9);
  assert.throws(() => pctOfLimit(row, 3, 1), /no limit_t3_ms/);
  assert.throws(() => pctOfLimit(row, 1, 0), RangeError);
  assert.throws(() => limitFields(work, []), RangeError);
});

Deno.test({
  name:
    "the float peak is the register-only FMA loop: at least 0.9x its GEMM's rate, at most 2 FMA pipes' lanes at 6 GHz",
  ignore: !haveNative,
  fn: () => {
    // The VM's cores are shared: the best of a few same-run measurements, as a calm moment shows them.
    let best = { float_gmacs: 0, float_gemm_gmacs: Infinity };
    for (let attempt = 0; attempt < 5; attempt++) {
      const [p] = measurePeaks([1], { quick: true });
      if (p.float_gmacs / p.float_gemm_gmacs > best.float_gmacs / best.float_gemm_gmacs) best = p;
      if (best.float_gmacs >= 0.9 * best.float_gemm_gmacs) break;
    }
    assert.ok(
      best.float_gmacs >= 0.9 * best.float_gemm_gmacs,
      `FMA peak ${best.float_gmacs} G/s below 0.9 x the GEMM's ${best.float_gemm_gmacs} G/s`,
    );
    const lanes = Math.max(...FloatKernels.native().ukernels().filter((u) => u.supported).map((u) => u.nr / 2));
    assert.ok(
      best.float_gmacs <= 2 * lanes * 6,
      `FMA peak ${best.float_gmacs} G/s: more than 2 pipes x ${lanes} lanes x 6 GHz`,
    );
  },
});
