/**
 * The converter on the zoo models: conversion time, file size, binary
 * share, the op multiset next to LCE's conversion of the same larq-zoo
 * architecture (bench/models, tools/py/zoo_models.py), and onebit's
 * interpreter on both files, interleaved in one process (median latency,
 * ratio).
 *
 *     deno task bench:convert [--models quicknet,birealnet] [--runs 20]
 * @module
 */
import { parseArgs } from "node:util";
import { convert } from "../convert/convert.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { buildZoo, zooInputShape } from "./_zoo.ts";
import { opDiff } from "./_compare.ts";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "quicknet_small,quicknet,quicknet_large,birealnet,larq_mnist" },
    runs: { type: "string", default: "20" },
    threads: { type: "string", default: "1" },
  },
});
const runs = Number(values.runs), threads = Number(values.threads);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`onebit converter on the zoo (random weights), interpreter: native, ${threads} thread(s), ${runs} runs`);
for (const name of values.models!.split(",")) {
  const model = buildZoo(name);
  const times: number[] = [];
  let bytes: Uint8Array = new Uint8Array(0), binaryShare = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = convert(model, { inputShape: zooInputShape(name) });
    times.push(performance.now() - t0);
    bytes = r.bytes;
    binaryShare = r.report.binaryMacs / (r.report.binaryMacs + r.report.floatMacs);
  }
  console.log(
    `\n${name}: converted in ${median(times).toFixed(0)} ms (median of 3), ${
      (bytes.length / 2 ** 20).toFixed(2)
    } MiB, ` +
      `${(100 * binaryShare).toFixed(1)}% of MACs binary`,
  );
  let lceBytes: Uint8Array;
  try {
    lceBytes = Deno.readFileSync(new URL(`./models/${name}.tflite`, import.meta.url));
  } catch {
    console.log(`  (no bench/models/${name}.tflite: run tools/py/zoo_models.py for the LCE comparison)`);
    continue;
  }
  const diff = opDiff(bytes, lceBytes);
  console.log(`  ops vs LCE's conversion: ${diff.length === 0 ? "same multiset" : diff.join(", ")}`);
  const a = Interpreter.fromBytes(bytes, { backend: "native", numThreads: threads });
  const b = Interpreter.fromBytes(lceBytes, { backend: "native", numThreads: threads });
  const x = new Float32Array(a.inputs[0].shape.reduce((p, q) => p * q, 1)).map((_, i) => Math.sin(i));
  const ta: number[] = [], tb: number[] = [];
  // Small models: several invokes per sample, so the timer's resolution does not dominate.
  const reps = a.inputs[0].shape.reduce((p, q) => p * q, 1) < 10000 ? 100 : 1;
  for (let i = 0; i < runs + 3; i++) {
    let t0 = performance.now();
    for (let r = 0; r < reps; r++) a.invoke([x]);
    const da = (performance.now() - t0) / reps;
    t0 = performance.now();
    for (let r = 0; r < reps; r++) b.invoke([x]);
    const db = (performance.now() - t0) / reps;
    if (i >= 3) ta.push(da), tb.push(db);
  }
  console.log(
    `  onebit runtime: our file ${median(ta).toFixed(2)} ms, LCE's file ${median(tb).toFixed(2)} ms ` +
      `(ratio ${(median(tb) / median(ta)).toFixed(2)}×)`,
  );
}
