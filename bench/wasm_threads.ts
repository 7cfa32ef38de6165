/**
 * Does the opt-in threaded wasm module (kernels/wasm_threads.ts) pay on this machine? One process, interleaved
 * rounds: each case on native 1T/2T, the committed relaxed wasm module (1T), the threaded module at 1T and 2T.
 * Before and after each round a short native peak-loop probe measures how many cores the VM lends right then
 * (2·t1/t2); a round is calm when both probes see >= 1.9. Medians over all rounds and over the calm ones.
 *
 *   deno run -A bench/wasm_threads.ts [--rounds 15] [--json out.json]
 */
import { parseArgs } from "node:util";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { defaultWasm } from "../kernels/wasm.ts";
import { instantiateWasmThreads } from "../kernels/wasm_threads.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { randomInputs } from "./bench.ts";

const { values } = parseArgs({ options: { rounds: { type: "string" }, json: { type: "string" } } });
const rounds = Number(values.rounds ?? 15);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
function time(fn: () => void, n: number): number {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const threaded = await instantiateWasmThreads({ threads: 2 });
const relaxed = defaultWasm();
type Variant = { name: string; lib: "native" | "wasm"; wasm?: typeof relaxed; threads: number };
const variants: Variant[] = [
  { name: "native 1T", lib: "native", threads: 1 },
  { name: "native 2T", lib: "native", threads: 2 },
  { name: "wasm 1T", lib: "wasm", wasm: relaxed, threads: 1 },
  { name: "wasmT 1T", lib: "wasm", wasm: threaded, threads: 1 },
  { name: "wasmT 2T", lib: "wasm", wasm: threaded, threads: 2 },
];
const binary = (v: Variant) => BinaryKernels[v.lib]({ wasm: v.wasm, threads: v.threads });
const float = (v: Variant) => FloatKernels[v.lib]({ wasm: v.wasm, threads: v.threads });
const wave = (n: number, f: (i: number) => number) => new Float32Array(n).map((_, i) => f(i));

interface Case {
  name: string;
  calls: number;
  make: (v: Variant) => () => void;
}
const cases: Case[] = [];
for (const [hw, cin] of [[28, 128], [56, 64]]) {
  const g = { inputShape: [1, hw, hw, cin] as const, kernelSize: [3, 3] as const, padding: "same" as const };
  const input = new Uint32Array((hw * hw * cin) / 32).map((_, i) => Math.imul(i, 2654435761));
  const words = new Uint32Array((cin * 9 * cin) / 32).map((_, i) => Math.imul(i, 40503));
  cases.push({
    name: `bconv2d ${hw}x${hw}x${cin}->${cin} 3x3`,
    calls: 9,
    make: (v) => {
      const k = binary(v), conv = k.bindBconv2dF32(k.packRhs(words, cin), g);
      const ws = new Uint32Array(conv.workspaceWords), out = new Float32Array(hw * hw * cin);
      return () => conv.run(input, out, ws);
    },
  });
}
{
  const rows = 784, depth = 1152, n = 128;
  const w = wave(n * depth, Math.sin), lhs = wave(rows * depth, Math.cos);
  cases.push({
    name: "sgemm 784x1152 . 1152x128",
    calls: 5,
    make: (v) => {
      const fk = float(v), gemm = fk.bindSgemm(fk.packRhs(w, n), { rows });
      const out = new Float32Array(gemm.outputLength);
      return () => gemm.run(lhs, out);
    },
  });
  const g = { inputShape: [1, 28, 28, 128] as const, kernelSize: [3, 3] as const, padding: "same" as const };
  const input = wave(28 * 28 * 128, Math.cos);
  cases.push({
    name: "conv2d f32 28x28x128->128 3x3",
    calls: 5,
    make: (v) => {
      const fk = float(v), conv = fk.bindConv2d(fk.packRhs(w, n), g);
      const out = new Float32Array(conv.outputLength), ws = new Float32Array(Math.max(1, conv.workspaceFloats));
      return () => conv.run(input, out, ws);
    },
  });
}
const model = await Deno.readFile(new URL("./models/quicknet.tflite", import.meta.url));
const logits: Float32Array[] = [];
cases.push({
  name: "QuickNet 224x224 (Interpreter)",
  calls: 5,
  make: (v) => {
    const it = Interpreter.fromBytes(model, { backend: v.lib, wasm: v.wasm, numThreads: v.threads });
    const inputs = randomInputs(it);
    logits.push(it.invoke(inputs)[0] as Float32Array);
    return () => it.invoke(inputs);
  },
});

const native = BinaryKernels.native();
const u = native.ukernels().filter((x) => x.supported).at(-1)!;
const probeIterations = Math.ceil(2e7 / u.peakMacsPerIteration);
const probe = () =>
  (2 * time(() => native.peakLoop(u.index, probeIterations, 1), 3)) /
  time(() => native.peakLoop(u.index, probeIterations, 2), 3);

const fns = cases.map((c) => variants.map((v) => c.make(v)));
const same = logits.every((l) => l.length === logits[0].length && l.every((x, i) => x === logits[0][i]));
const times = cases.map(() => variants.map(() => [] as number[]));
const calm: boolean[] = [];
const cores: number[] = [];
for (let r = 0; r < rounds; r++) {
  const before = probe();
  for (let c = 0; c < cases.length; c++) {
    // Rotate the variants' order from round to round.
    for (let j = 0; j < variants.length; j++) {
      const v = (j + r) % variants.length;
      times[c][v].push(time(fns[c][v], cases[c].calls) * 1000);
    }
  }
  const after = probe();
  cores.push(Math.min(before, after));
  calm.push(Math.min(before, after) >= 1.9);
  console.error(`round ${r + 1}/${rounds}: cores ${before.toFixed(2)} / ${after.toFixed(2)}`);
}
threaded.dispose();

const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1];
console.log(
  `CPU: ${cpu}, ${navigator.hardwareConcurrency} vCPUs; Deno ${Deno.version.deno} (V8 ${Deno.version.v8});` +
    ` ${rounds} rounds, ${calm.filter(Boolean).length} calm; probe cores median ${median(cores).toFixed(2)};` +
    ` QuickNet logits identical on all variants: ${same}`,
);
const ratio = (c: number, a: number, b: number, only?: boolean[]) =>
  median(times[c][a].map((x, i) => x / times[c][b][i]).filter((_, i) => !only || only[i]));
