/**
 * larq on TensorFlow training the bench models (tools/py/larq_train_bench.py, in the project's venv): the one
 * runner `bench:train` and `bench/ab_train.ts` share.
 * @module
 */

/** Wall and CPU ms per batch of a run: each batch's times. */
export interface TrainTimes {
  /** Wall-clock ms of each timed batch. */
  wall: number[];
  /** CPU ms (every thread of the process) of each timed batch. */
  cpu: number[];
}

const root = new URL("../", import.meta.url).pathname;

/**
 * larq/TF's wall and CPU ms of `batches` training steps of `model` (mnist | quicknet_small) on `threads` threads,
 * after `warmup` steps (default: the script's).
 */
export async function larqTrain(model: string, threads: number, batches: number, warmup?: number): Promise<TrainTimes> {
  const out = await new Deno.Command(`${root}.tools/venv/bin/python`, {
    args: [
      "tools/py/larq_train_bench.py",
      "--model",
      model,
      "--threads",
      String(threads),
      "--batches",
      String(batches),
      ...(warmup === undefined ? [] : ["--warmup", String(warmup)]),
    ],
    env: { PYTHONPATH: "tools/py", TF_CPP_MIN_LOG_LEVEL: "3" },
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).slice(-2000));
  const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  return { wall: r.ms_per_batch, cpu: r.cpu_ms_per_batch };
}
