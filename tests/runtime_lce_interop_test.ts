/**
 * Files converted by LCE's own converter (and, for float builtins, by
 * TensorFlow's, checked against LiteRT) (tools/py/lce_fixtures.py: larq
 * models covering same-one and same-zero padding, odd channel counts,
 * strides, dilation, fused ReLU, BN with negative γ, bitpacked chains,
 * LceBMaxPool2d, groups, magnitude-aware scales, a QuickNet-like block)
 * run here and give LCE's interpreter outputs, on the TS reference, on
 * every native micro-kernel and on every micro-kernel of both wasm modules.
 */
import assert from "node:assert/strict";
import { Interpreter } from "../runtime/interpreter.ts";
import {
  floatNative,
  floatReference,
  floatVariants,
  floatWasm,
  floatWasmVariants,
  nativeVariants,
  reference,
  wasm,
  wasmVariants,
} from "./_backends.ts";

// ONEBIT_FIXTURES (tools/interop.sh) points at freshly regenerated fixtures.
const fixtures = Deno.env.get("ONEBIT_FIXTURES");
const dir = fixtures ? new URL(`file://${fixtures}/`) : new URL("./fixtures/lce/", import.meta.url);
const manifest = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", dir)));
const quick = Deno.env.get("ONEBIT_QUICK") === "1";

function f32(b64: string): Float32Array {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

// Every binary micro-kernel with the default float one, and every float
// micro-kernel with the default binary one, of the same backend (native, or
// the default wasm module); the reference for both.
const backends = [
  { label: "reference", kernels: reference, float: floatReference },
  ...nativeVariants().map((b) => ({ ...b, float: floatNative })),
  ...floatVariants().map((f) => ({ ...f, kernels: undefined })),
  ...wasmVariants().map((b) => ({ ...b, float: floatWasm })),
  ...floatWasmVariants().map((f) => ({ ...f, kernels: wasm })),
];

interface Data {
  shape: number[];
  data: string;
}

for (const [name, entry] of Object.entries<{ runner: string; inputs: Data[]; outputs: Data[] }>(manifest.models)) {
  Deno.test(`${name}.tflite: our outputs match ${entry.runner}'s`, () => {
    const bytes = Deno.readFileSync(new URL(`${name}.tflite`, dir));
    const xs = entry.inputs.map((d) => f32(d.data));
    const list = quick ? backends.slice(0, 2) : backends;
    for (const { label, kernels, float } of list) {
      for (const numThreads of quick ? [1] : [1, 2]) {
        const it = Interpreter.fromBytes(bytes, { kernels, floatKernels: float, numThreads });
        assert.deepEqual(it.inputs.map((s) => s.shape), entry.inputs.map((d) => d.shape));
        assert.deepEqual(it.outputs.map((s) => s.shape), entry.outputs.map((d) => d.shape));
        const ys = it.invoke(xs);
        entry.outputs.forEach((d, k) => {
          const expected = f32(d.data), y = ys[k] as Float32Array;
          let worst = 0;
          for (let i = 0; i < y.length; i++) {
            // LCE's own tolerance for float outputs of binary convs (lce-compat.md).
            worst = Math.max(worst, Math.abs(y[i] - expected[i]) / (1e-3 + 1e-3 * Math.abs(expected[i])));
          }
          assert(
            worst <= 1,
            `${name} output ${k} on ${label}/t${numThreads}: error ${worst.toFixed(2)}× the 1e-3 tolerance`,
          );
        });
      }
    }
  });
}
