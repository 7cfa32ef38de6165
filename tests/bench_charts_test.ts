/**
 * Latency pictures: `deno task bench --svg` (time per op type, from the
 * interpreter's profile) and `bench:compare --svg` (a grouped bar per model
 * and runtime), parsed as strict XML with one bar per op type / per
 * (model, runtime), in the order given, bar lengths in the ratio of the
 * numbers.
 */
import assert from "node:assert/strict";
import { bench, profileSvg } from "../bench/bench.ts";
import { compareSvg, LATENCY_COLUMNS } from "../bench/_compare.ts";
import { marksOf, parseSvg, textsOf } from "../viz/_test_svg.ts";

const model = new URL("./fixtures/lce/quicknet_block.tflite", import.meta.url).pathname;

/** The widths of the bars ("M x,y h W v H h -W Z" paths), in drawing order. */
function barWidths(svg: ReturnType<typeof parseSvg>): number[] {
  return marksOf(svg, "mark-rect role-mark").map((r) => Number(/h(-?[\d.]+)/.exec(r.getAttribute("d")!)![1]));
}

function assertProportional(widths: number[], values: number[]): void {
  const scale = widths[0] / values[0];
  widths.forEach((w, i) => assert.ok(Math.abs(w - values[i] * scale) <= 0.5, `bar ${i}: ${w} vs ${values[i] * scale}`));
}

Deno.test("bench profile as SVG: a bar per op type, labelled with its count, slowest first, lengths in proportion", async () => {
  const r = await bench(model, { runs: 3, warmup: 1, profile: true, backend: "reference" });
  const svg = parseSvg(await profileSvg(r));
  const types = r.by_type!;
  assert.equal(marksOf(svg, "mark-rect role-mark").length, types.length);
  const labels = textsOf(svg, "role-axis-label").filter((t) => /\(\d+\)$/.test(t));
  assert.deepEqual(labels, types.map((t) => `${t.op} (${t.count})`));
  assert.deepEqual(textsOf(svg, "role-axis-title"), ["ms per invoke (all ops of the type)"]);
  assert.match(textsOf(svg, "role-title-text")[0], /^quicknet_block\.tflite: median [\d.]+ ms, reference, 1 thread/);
  assertProportional(barWidths(svg), types.map((t) => t.ms));
  await assert.rejects(profileSvg({ ...r, by_type: undefined }), /has no profile/);
});

Deno.test("deno task bench --svg FILE writes the chart (and implies --profile)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../bench/bench.ts", import.meta.url).pathname,
        model,
        "--runs",
        "2",
        "--svg",
        `${dir}/p.svg`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.match(text, /by op type:/);
    const svg = parseSvg(await Deno.readTextFile(`${dir}/p.svg`));
    assert.ok(marksOf(svg, "mark-rect role-mark").length >= 5);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["p.svg"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench:compare table as SVG: per model a bar per runtime present, a legend entry per runtime, the CPU named", async () => {
  const rows: Record<string, number | string>[] = [
    { model: "quicknet", cpu: "AMD EPYC", onebit_t1_ms: 10, lce_t1_ms: 40, litert_t1_ms: 30, vs_lce_t1: 4 },
    { model: "birealnet", cpu: "AMD EPYC", onebit_t1_ms: 20, lce_t1_ms: 60, tfjs_wasm_t1_ms: 200 },
  ];
  const svg = parseSvg(await compareSvg(rows));
  assert.equal(marksOf(svg, "mark-rect role-mark").length, 6);
  assert.deepEqual(textsOf(svg, "role-legend-label"), [
    "onebit native 1T",
    "LCE 1T",
    "LiteRT (XNNPACK, float) 1T",
    "tfjs-wasm (float) 1T",
  ]);
  assert.deepEqual(textsOf(svg, "role-axis-label").filter((t) => /[a-z]/.test(t)), ["quicknet", "birealnet"]);
  assert.match(textsOf(svg, "role-title-text")[0], /on AMD EPYC$/);
  assertProportional(barWidths(svg), [10, 40, 30, 20, 60, 200]);
  assert.equal(new Set(LATENCY_COLUMNS.map(([k]) => k)).size, LATENCY_COLUMNS.length);
  await assert.rejects(compareSvg([]), /no rows/);
  await assert.rejects(compareSvg([{ cpu: "x" }] as never), /rows\[0\]\.model is undefined/);
});

Deno.test("bench:compare --from rows.json --svg FILE draws an earlier run without measuring", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/rows.json`,
      JSON.stringify([{ model: "quicknet", onebit_t1_ms: 5, lce_t1_ms: 50 }]),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../bench/compare.ts", import.meta.url).pathname,
        "--from",
        `${dir}/rows.json`,
        "--svg",
        `${dir}/c.svg`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(marksOf(parseSvg(await Deno.readTextFile(`${dir}/c.svg`)), "mark-rect role-mark").length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
