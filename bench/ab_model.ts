/**
 * Whole-model A/B of native libraries in one process, 1 thread: one interpreter per library on the same file,
 * single invokes alternating between them for `--rounds` rounds, so that a loaded host hits all alike. Prints per
 * library the invoke's median and minimum, and per op type the sum of each op's minimum over the rounds (the
 * interpreter's profile; robust to a neighbour's load), then the median of the per-round ratios A/B.
 *
 *   deno run -A bench/ab_model.ts --model bench/models/quicknet.tflite --lib old/libonebit.so --lib zig-out/lib/x86_64-linux-gnu/libonebit.so [--rounds 300]
 *
 * The libraries must have this checkout's ABI (the loader checks). 2-thread comparisons belong in alternating
 * processes (each library starts its own spinning pool): `bench/ab_trees.sh`.
 * @module
 */
import { parseArgs } from "node:util";
import { Interpreter } from "../runtime/interpreter.ts";
import { median } from "./_stats.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    lib: { type: "string", multiple: true },
    rounds: { type: "string", default: "300" },
  },
});
const libs = values.lib ?? [];
if (!values.model || libs.length < 1) {
  throw new TypeError("usage: bench/ab_model.ts --model <file.tflite> --lib <libonebit.so> [--lib …] [--rounds N]");
}
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  throw new RangeError(`--rounds must be a positive integer, got ${values.rounds}`);
}

const bytes = await Deno.readFile(values.model);
const its = libs.map((path) => Interpreter.fromBytes(bytes, { backend: "native", path, numThreads: 1, profile: true }));
const n = its[0].inputs[0].shape.reduce((a, b) => a * b, 1);
const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.1));
for (const it of its) for (let i = 0; i < 5; i++) it.invoke([x]);
const times: number[][] = libs.map(() => []);
const opMins: Float64Array[] = its.map((it) => new Float64Array(it.profile().length).fill(Infinity));
for (let r = 0; r < rounds; r++) {
  its.forEach((it, k) => {
    it.resetProfile();
    const t0 = performance.now();
    it.invoke([x]);
    times[k].push(performance.now() - t0);
    it.profile().forEach((o, i) => opMins[k][i] = Math.min(opMins[k][i], o.total_ms));
  });
}
const labels = its[0].profile().map((o) => o.op);
libs.forEach((lib, k) => {
  const byType = new Map<string, number>();
  labels.forEach((op, i) => byType.set(op, (byType.get(op) ?? 0) + opMins[k][i]));
  const sum = opMins[k].reduce((a, b) => a + b, 0);
  console.log(
    `${lib}: invoke median ${median(times[k]).toFixed(3)} ms, min ${Math.min(...times[k]).toFixed(3)} ms; ` +
      `sum of per-op minima ${sum.toFixed(3)} ms`,
  );
  console.log("  µs: " + [...byType].map(([op, ms]) => `${op} ${(ms * 1000).toFixed(0)}`).join(", "));
});
for (let k = 1; k < libs.length; k++) {
  const ratios = times[0].map((t, i) => t / times[k][i]);
  console.log(`per-round invoke ratio ${libs[0]} / ${libs[k]}: median ${median(ratios).toFixed(3)}`);
}
