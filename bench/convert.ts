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
import type { Model } from "../models/model.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { summarize } from "../tflite/inspect.ts";
import type { Sequential } from "../models/sequential.ts";
import { binaryAlexNet } from "../zoo/binary_alexnet.ts";
import { biRealNet } from "../zoo/birealnet.ts";
import { binaryDenseNet, type BinaryDenseNetVariant } from "../zoo/densenet.ts";
import { larqMnistCnn } from "../zoo/larq_mnist.ts";
import { meliusNet22 } from "../zoo/meliusnet.ts";
import { quickNet, type QuickNetVariant } from "../zoo/quicknet.ts";
import { realToBinaryNet } from "../zoo/real_to_binary_net.ts";
import { binaryResNetE18 } from "../zoo/resnet_e.ts";
import { xnorNet } from "../zoo/xnornet.ts";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "quicknet_small,quicknet,quicknet_large,birealnet,larq_mnist" },
    runs: { type: "string", default: "20" },
    threads: { type: "string", default: "1" },
  },
});
const runs = Number(values.runs), threads = Number(values.threads);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The zoo by bench name (tools/py/zoo_models.py's; DoReFa-Net does not convert, with LCE's converter either). */
const BUILDERS: Record<string, () => Model | Sequential> = {
  birealnet: () => biRealNet(),
  larq_mnist: () => larqMnistCnn(),
  binary_resnet_e18: () => binaryResNetE18(),
  meliusnet22: () => meliusNet22(),
  xnornet: () => xnorNet(),
  binary_alexnet: () => binaryAlexNet(),
  real_to_binary_net: () => realToBinaryNet(),
};
const build = (name: string): Model | Sequential =>
  BUILDERS[name]?.() ??
    (name.startsWith("binary_densenet")
      ? binaryDenseNet(name as BinaryDenseNetVariant)
      : quickNet(name as QuickNetVariant));
const counts = (bytes: Uint8Array) => {
  const m = new Map<string, number>();
  for (const o of summarize(bytes).ops) m.set(o.op, (m.get(o.op) ?? 0) + 1);
  return m;
};

console.log(`onebit converter on the zoo (random weights), interpreter: native, ${threads} thread(s), ${runs} runs`);
for (const name of values.models!.split(",")) {
  const model = build(name);
  const times: number[] = [];
  let bytes: Uint8Array = new Uint8Array(0), binaryShare = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = convert(model, { inputShape: name === "larq_mnist" ? [28, 28, 1] : undefined });
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
  const ours = counts(bytes), theirs = counts(lceBytes);
  const diff = [...new Set([...ours.keys(), ...theirs.keys()])]
    .filter((k) => ours.get(k) !== theirs.get(k))
    .map((k) => `${k} ${ours.get(k) ?? 0} vs ${theirs.get(k) ?? 0}`);
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
