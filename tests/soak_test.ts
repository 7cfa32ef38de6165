/**
 * The soak's short form (the long one is `deno task soak`): 20,000 invokes
 * of the MNIST BNN per backend in a process of its own (RSS, threads and
 * descriptors are per process, and `deno test --parallel` shares one), and
 * checks that the soak's own checks catch what they promise to.
 */
import assert from "node:assert/strict";
import { type Invokable, MAX_RSS_GROWTH, soak, SOAK_V8_FLAGS, soakFailures, type SoakRun } from "./soak.ts";

const inputs = [new Float32Array([1, 2]), new Float32Array([3, 4])];
const options = { invokes: 1000, warmup: 100, samples: 4 };

/** Doubles its input; `fault` may change what one call returns or keep memory alive. */
function model(fault: (call: number, out: Float32Array) => void = () => {}): Invokable {
  let calls = 0;
  return {
    invoke([x]) {
      const out = (x as Float32Array).map((v) => 2 * v);
      fault(calls++, out);
      return [out];
    },
  };
}

// RSS, threads and descriptors are per process and `deno test --parallel` runs other files in this one: the
// tests here check the counts with made-up samples, and real ones only where other files cannot hide them.

Deno.test("soak: a steady model's outputs all match, sampled at equal steps", () => {
  const r = soak(model(), inputs, "steady", options);
  assert.equal(r.mismatches, 0);
  assert.deepEqual(r.samples.map((s) => s.invokes), [0, 250, 500, 750, 1000]);
  assert.equal(r.rssGrowth, r.end.rss - r.start.rss);
});

Deno.test("soak: one output that differs by one bit (even -0 for +0) is counted", () => {
  const flip = soak(
    model((call, out) => call === 500 && (out[1] = Math.fround(out[1] + 2 ** -20))),
    inputs,
    "",
    options,
  );
  assert.equal(flip.mismatches, 1);
  const negativeZero = soak(
    model((call, out) => call === 700 && (out[0] = -0)),
    [new Float32Array([0, 1])],
    "",
    options,
  );
  assert.equal(negativeZero.mismatches, 1);
  assert.ok(soakFailures(flip).includes("1 outputs differ from the first"));
});

Deno.test("soak: memory kept by a leaking model shows as RSS growth", () => {
  const kept: Uint8Array[] = [];
  // 128 MiB kept over the measured invokes (pages written, so resident). Far more than the freed but still resident
  // heap that earlier test files in the same process can leave, which had absorbed an 8 MiB leak (RSS +124 KiB).
  const leaky = model((call) => call >= 100 && call < 228 && kept.push(new Uint8Array(1 << 20).fill(call)));
  const r = soak(leaky, inputs, "leaky", options);
  assert.ok(r.rssGrowth >= MAX_RSS_GROWTH, `grew only ${r.rssGrowth} bytes`);
  assert.equal(kept.length, 128);
});

Deno.test("soak: growth from 1 MiB up, and any thread or descriptor change, are failures", () => {
  const stats = { rss: 100 << 20, heapTotal: 10 << 20, threads: 7, fds: 20 };
  const run = (end: Partial<typeof stats>): SoakRun => ({
    backend: "",
    invokes: 1,
    warmup: 1,
    usPerInvoke: 1,
    mismatches: 0,
    samples: [],
    rssGrowth: (end.rss ?? stats.rss) - stats.rss,
    start: stats,
    end: { ...stats, ...end },
  });
  assert.deepEqual(soakFailures(run({ rss: stats.rss + MAX_RSS_GROWTH - 1 })), []);
  assert.deepEqual(soakFailures(run({ rss: stats.rss + MAX_RSS_GROWTH })), ["RSS grew by 1.00 MiB"]);
  assert.deepEqual(soakFailures(run({ threads: 8 })), ["threads 7 -> 8"]);
  assert.deepEqual(soakFailures(run({ threads: 6 })), ["threads 7 -> 6"]);
  assert.deepEqual(soakFailures(run({ fds: 21 })), ["open fds 20 -> 21"]);
});

Deno.test("soak: bad counts are RangeErrors naming the option", () => {
  assert.throws(() => soak(model(), inputs, "", { ...options, invokes: 0 }), /invokes must be an integer >= 1, got 0/);
  assert.throws(() => soak(model(), inputs, "", { ...options, warmup: 1 }), /warmup must be an integer >= 2/);
  assert.throws(() => soak(model(), inputs, "", { ...options, samples: 1.5 }), RangeError);
});

Deno.test("soak (short form): 20,000 invokes of the MNIST BNN on native 1 and 2 threads and on wasm", async () => {
  const script = new URL("./soak.ts", import.meta.url);
  const args = ["run", "-A", `--v8-flags=${SOAK_V8_FLAGS}`, script.pathname, "--json", "--invokes", "20000"];
  args.push("--warmup", "5000", "--samples", "4", "--backends", "native/t1,native/t2,wasm/t1");
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.signal, null, stderr);
  const report: { gc: boolean; runs: SoakRun[] } = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.ok(report.gc, "the soak collects garbage before each sample");
  assert.deepEqual(report.runs.map((r) => r.backend.split(" ")[0]), ["native/t1", "native/t2", "wasm/t1"]);
  for (const r of report.runs) {
    assert.equal(r.invokes, 20000);
    assert.deepEqual(soakFailures(r), [], r.backend);
    assert.ok(r.start.threads! > 0 && r.start.fds! > 0, "threads and descriptors were counted");
  }
  assert.equal(out.code, 0, stderr);
});
