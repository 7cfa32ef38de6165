/**
 * `kill -9` during writes (issue #21): child processes write with
 * saveCheckpoint, model.save, ModelCheckpoint during fit, `convert --output`,
 * saveKerasModel (.keras, .h5) and saveWeightsH5, and are killed with SIGKILL
 * at seeded random moments: half anywhere in the child's life, half while its
 * temporary file exists (the write's own window, measured first). After each
 * kill the target must be the complete old file or a complete new one
 * (compared with reference bytes), a fit checkpoint must resume training to
 * the reference's bytes, and temporary files must not pile up.
 *
 *     deno task test:kill [--kills 200] [--seed 1] [--writers checkpoint,convert,...]
 * @module
 */
import { parseArgs } from "node:util";
import { FIT_EPOCHS, WRITERS } from "./_kill_writer.ts";
import { rng } from "../tests/fuzz.ts";

/** Every writer killed: the child's library writers and the convert CLI. */
export const ALL_WRITERS = [...WRITERS, "convert"] as const;
/** One of {@link ALL_WRITERS}. */
export type KillWriter = typeof ALL_WRITERS[number];

/** One writer's tally. */
export interface KillTally {
  /** Children killed (a child that finished before its moment is not counted). */
  kills: number;
  /** The target held the complete old file after the kill. */
  old: number;
  /** It held a complete new one. */
  new: number;
  /** Anything else: must be 0. */
  corrupt: number;
  /** Kills that left a new temporary file behind (killed mid-write). */
  midWrite: number;
  /** Most temporary files beside the target at once (a killed write leaves one; the next write sweeps it). */
  maxTemporaries: number;
  /** Fit checkpoints (each epoch's reference, and some left by kills) resumed and trained on to the uninterrupted run's bytes. */
  resumed: number;
  /** Temporary files left after one clean write at the end: must be 0. */
  litter: number;
  /** The measured life of one write's temporary file (ms). */
  writeMs: number;
  /** The measured life of a child process (ms). */
  lifeMs: number;
}

const ROOT = new URL("../", import.meta.url);
const EXT: Record<KillWriter, string> = {
  checkpoint: "safetensors",
  model_save: "safetensors",
  fit_checkpoint: "safetensors",
  keras: "keras",
  h5: "h5",
  weights_h5: "h5",
  convert: "tflite",
};
/** HDF5 records object times: these files are compared outside the bytes that differ between reference runs. */
const VOLATILE = new Set<KillWriter>(["keras", "h5", "weights_h5"]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hex SHA-256 of `bytes`. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function temporaries(target: string): string[] {
  const slash = target.lastIndexOf("/");
  const dir = target.slice(0, slash), base = target.slice(slash + 1);
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith(`${base}.tmp-`));
}

