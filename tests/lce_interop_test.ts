/**
 * Files converted by LCE's own converter (tools/py/lce_fixtures.py: larq
 * models covering same-one and same-zero padding, odd channel counts,
 * strides, dilation, fused ReLU, BN with negative γ, bitpacked chains,
 * LceBMaxPool2d, groups, magnitude-aware scales, a QuickNet-like block)
 * run here and give LCE's interpreter outputs, on the TS reference and on
 * every native micro-kernel.
 */
import assert from "node:assert/strict";
import { Interpreter } from "../runtime/interpreter.ts";
import { nativeVariants, reference } from "./_backends.ts";

const dir = new URL("./fixtures/lce/", import.meta.url);
const manifest = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", dir)));
const quick = Deno.env.get("ONEBIT_QUICK") === "1";

function f32(b64: string): Float32Array {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

const backends = [{ label: "reference", kernels: reference }, ...nativeVariants()];

for (const [name, entry] of Object.entries<Record<string, unknown>>(manifest.models)) {
  Deno.test(`LCE file ${name}: our outputs match LCE's interpreter`, () => {
    const bytes = Deno.readFileSync(new URL(`${name}.tflite`, dir));
    const x = f32(entry.input as string);
    const expected = f32(entry.output as string);
    const list = quick ? backends.slice(0, 2) : backends;
    for (const { label, kernels } of list) {
      for (const numThreads of quick ? [1] : [1, 2]) {
        const it = Interpreter.fromBytes(bytes, { kernels, numThreads });
        assert.deepEqual(it.inputs[0].shape, entry.input_shape);
        assert.deepEqual(it.outputs[0].shape, entry.output_shape);
        const y = it.invoke([x])[0] as Float32Array;
        let worst = 0;
        for (let i = 0; i < y.length; i++) {
          // LCE's own tolerance for float outputs of binary convs (lce-compat.md).
          const err = Math.abs(y[i] - expected[i]) / (1e-3 + 1e-3 * Math.abs(expected[i]));
          worst = Math.max(worst, err);
        }
        assert(worst <= 1, `${name} on ${label}/t${numThreads}: error ${worst.toFixed(2)}× the 1e-3 tolerance`);
      }
    }
  });
}
