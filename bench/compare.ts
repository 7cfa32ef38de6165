/**
 * Side by side on this machine, in one run: onebit on LCE-converted zoo
 * models (native, 1 and 2 threads; and its WebAssembly backend, 1 thread),
 * OpenVINO (CPU plugin, 1 and 2 threads) on the same files rebuilt in its
 * graph API with its x86 BinaryConvolution (tools/py/openvino_models.py),
 * LCE's own interpreter on the same files, LiteRT (XNNPACK) and
 * TensorFlow.js (wasm, 1 thread) on the float-equivalent files. Prints
 * median latencies, ratios, and onebit's and OpenVINO's max |difference|
 * from LCE's output on the same input (and the wasm backend's from native's).
 *
 *     deno task bench:compare [--models quicknet,birealnet] [--runs 20] [--rounds 3] [--json] [--svg FILE]
 *     deno task bench:compare --from rows.json --svg FILE
 *
 * `--svg FILE` draws the latencies as a grouped bar chart (per model, a bar
 * per runtime); `--from` draws it from an earlier run's `--json` output
 * without measuring.
 *
 * onebit native and OpenVINO are timed in `--rounds` interleaved rounds of
 * `--runs` calls each (onebit 1T, OpenVINO 1T, onebit 2T, OpenVINO 2T), so a
 * neighbour's load on the shared machine hits both alike; their medians are
 * over all rounds' calls, and the range of the per-round ratios shows how
 * steady the run was.
 *
 * Each model's hardware limit is measured in the same run, just before its
 * timing (bench/_limit.ts: binary MACs at the register-only peak of the
 * binary micro-kernel onebit runs, float MACs at its float kernel's in-cache
 * peak, or bytes at copy bandwidth if longer), at 1 and 2 threads; onebit's
 * medians are printed as % of it (`limit_t1_ms`, `onebit_t1_pct_of_limit`, …).
 *
 * Models come from tools/py/zoo_models.py (larq-zoo + LCE's converter, so
 * the benchmark does not depend on onebit's converter) into bench/models/.
 * @module
 */
import { parseArgs } from "node:util";
import { Interpreter } from "../runtime/interpreter.ts";
import { randomInputs } from "./bench.ts";
import { initTfjsWasm, tfjsModel } from "./_tfjs_tflite.ts";
import { cpuModel, OpenvinoServer } from "./_openvino.ts";
import {
  compareSvg,
  ensureZooFiles,
  logitsModel,
  maxRelDiff,
  median,
  referenceRuntimes,
  sh,
  timeCalls,
} from "./_compare.ts";
import { writeFileAtomic } from "../_fs.ts";
import { summarize } from "../tflite/summary.ts";
import { formatPeaks, limitFields, measurePeaks, modelWork, pctOfLimit } from "./_limit.ts";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "quicknet_small,quicknet,quicknet_large,birealnet" },
    runs: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
    svg: { type: "string" },
    from: { type: "string" },
  },
});

/** Writes the chart of `rows` when --svg asks for it. */
async function writeSvg(rows: Record<string, number | string>[]): Promise<void> {
  if (values.svg === undefined) return;
  await writeFileAtomic(values.svg, new TextEncoder().encode(await compareSvg(rows)));
  console.error(`wrote ${values.svg} (latency per model and runtime)`);
}

if (values.from !== undefined) {
  if (values.svg === undefined) {
    console.error("bench:compare: --from draws an earlier run's rows: give --svg FILE too");
    Deno.exit(2);
  }
  await writeSvg(JSON.parse(await Deno.readTextFile(values.from)));
  Deno.exit(0);
}
const runs = Number(values.runs), warmup = Number(values.warmup), rounds = Number(values.rounds);
const timeAsync = (fn: () => unknown) => timeCalls(fn, { runs, warmup });

