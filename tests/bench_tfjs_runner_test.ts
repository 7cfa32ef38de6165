/**
 * bench/_tfjs_tflite.ts, the TensorFlow.js runner bench:zoo and
 * bench:compare time on the float-equivalent zoo files: its mappings of the
 * ops these files hold besides convolutions (MAXIMUM / MINIMUM with a
 * constant, PRELU, SPLIT's several outputs) give LiteRT's outputs on the
 * committed builtin fixtures (tools/py/builtin_fixtures.py); STRIDED_SLICE
 * is mapped for shape vectors only (tfjs differs from TFLite on some larger
 * slices) and refuses the fixtures' slices of tensors.
 * Whole zoo models are checked against LiteRT by each bench:zoo run.
 */
import assert from "node:assert/strict";
import { initTfjsWasm, tfjsModel } from "../bench/_tfjs_tflite.ts";

const dir = new URL("./fixtures/builtins/", import.meta.url);
const manifest = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", dir))) as Record<
  string,
  { op: string; inputs: { data: string }[]; outputs: { shape: number[]; data: string }[] }
>;
const MAPPED = new Set(["MAXIMUM", "MINIMUM", "PRELU", "SPLIT"]);

function f32(b64: string): Float32Array {
  return new Float32Array(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
}

await initTfjsWasm(1);
const cases = Object.entries(manifest).filter(([, e]) => MAPPED.has(e.op) && e.inputs.length === 1);

Deno.test("the tfjs runner covers the single-input fixtures of each mapped op", () => {
  assert.deepEqual(new Set(cases.map(([, e]) => e.op)), MAPPED);
});

for (const [name, entry] of cases) {
  Deno.test(`tfjs runner: builtins/${name}.tflite (${entry.op}) gives LiteRT's outputs`, async () => {
    const model = tfjsModel(Deno.readFileSync(new URL(`${name}.tflite`, dir)));
    const ys = await model.run(f32(entry.inputs[0].data));
    model.dispose();
    assert.equal(ys.length, entry.outputs.length, `${name}: outputs`);
    entry.outputs.forEach((d, k) =>
      assert.deepEqual(Array.from(ys[k]), Array.from(f32(d.data)), `${name} output ${k}`)
    );
  });
}

Deno.test("tfjs runner: STRIDED_SLICE of a tensor (not a shape vector) is refused, not run", async () => {
  const model = tfjsModel(Deno.readFileSync(new URL("slice_shrink_negative.tflite", dir)));
  await assert.rejects(model.run(new Float32Array(2 * 5 * 6 * 3)), /STRIDED_SLICE is mapped for rank-1 inputs/);
  model.dispose();
});
