/**
 * Fashion-MNIST, onebit beside larq (issue #19): the same binarized CNN, split
 * file, seeds, epochs, batch size, optimizer and learning-rate schedule
 * (cosine decay from 0.001 to 0 unless `--lr constant`), 1 thread each. Runs
 * `examples/fashion_mnist.ts` and `tools/py/fashion_mnist_larq.py` one after
 * the other for each seed (alternating, so a change in the machine's load
 * falls on both), checks both read the same split (SHA-256), and prints the
 * final test accuracies (mean ± standard deviation over seeds), with the
 * moving statistics training left and after each side recalibrates its batch
 * norms on one pass over the training data (weights frozen), and the
 * training time per epoch (median over every epoch of every seed; the mean,
 * which includes the first epoch's warm-up, beside it; and the median CPU
 * time, which a busy machine moves less than the wall clock).
 *
 *     deno task bench:fashion [--epochs 5] [--seeds 1,2,3] [--lr cosine|constant] [--train 60000]
 *       [--recalibrate pass|none] [--no-python] [--json-out PATH]
 * @module
 */
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../mod.ts";
import { SPLIT_SHA256 } from "../examples/fashion_mnist_data.ts";
import { median } from "./_stats.ts";

/** The `--json` line of either side. */
interface Run {
  framework: "onebit" | "larq";
  seed: number;
  testAccuracy: number[];
  recalibratedAccuracy: number | null;
  epochSeconds: number[];
  epochCpuSeconds: number[];
  sha256: string;
}

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "5" },
    seeds: { type: "string", default: "1,2,3" },
    train: { type: "string", default: "60000" },
    lr: { type: "string", default: "cosine" },
    recalibrate: { type: "string", default: "pass" },
    "no-python": { type: "boolean", default: false },
    "json-out": { type: "string" },
  },
});
const root = new URL("../", import.meta.url).pathname;
const common = [
  ...["--epochs", values.epochs!, "--train", values.train!, "--lr", values.lr!],
  ...["--recalibrate", values.recalibrate!, "--json"],
];

/** Runs one side for one seed; its output is echoed; returns its `--json` line. */
async function runOne(framework: Run["framework"], seed: number): Promise<Run> {
  const [command, args] = framework === "onebit"
    ? [Deno.execPath(), ["run", "-A", "examples/fashion_mnist.ts", "--out", "", "--seed", String(seed), ...common]]
    : [`${root}.tools/venv/bin/python`, [
      "tools/py/fashion_mnist_larq.py",
      "--threads",
      "1",
      "--seed",
      String(seed),
      ...common,
    ]];
  const out = await new Deno.Command(command, {
    args,
    cwd: root,
    env: { PYTHONPATH: "tools/py", TF_USE_LEGACY_KERAS: "1", TF_CPP_MIN_LOG_LEVEL: "3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`${framework} seed ${seed} failed:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  const lines = text.split("\n");
  console.log(`${framework}, seed ${seed}:\n  ${lines.filter((l) => /^(epoch|batch norms) /.test(l)).join("\n  ")}`);
  const run = JSON.parse(lines[lines.length - 1]) as Run;
  if (run.sha256 !== SPLIT_SHA256) {
    throw new Error(`${framework} read a split with sha256 ${run.sha256}, not ${SPLIT_SHA256}`);
  }
  return run;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));

/** One framework's line of the summary. */
function summarize(runs: Run[]) {
  const final = runs.map((r) => 100 * r.testAccuracy[r.testAccuracy.length - 1]);
  const recalibrated = runs.every((r) => r.recalibratedAccuracy !== null)
    ? runs.map((r) => 100 * r.recalibratedAccuracy!)
    : null;
  const seconds = runs.flatMap((r) => r.epochSeconds), cpu = runs.flatMap((r) => r.epochCpuSeconds);
  return {
    final,
    mean: mean(final),
    sd: sd(final),
    recalibrated,
    median: median(seconds),
    meanSeconds: mean(seconds),
    cpu: median(cpu),
  };
}

const seeds = values.seeds!.split(",").map(Number);
const runs: Run[] = [];
for (const seed of seeds) {
  runs.push(await runOne("onebit", seed));
  if (!values["no-python"]) runs.push(await runOne("larq", seed));
}
const frameworks = values["no-python"] ? ["onebit"] as const : ["onebit", "larq"] as const;
const summary = Object.fromEntries(frameworks.map((f) => [f, summarize(runs.filter((r) => r.framework === f))]));
console.log(
  `\nFashion-MNIST, ${values.epochs} epochs, seeds ${seeds.join(", ")}, batch 64, learning rate ${
    values.lr === "cosine" ? "0.001 cosine-decayed to 0" : "0.001"
  }, 1 thread, split ${SPLIT_SHA256}`,
);
console.log(
  "| framework | statistics | final test accuracy per seed (%) | mean ± sd (%) | s/epoch (median) | s/epoch (mean) " +
    "| CPU s/epoch (median) |",
);
console.log("|---|---|---|---|---|---|---|");
const row = (accuracies: number[]) =>
  `${accuracies.map((a) => a.toFixed(2)).join(", ")} | ${mean(accuracies).toFixed(2)} ± ${sd(accuracies).toFixed(2)}`;
for (const [f, s] of Object.entries(summary)) {
  const times = `${s.median.toFixed(1)} | ${s.meanSeconds.toFixed(1)} | ${s.cpu.toFixed(1)}`;
  console.log(`| ${f} | moving | ${row(s.final)} | ${times} |`);
  if (s.recalibrated) console.log(`| ${f} | recalibrated | ${row(s.recalibrated)} | ${times} |`);
}
if (summary.larq) {
  const { onebit, larq } = summary;
  /** Mean and standard error of the per-seed differences onebit − larq (seeds pair up in run order). */
  const paired = (a: number[], b: number[]) => {
    const d = a.map((v, i) => v - b[i]);
    return `${mean(d).toFixed(2)} points (paired standard error ${(sd(d) / Math.sqrt(d.length)).toFixed(2)})`;
  };
  if (onebit.recalibrated && larq.recalibrated) {
    console.log(`recalibrated: onebit − larq ${paired(onebit.recalibrated, larq.recalibrated)} (target ≥ −0.3)`);
  }
  console.log(
    `moving statistics: onebit − larq ${paired(onebit.final, larq.final)}; ` +
      `time per epoch onebit / larq: ${(onebit.median / larq.median).toFixed(2)}× (median), ` +
      `${(onebit.meanSeconds / larq.meanSeconds).toFixed(2)}× (mean), ${
        (onebit.cpu / larq.cpu).toFixed(2)
      }× (CPU, median)`,
  );
}
if (values["json-out"]) {
  await writeFileAtomic(values["json-out"], new TextEncoder().encode(JSON.stringify({ runs, summary }, null, 1)));
}
