/**
 * The short form of `deno task test:kill` (tools/kill_writes.ts): one
 * SIGKILL per writer (saveCheckpoint, model.save, ModelCheckpoint in fit,
 * convert --output, .keras, .h5, weights .h5), every fit checkpoint resumed
 * to the uninterrupted run's bytes, no litter; and the classifier itself
 * tells a torn file from a complete one.
 */
import assert from "node:assert/strict";
import { classify, type Expected, killWrites, sha256 } from "../tools/kill_writes.ts";

Deno.test("kill -9 during every writer: old or new file, never torn; fit checkpoints resume exactly; no litter", async () => {
  const report = await killWrites({ kills: Number(Deno.env.get("ONEBIT_KILLS") ?? 7), seed: 20261206 });
  console.log(JSON.stringify(report));
  for (const [writer, t] of Object.entries(report)) {
    assert.equal(t.corrupt, 0, `${writer}: ${JSON.stringify(t)}`);
    assert.equal(t.litter, 0, `${writer}: ${JSON.stringify(t)}`);
    assert.ok(t.maxTemporaries <= 1, `${writer}: ${JSON.stringify(t)}`);
    assert.equal(t.old + t.new, t.kills, `${writer}: ${JSON.stringify(t)}`);
  }
  assert.ok(report.fit_checkpoint.resumed >= 3, JSON.stringify(report.fit_checkpoint));
});

Deno.test("kill classifier: a truncated or altered file is corrupt, a volatile-only difference is new", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const old = new Uint8Array([1, 2, 3, 4]), fresh = new Uint8Array([5, 6, 7, 8, 9]);
    const ex: Expected = {
      old: await sha256(old),
      newHashes: new Map([[await sha256(fresh), 0]]),
      newBytes: fresh,
      mask: new Uint8Array([0, 0, 1, 0, 0]),
    };
    const kind = async (bytes: Uint8Array | null) => {
      if (bytes) await Deno.writeFile(`${dir}/t`, bytes);
      else await Deno.remove(`${dir}/t`);
      return (await classify(`${dir}/t`, ex)).kind;
    };
    assert.equal(await kind(old), "old");
    assert.equal(await kind(fresh), "new");
    assert.equal(await kind(new Uint8Array([5, 6, 0, 8, 9])), "new");
    assert.equal(await kind(fresh.subarray(0, 4)), "corrupt");
    assert.equal(await kind(new Uint8Array([5, 6, 7, 8, 0])), "corrupt");
    assert.equal(await kind(null), "corrupt");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