/** The child writing `target` from the model of seed `variant`. */
function spawn(writer: KillWriter, variant: number, target: string, dir: string): Deno.ChildProcess {
  const script = writer === "convert" ? "convert/cli.ts" : "tools/_kill_writer.ts";
  const args = writer === "convert"
    ? [`${dir}/source${variant}.safetensors`, "--output", target]
    : [writer, String(variant), target];
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", new URL(script, ROOT).pathname, ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/**
 * Watches the target's folder (inotify on Linux) for this target's temporary
 * files: the longest time one existed (from its creation to its last event,
 * the rename), and a promise for the next creation (a write starting).
 */
function watchWrites(target: string) {
  const slash = target.lastIndexOf("/");
  // ModelCheckpoint's `{epoch}` becomes the epoch number in the file's name.
  const base = target.slice(slash + 1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("\\{epoch\\}", "\\d+");
  const temporary = new RegExp(`^${base}\\.tmp-`);
  const watcher = Deno.watchFs(target.slice(0, slash), { recursive: false });
  const created = new Map<string, number>();
  const times = { longestMs: 0 };
  const waiting: { resolve: (() => void) | null } = { resolve: null };
  (async () => {
    for await (const ev of watcher) {
      const now = performance.now();
      for (const name of ev.paths.map((p) => p.slice(p.lastIndexOf("/") + 1)).filter((n) => temporary.test(n))) {
        if (ev.kind === "create") {
          created.set(name, now);
          waiting.resolve?.();
          waiting.resolve = null;
        } else if (created.has(name)) {
          times.longestMs = Math.max(times.longestMs, now - created.get(name)!);
        }
      }
    }
  })().catch(() => {}); // ends when closed
  return {
    times,
    nextCreate: () => new Promise<void>((resolve) => (waiting.resolve = resolve)),
    close: () => watcher.close(),
  };
}

/** Runs a child to the end, watching its temporary file: the lifetimes of the file and of the child (ms). */
async function runWatched(writer: KillWriter, variant: number, target: string, dir: string) {
  const t0 = performance.now();
  const watch = watchWrites(target);
  const child = spawn(writer, variant, target, dir);
  const stderr = new Response(child.stderr).text();
  const status = await child.status;
  await sleep(20); // the last events
  watch.close();
  if (!status.success) throw new Error(`${writer} child failed: ${await stderr}`);
  return { writeMs: Math.max(1, watch.times.longestMs), lifeMs: performance.now() - t0 };
}

/** What a complete new file may be: exact hashes, or (HDF5) reference bytes with a mask of volatile positions. */
export interface Expected {
  /** The old file's SHA-256. */
  old: string;
  /** The new files' SHA-256, with the fit epoch that wrote each (0 for single writes). */
  newHashes: Map<string, number>;
  /** HDF5: one reference new file... */
  newBytes?: Uint8Array;
  /** ...and the positions that differed between reference runs (object times, checksums), widened to 4-byte fields. */
  mask?: Uint8Array;
}

function matchesMasked(bytes: Uint8Array, ref: Uint8Array, mask: Uint8Array): boolean {
  if (bytes.length !== ref.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== ref[i] && !mask[i]) return false;
  return true;
}

/** Reference runs: the old file, the new file(s), and the measured durations. */
async function references(writer: KillWriter, dir: string, target: string) {
  const refDir = `${dir}/ref-${writer}`;
  await Deno.mkdir(refDir, { recursive: true });
  await runWatched(writer, 1, target, dir);
  const old = await sha256(await Deno.readFile(target));
  const newHashes = new Map<string, number>();
  let timing = { writeMs: 0, lifeMs: 0 };
  const runs: Uint8Array[] = [];
  for (let r = 0; r < (VOLATILE.has(writer) ? 3 : 1); r++) {
    if (r > 0) await sleep(1100); // HDF5 times have one-second resolution
    const ref = `${refDir}/new${r}-{epoch}.${EXT[writer]}`; // {epoch}: ModelCheckpoint's, left as is by the others
    timing = await runWatched(writer, 2, ref, dir);
    if (writer === "fit_checkpoint") {
      for (let e = 1; e <= FIT_EPOCHS; e++) {
        newHashes.set(await sha256(await Deno.readFile(ref.replace("{epoch}", String(e)))), e);
      }
    } else {
      runs.push(await Deno.readFile(ref));
      newHashes.set(await sha256(runs[r]), 0);
    }
  }
  const expected: Expected = { old, newHashes };
  if (VOLATILE.has(writer)) {
    expected.newBytes = runs[0];
    expected.mask = new Uint8Array(runs[0].length);
    for (const run of runs.slice(1)) {
      if (run.length !== runs[0].length) throw new Error(`${writer}: reference runs differ in length`);
      for (let i = 0; i < run.length; i++) if (run[i] !== runs[0][i]) expected.mask[i] = 1;
    }
    // A time's high bytes change only every 256 s: mask the whole 4-byte field (times, checksums, CRCs) around a change.
    const changed = expected.mask.slice();
    changed.forEach((c, i) => c && expected.mask!.fill(1, Math.max(0, i - 3), i + 4));
  }
  return { expected, oldBytes: await Deno.readFile(target), timing, refDir };
}

/** Kills one child at a seeded moment; false when it finished first. */
async function killOnce(
  writer: KillWriter,
  target: string,
  dir: string,
  r: () => number,
  timing: { writeMs: number; lifeMs: number },
): Promise<boolean> {
  const child = spawn(writer, 2, target, dir);
  let done = false;
  const status = child.status.then(() => (done = true));
  const stderr = child.stderr.cancel();
  if (r() < 0.5) {
    await sleep(r() * timing.lifeMs);
  } else {
    // Wait for a write to start (fit writes one per epoch: pick one), then strike inside its window.
    await sleep(r() * timing.lifeMs * 0.5);
    const watch = watchWrites(target);
    await Promise.race([watch.nextCreate(), status]);
    watch.close();
    if (!done) await sleep(r() * timing.writeMs * 1.2);
  }
  const killed = !done;
  if (killed) {
    try {
      child.kill("SIGKILL");
    } catch { /* it ended between the check and the kill */ }
  }
  await status;
  await stderr;
  return killed;
}

/** Resumes the fit checkpoint of epoch `epoch` in a child and returns its bytes after the remaining epochs. */
async function resume(path: string, epoch: number, out: string): Promise<Uint8Array> {
  const out1 = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", new URL("tools/_kill_resume.ts", ROOT).pathname, path, String(epoch), out],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out1.success) throw new Error(`resume failed: ${new TextDecoder().decode(out1.stderr)}`);
  return await Deno.readFile(out);
}

async function checkResume(path: string, epoch: number, finalRef: Uint8Array, dir: string): Promise<void> {
  const got = await resume(path, epoch, `${dir}/resumed.safetensors`);
  if (await sha256(got) !== await sha256(finalRef)) {
    throw new Error(`the fit checkpoint of epoch ${epoch} (${path}) did not resume to the uninterrupted run's bytes`);
  }
}

/** Classifies the target after a kill: "old", "new" (with the fit epoch) or "corrupt". */
export async function classify(
  target: string,
  ex: Expected,
): Promise<{ kind: "old" | "new" | "corrupt"; epoch: number }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(target);
  } catch {
    return { kind: "corrupt", epoch: 0 }; // the old file was there: absent is a loss
  }
  const h = await sha256(bytes);
  if (h === ex.old) return { kind: "old", epoch: 0 };
  if (ex.newHashes.has(h)) return { kind: "new", epoch: ex.newHashes.get(h)! };
  if (ex.newBytes && matchesMasked(bytes, ex.newBytes, ex.mask!)) return { kind: "new", epoch: 0 };
  return { kind: "corrupt", epoch: 0 };
}

