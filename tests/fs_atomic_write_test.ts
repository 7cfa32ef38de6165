/**
 * Atomic writes under `kill -9`: a child process rewrites one checkpoint in
 * a loop and is killed at random moments. After every kill the checkpoint
 * loads and at most one temporary file (the write that was under way) lies
 * beside it; the next write removes it. ONEBIT_KILLS sets the number of kills
 * (default 12; the measurement used 60).
 */
import assert from "node:assert/strict";
import { loadCheckpoint } from "../models/load.ts";
import { removeStaleTemporaries, writeFileAtomic, writeFileAtomicSync } from "../_fs.ts";

const CHILD = (mod: string, path: string) => `
import { Adam, Dense, saveCheckpoint, Sequential, Tensor } from "${mod}";
const model = new Sequential([new Dense(512), new Dense(512)], { seed: 1, inputShape: [512] });
model.apply(Tensor.fill([1, 512], 1));
const optimizer = new Adam(0.001);
for (let i = 0; ; i++) {
  await saveCheckpoint(${JSON.stringify(path)}, model, { optimizer });
  if (i === 0) console.log("ready");
}
`;

function temporaries(dir: string, base: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith(`${base}.tmp-`));
}

async function waitForLine(child: Deno.ChildProcess): Promise<void> {
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  assert.match(new TextDecoder().decode(value), /ready/);
}

Deno.test("kill -9 during checkpoint writes: the checkpoint always loads, at most one temporary file, cleaned next write", async () => {
  const dir = await Deno.makeTempDir({ prefix: "onebit-kill-" });
  const path = `${dir}/model.safetensors`;
  const script = `${dir}/writer.ts`;
  await Deno.writeTextFile(script, CHILD(new URL("../mod.ts", import.meta.url).href, path));
  const kills = Number(Deno.env.get("ONEBIT_KILLS") ?? 12);
  let seenTemporary = 0;
  try {
    for (let k = 0; k < kills; k++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", script],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      await waitForLine(child);
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel();
      const left = temporaries(dir, "model.safetensors");
      assert.ok(left.length <= 1, `after kill ${k + 1}: ${left.length} temporary files: ${left.join(", ")}`);
      seenTemporary += left.length;
      const { model } = await loadCheckpoint(path);
      assert.equal(model.layers.length, 2, `after kill ${k + 1} the checkpoint must load`);
    }
    console.log(`${kills} kills, ${seenTemporary} landed mid-write`);
    await writeFileAtomic(path, await Deno.readFile(path));
    assert.deepEqual(temporaries(dir, "model.safetensors"), [], "the next write removes the stale temporary file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stale temporaries: dead writers' files go, this process's in-flight ones and other names stay", async () => {
  const dir = await Deno.makeTempDir({ prefix: "onebit-stale-" });
  try {
    const path = `${dir}/out.tflite`;
    const dead = `${path}.tmp-999999999-abc`; // no such process
    const mine = `${path}.tmp-${Deno.pid}-zzz`; // looks like ours but no write of ours is under way
    const other = `${dir}/other.tflite.tmp-999999999-abc`;
    const unrelated = `${path}.tmp-notapid`;
    for (const f of [dead, mine, other, unrelated]) await Deno.writeTextFile(f, "x");
    removeStaleTemporaries(path);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    if (Deno.build.os === "linux") {
      assert.deepEqual(names, ["other.tflite.tmp-999999999-abc", "out.tflite.tmp-notapid"]);
    }
    writeFileAtomicSync(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...await Deno.readFile(path)], [1, 2, 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed atomic write leaves neither a partial file nor a temporary one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "onebit-fail-" });
  try {
    await Deno.mkdir(`${dir}/target`); // renaming a file over a folder fails
    await assert.rejects(writeFileAtomic(`${dir}/target`, new Uint8Array(10)));
    assert.throws(() => writeFileAtomicSync(`${dir}/target`, new Uint8Array(10)));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["target"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