const rows = cases.map((cs, c) => ({
  case: cs.name,
  us: Object.fromEntries(variants.map((v, j) => [v.name, median(times[c][j])])),
  calm_us: Object.fromEntries(variants.map((v, j) => [v.name, median(times[c][j].filter((_, i) => calm[i]))])),
  native_1T_over_2T: ratio(c, 0, 1),
  wasmT_1T_over_2T: ratio(c, 3, 4),
  native_1T_over_2T_calm: ratio(c, 0, 1, calm),
  wasmT_1T_over_2T_calm: ratio(c, 3, 4, calm),
  wasmT1_over_wasm1: ratio(c, 3, 2),
  wasm1_over_wasmT2: ratio(c, 2, 4),
  wasm1_over_wasmT2_calm: ratio(c, 2, 4, calm),
}));
const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
console.log(
  `| case | ${
    variants.map((v) => v.name).join(" | ")
  } | native 1T/2T | wasmT 1T/2T | calm: native, wasmT 1T/2T | wasmT1/wasm1 | wasm1/wasmT2 (calm) |`,
);
for (const r of rows) {
  console.log(
    `| ${r.case} | ${variants.map((v) => f(r.us[v.name])).join(" | ")} | ${r.native_1T_over_2T.toFixed(2)} | ` +
      `${r.wasmT_1T_over_2T.toFixed(2)} | ${r.native_1T_over_2T_calm.toFixed(2)}, ${
        r.wasmT_1T_over_2T_calm.toFixed(2)
      } | ${r.wasmT1_over_wasm1.toFixed(2)} | ` +
      `${r.wasm1_over_wasmT2.toFixed(2)} (${r.wasm1_over_wasmT2_calm.toFixed(2)}) |`,
  );
}
if (values.json) {
  await Deno.writeTextFile(values.json, JSON.stringify({ cpu, rounds, calm, cores, rows, times }, null, 1));
}
Deno.exit(0);