/** Kills `kills` writes of `writer` and tallies what was left on disk. */
async function killWriter(writer: KillWriter, kills: number, r: () => number, dir: string): Promise<KillTally> {
  const target = `${dir}/${writer}/target.${EXT[writer]}`;
  await Deno.mkdir(`${dir}/${writer}`, { recursive: true });
  const { expected, oldBytes, timing, refDir } = await references(writer, dir, target);
  const tally: KillTally = {
    kills: 0,
    old: 0,
    new: 0,
    corrupt: 0,
    midWrite: 0,
    maxTemporaries: 0,
    resumed: 0,
    litter: 0,
    writeMs: Math.round(timing.writeMs * 10) / 10,
    lifeMs: Math.round(timing.lifeMs),
  };
  const finalRef = writer === "fit_checkpoint" ? await Deno.readFile(`${refDir}/new0-${FIT_EPOCHS}.safetensors`) : null;
  if (finalRef) {
    // A killed run leaves one of these files byte for byte: each must resume to the uninterrupted run's end.
    for (let e = 1; e < FIT_EPOCHS; e++) {
      await checkResume(`${refDir}/new0-${e}.safetensors`, e, finalRef, dir);
      tally.resumed++;
    }
  }
  for (let attempt = 0; tally.kills < kills && attempt < kills * 4; attempt++) {
    await Deno.writeFile(target, oldBytes); // the parent's reset, not under test
    const before = new Set(temporaries(target)); // an earlier kill's, until a write sweeps it
    if (!(await killOnce(writer, target, dir, r, timing))) continue;
    tally.kills++;
    const left = temporaries(target);
    if (left.some((t) => !before.has(t))) tally.midWrite++;
    tally.maxTemporaries = Math.max(tally.maxTemporaries, left.length);
    const { kind, epoch } = await classify(target, expected);
    tally[kind]++;
    if (kind === "corrupt") await Deno.copyFile(target, `${dir}/corrupt-${writer}-${tally.kills}`).catch(() => {});
    if (finalRef && kind === "new" && epoch < FIT_EPOCHS && tally.resumed < 8) {
      await checkResume(target, epoch, finalRef, dir);
      tally.resumed++;
    }
  }
  await runWatched(writer, 2, target, dir); // one clean write sweeps the killed writes' files
  tally.litter = temporaries(target).length;
  return tally;
}

/** Runs the kill campaign: `kills` in total, shared round-robin by `writers`. */
export async function killWrites(
  options: { kills: number; seed: number; writers?: readonly KillWriter[]; dir?: string },
): Promise<Record<string, KillTally>> {
  const writers = options.writers ?? ALL_WRITERS;
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "onebit-kill-writes-" });
  const r = rng(options.seed);
  try {
    // The convert CLI reads checkpoints of both variants.
    if (writers.includes("convert")) {
      for (const v of [1, 2]) await runWatched("checkpoint", v, `${dir}/source${v}.safetensors`, dir);
    }
    const report: Record<string, KillTally> = {};
    for (const [i, writer] of writers.entries()) {
      const share = Math.floor(options.kills / writers.length) + (i < options.kills % writers.length ? 1 : 0);
      report[writer] = await killWriter(writer, share, r, dir);
    }
    const corrupt = Object.values(report).some((t) => t.corrupt > 0);
    if (corrupt) console.error(`corrupt files kept in ${dir}`);
    else if (!options.dir) await Deno.remove(dir, { recursive: true });
    return report;
  } catch (e) {
    console.error(`kill_writes failed; its files are in ${dir}`);
    throw e;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      kills: { type: "string", default: "200" },
      seed: { type: "string", default: "1" },
      writers: { type: "string" },
    },
  });
  const writers = values.writers?.split(",") as KillWriter[] | undefined;
  for (const w of writers ?? []) {
    if (!(ALL_WRITERS as readonly string[]).includes(w)) {
      console.error(`--writers: unknown writer ${w}; known: ${ALL_WRITERS.join(", ")}`);
      Deno.exit(1);
    }
  }
  const t0 = performance.now();
  const report = await killWrites({ kills: Number(values.kills), seed: Number(values.seed), writers });
  console.table(report);
  const sum = (k: keyof KillTally) => Object.values(report).reduce((s, t) => s + t[k], 0);
  console.log(
    `${sum("kills")} kills: ${sum("old")} old, ${sum("new")} new, ${sum("corrupt")} corrupt; ` +
      `${sum("midWrite")} mid-write, ${sum("resumed")} resumed bit-identically, litter after the run ${
        sum("litter")
      } (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
  if (sum("corrupt") > 0 || sum("litter") > 0) Deno.exit(1);
}