await sh("bash", ["tools/setup_py.sh"]);
await initTfjsWasm(1);
const cpu = cpuModel();
if (!values.json) console.log(`CPU: ${cpu}`);
const rows: Record<string, number | string>[] = [];
for (const name of values.models.split(",")) {
  const { lce: lceFile, float: floatFile } = await ensureZooFiles(name, ["lce", "float"]);
  const row: Record<string, number | string> = { model: name, cpu };
  const bytes = await Deno.readFile(lceFile);
  const work = modelWork(summarize(bytes));
  const peaks = measurePeaks([1, 2]);
  if (!values.json) { for (const p of peaks) console.log(`${name}: peaks ${formatPeaks(p)}`); }
  Object.assign(row, limitFields(work, peaks));
  const its = [1, 2].map((numThreads) => Interpreter.fromBytes(bytes, { numThreads }));
  const input = randomInputs(its[0])[0] as Float32Array;
  const tmp = await Deno.makeTempDir();
  await Deno.writeFile(`${tmp}/x.f32`, new Uint8Array(input.buffer));
  // onebit and OpenVINO in interleaved rounds (OpenVINO compiled once, in a helper process that waits for requests).
  const ov = await OpenvinoServer.start("openvino_models.py", [
    lceFile,
    ...["--threads", "1", "2", "--warmup", String(warmup), "--input", `${tmp}/x.f32`],
    ...["--output", `${tmp}/ov.f32`, "--logits"],
  ]);
  const samples = { onebit: [[], []] as number[][], openvino: [[], []] as number[][] };
  const roundRatios: number[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (const [k, threads] of [1, 2].entries()) {
      const ours = await timeAsync(() => Promise.resolve(its[k].invoke([input])));
      const theirs = (await ov.request<{ ms: number[] }>({ threads, runs })).ms;
      samples.onebit[k].push(...ours);
      samples.openvino[k].push(...theirs);
      roundRatios[k].push(median(theirs) / median(ours));
    }
  }
  await ov.close();
  for (const [k, threads] of [1, 2].entries()) {
    row[`onebit_t${threads}_ms`] = median(samples.onebit[k]);
    row[`openvino_t${threads}_ms`] = median(samples.openvino[k]);
    row[`vs_openvino_t${threads}`] = median(samples.openvino[k]) / median(samples.onebit[k]);
    row[`vs_openvino_t${threads}_rounds`] = `${Math.min(...roundRatios[k]).toFixed(2)}-${
      Math.max(...roundRatios[k]).toFixed(2)
    }`;
  }
  for (const t of [1, 2]) {
    row[`onebit_t${t}_pct_of_limit`] = pctOfLimit(row, t, median(samples.onebit[t - 1]));
  }
  const wasmIt = Interpreter.fromBytes(bytes, { backend: "wasm" });
  row.onebit_wasm_t1_ms = median(await timeAsync(() => Promise.resolve(wasmIt.invoke([input]))));
  const logits = logitsModel(bytes);
  const ours = Interpreter.fromBytes(logits).invoke([input])[0] as Float32Array;
  const oursWasm = Interpreter.fromBytes(logits, { backend: "wasm" }).invoke([input])[0] as Float32Array;
  row.wasm_logits_max_abs_diff_vs_native = oursWasm.reduce((m, v, i) => Math.max(m, Math.abs(v - ours[i])), 0);
  const floatIt = Interpreter.fromBytes(await Deno.readFile(floatFile));
  row.onebit_float_file_t1_ms = median(await timeAsync(() => Promise.resolve(floatIt.invoke([input]))));

  await Deno.writeFile(`${tmp}/logits.tflite`, logits);
  const ref = await referenceRuntimes({
    lceFile,
    floatFile,
    threads: [1, 2],
    runs,
    warmup,
    input,
    checkFile: `${tmp}/logits.tflite`,
  });
  const lceOut = ref.lceOutput!;
  const ovOut = new Float32Array((await Deno.readFile(`${tmp}/ov.f32`)).buffer);
  await Deno.remove(tmp, { recursive: true });
  // Logits: max |ours - LCE| relative to the largest |logit|.
  const scale = lceOut.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  row.logits_max_rel_diff_vs_lce = maxRelDiff(ours, lceOut);
  row.openvino_logits_max_rel_diff_vs_lce = maxRelDiff(ovOut, lceOut);
  row.openvino_logits_max_rel_diff_vs_onebit = ovOut.reduce((m, v, i) => Math.max(m, Math.abs(v - ours[i])), 0) / scale;
  row.lce_t1_ms = median(ref.lce["1"]);
  row.lce_t2_ms = median(ref.lce["2"]);
  row.litert_t1_ms = median(ref.litert["1"]);
  row.litert_t2_ms = median(ref.litert["2"]);
  const tfm = tfjsModel(await Deno.readFile(floatFile));
  row.tfjs_wasm_t1_ms = median(await timeAsync(() => tfm.run(input)));
  tfm.dispose();
  const o1 = row.onebit_t1_ms as number;
  row.vs_lce_t1 = (row.lce_t1_ms as number) / o1;
  row.vs_lce_t2 = (row.lce_t2_ms as number) / (row.onebit_t2_ms as number);
  row.vs_litert_t1 = (row.litert_t1_ms as number) / o1;
  row.vs_tfjs_wasm_t1 = (row.tfjs_wasm_t1_ms as number) / o1;
  row.onebit_2t_speedup = o1 / (row.onebit_t2_ms as number);
  const w1 = row.onebit_wasm_t1_ms as number;
  row.wasm_vs_native_t1 = w1 / o1;
  row.wasm_vs_litert_t1 = (row.litert_t1_ms as number) / w1;
  row.wasm_vs_tfjs_wasm_t1 = (row.tfjs_wasm_t1_ms as number) / w1;
  rows.push(row);
  if (!values.json) {
    const f = (k: string) =>
      typeof row[k] === "number"
        ? (row[k] as number).toFixed((k.includes("vs_") || k.endsWith("speedup")) && !k.includes("openvino") ? 1 : 2)
        : row[k];
    console.log(
      `${name}: onebit ${f("onebit_t1_ms")} ms (2T ${f("onebit_t2_ms")}, ${f("onebit_2t_speedup")}x) | ` +
        `limit ${f("limit_t1_ms")} ms (2T ${f("limit_t2_ms")}): ${f("onebit_t1_pct_of_limit")}% / ${
          f("onebit_t2_pct_of_limit")
        }% of limit | ` +
        `LCE ${f("lce_t1_ms")} (2T ${f("lce_t2_ms")}) -> ${f("vs_lce_t1")}x / ${f("vs_lce_t2")}x | ` +
        `LiteRT ${f("litert_t1_ms")} -> ${f("vs_litert_t1")}x | tfjs-wasm ${f("tfjs_wasm_t1_ms")} -> ${
          f("vs_tfjs_wasm_t1")
        }x | ` +
        `onebit on the float file ${f("onebit_float_file_t1_ms")} | logits max |diff| / max |logit| vs LCE ${
          (row.logits_max_rel_diff_vs_lce as number).toExponential(1)
        }\n  OpenVINO ${f("openvino_t1_ms")} ms (2T ${f("openvino_t2_ms")}) -> onebit ${f("vs_openvino_t1")}x / ${
          f("vs_openvino_t2")
        }x (per round ${row.vs_openvino_t1_rounds} / ${row.vs_openvino_t2_rounds}) | OpenVINO logits vs LCE ${
          (row.openvino_logits_max_rel_diff_vs_lce as number).toExponential(1)
        }, vs onebit ${(row.openvino_logits_max_rel_diff_vs_onebit as number).toExponential(1)}\n  onebit-wasm ${
          f("onebit_wasm_t1_ms")
        } ms (${f("wasm_vs_native_t1")}x native's time) -> ` +
        `${f("wasm_vs_litert_t1")}x LiteRT's speed, ${f("wasm_vs_tfjs_wasm_t1")}x tfjs-wasm's | ` +
        `logits max |diff| vs native ${(row.wasm_logits_max_abs_diff_vs_native as number).toExponential(1)}`,
    );
  }
}
if (values.json) console.log(JSON.stringify(rows, null, 1));
await writeSvg(rows);
