/**
 * Binary GEMM / binary convolution throughput against this CPU's limit.
 *
 *   deno task bench:kernels [--quick] [--json] [--runs N]
 *
 * The limit of each micro-kernel is measured in the same run: its own
 * register-only XOR + popcount + accumulate loop (onebit_peak_loop), the
 * same instructions with no loads, on 1 and on 2 threads at once (vCPUs that
 * share a physical core's vector units do not double it).
 * Shapes are QuickNet's binary 3x3 convolutions (same-one padding, stride 1).
 * Times are medians over runs; machines here are noisy.
 */
import { parseArgs } from "node:util";
import { BinaryKernels, planConv } from "../runtime/binary_kernels.ts";

const args = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    runs: { type: "string" },
  },
});
const quick = args.values.quick;
const runs = Number(args.values.runs ?? (quick ? 5 : 15));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function time(fn: () => void, n: number): number {
  fn(); // warm-up: page faults, pool start, caches
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const native = BinaryKernels.native();
const ukernels = native.ukernels().filter((u) => u.supported);

// 1. The limit of every micro-kernel's instruction mix, on 1 and 2 threads.
const limits = new Map<string, number>(); // key: `${name}/t${threads}`, G bMAC/s
for (const u of ukernels) {
  for (const threads of [1, 2]) {
    const iterations = Math.ceil(2e9 / u.peakMacsPerIteration / (quick ? 4 : 1));
    const ms = time(() => native.peakLoop(u.index, iterations, threads), quick ? 3 : 7);
    limits.set(`${u.name}/t${threads}`, (threads * iterations * u.peakMacsPerIteration) / ms / 1e6);
  }
}

interface Shape {
  name: string;
  hw: number;
  cin: number;
  cout: number;
}
const shapes: Shape[] = [
  { name: "56x56x64->64", hw: 56, cin: 64, cout: 64 },
  { name: "28x28x128->128", hw: 28, cin: 128, cout: 128 },
  { name: "14x14x256->256", hw: 14, cin: 256, cout: 256 },
  { name: "7x7x512->512", hw: 7, cin: 512, cout: 512 },
];

interface Row {
  op: string;
  shape: string;
  ukernel: string;
  threads: number;
  ms: number;
  gmacs: number;
  fractionOfLimit: number;
  /** 2-thread / 1-thread peak measured right before this row: the cores the VM gave us then. */
  coresAvailable: number;
}
const rows: Row[] = [];

function randomWords(n: number): Uint32Array {
  const out = new Uint32Array(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 0;
  }
  return out;
}

for (const s of shapes) {
  const geometry = {
    inputShape: [1, s.hw, s.hw, s.cin] as const,
    kernelSize: [3, 3] as const,
    padding: "same" as const,
  };
  const plan = planConv(geometry);
  const words = s.cin / 32;
  const input = randomWords(s.hw * s.hw * words);
  const filter = native.packRhs(randomWords(s.cout * 9 * words), s.cout);
  const lhs = native.im2col(input, geometry);
  const macs = plan.outH * plan.outW * s.cout * 9 * s.cin;
  const out = new Float32Array(plan.outH * plan.outW * s.cout);
  const workspace = new Uint32Array(lhs.length);
  for (const u of ukernels) {
    // Shared hosts lend the second vCPU unevenly: measure how much of it is
    // there now (short peak loops on 1 and 2 threads), next to the timings.
    const probe = Math.ceil(2e7 / u.peakMacsPerIteration);
    const p1 = time(() => native.peakLoop(u.index, probe, 1), 3);
    const p2 = time(() => native.peakLoop(u.index, probe, 2), 3);
    const coresAvailable = (2 * p1) / p2;
    for (const threads of [1, 2]) {
      const limit = limits.get(`${u.name}/t${threads}`)!;
      const k = native.with({ ukernel: u.index, threads });
      const gemmMs = time(() => k.bgemmF32(lhs, filter, { out }), runs);
      const convMs = time(() => k.bconv2dF32(input, filter, { ...geometry, out, workspace }), runs);
      for (const [op, ms] of [["bgemm", gemmMs], ["bconv2d", convMs]] as const) {
        const gmacs = macs / ms / 1e6;
        rows.push({
          op,
          shape: s.name,
          ukernel: u.name,
          threads,
          ms,
          gmacs,
          fractionOfLimit: gmacs / limit,
          coresAvailable,
        });
      }
    }
  }
}

if (args.values.json) {
  console.log(JSON.stringify({ cpu: Deno.build.arch, limitsGmacs: Object.fromEntries(limits), rows }, null, 2));
} else {
  console.log(`onebit kernel benchmark (${Deno.build.arch}, medians of ${runs} runs)\n`);
  console.log("limit: register-only XOR+popcount+accumulate loop of each micro-kernel (G bMAC/s)");
  console.log(`  ${"micro-kernel".padEnd(28)} ${"1 thread".padStart(9)} ${"2 threads".padStart(10)}  ratio`);
  for (const u of ukernels) {
    const one = limits.get(`${u.name}/t1`)!, two = limits.get(`${u.name}/t2`)!;
    console.log(
      `  ${u.name.padEnd(28)} ${one.toFixed(1).padStart(9)} ${two.toFixed(1).padStart(10)}  ${(two / one).toFixed(2)}x`,
    );
  }
  console.log("\ncores: 2-thread/1-thread peak ratio measured just before the row (1.0 = the second vCPU was busy)");
  console.log("op       shape            micro-kernel                 thr      ms   G bMAC/s  % limit  2T/1T  cores");
  for (const r of rows) {
    const one = rows.find((o) => o.op === r.op && o.shape === r.shape && o.ukernel === r.ukernel && o.threads === 1)!;
    const speedup = r.threads === 2 ? (one.ms / r.ms).toFixed(2) + "x" : "";
    console.log(
      `${r.op.padEnd(8)} ${r.shape.padEnd(16)} ${r.ukernel.padEnd(28)} ${String(r.threads).padStart(3)} ${
        r.ms.toFixed(3).padStart(7)
      } ${r.gmacs.toFixed(1).padStart(10)} ${(100 * r.fractionOfLimit).toFixed(1).padStart(7)}%  ${
        speedup.padStart(5)
      }  ${r.threads === 2 ? r.coresAvailable.toFixed(2) : ""}`,
    );
  }
}
