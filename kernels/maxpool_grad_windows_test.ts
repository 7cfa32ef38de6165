/**
 * Max pooling's one-pass gradient for windows that do not overlap (TrainKernels.maxPoolGradWindows,
 * kernels_zig/train_pool.zig maxpoolGradWindows): the bits of the scatter (maxPoolGrad, zero then add each dy at
 * its argmax) on the reference, native 1/2/3 threads and wasm, over a sweep of geometries (strides equal to and
 * above the pool size, both paddings, inputs no window covers, channels around the 32-channel chunks), with
 * -0, NaN and ties in the data.
 */
import assert from "node:assert/strict";
import { FloatKernels } from "./float_kernels.ts";
import { TrainKernels } from "./train_kernels.ts";
import { compiledTrainKernels } from "./_test_train_backends.ts";
import type { WindowGeometry } from "./geometry.ts";

function geometries(): WindowGeometry[] {
  const out: WindowGeometry[] = [];
  const pools: [[number, number], [number, number]][] = [
    [[2, 2], [2, 2]],
    [[3, 3], [3, 3]],
    [[2, 3], [3, 3]],
    [[2, 2], [3, 2]],
    [[1, 1], [2, 2]],
  ];
  let i = 0;
  for (const c of [1, 5, 31, 32, 33, 64, 70]) {
    for (const [kernelSize, strides] of pools) {
      for (const padding of ["valid", "same"] as const) {
        i++;
        out.push({ inputShape: [1 + (i % 2), 7 + (i % 4), 6 + (i % 5), c], kernelSize, strides, padding });
      }
    }
  }
  // larq's MNIST CNN's first pool, on enough rows to run threaded.
  out.push({ inputShape: [16, 26, 26, 32], kernelSize: [2, 2], strides: [2, 2] });
  return out;
}

function sameBits(got: Float32Array, want: Float32Array, what: string): void {
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

Deno.test("maxPoolGradWindows: the scatter's bits on every backend, for disjoint windows", () => {
  const reference = TrainKernels.reference(), pool = FloatKernels.reference();
  for (const g of geometries()) {
    const n = g.inputShape.reduce((a, b) => a * b, 1), what = JSON.stringify(g);
    // Few distinct values (ties), a NaN; dy with -0 (0 + -0 is +0) and a NaN.
    const x = Float32Array.from({ length: n }, (_, i) => Math.round(Math.sin(i * 2.3) * 3));
    x[1] = NaN;
    const bound = pool.bindMaxPoolArgmax(g);
    const y = new Float32Array(bound.outputLength), arg = new Int32Array(bound.outputLength);
    bound.run(x, y, arg);
    const dy = Float32Array.from({ length: y.length }, (_, i) => i % 5 === 0 ? -0 : Math.cos(i * 0.7));
    dy[dy.length - 1] = NaN;
    const want = reference.maxPoolGrad(dy, arg, n);
    sameBits(reference.maxPoolGradWindows(dy, arg, g), want, `reference ${what}`);
    for (const [label, k] of compiledTrainKernels) sameBits(k.maxPoolGradWindows(dy, arg, g), want, `${label} ${what}`);
  }
});

Deno.test("maxPoolGradWindows: overlapping windows and wrong lengths are RangeErrors naming them", () => {
  for (const k of [TrainKernels.reference(), ...compiledTrainKernels.map((e) => e[1])]) {
    const g: WindowGeometry = { inputShape: [1, 4, 4, 1], kernelSize: [2, 2], strides: [1, 2] };
    assert.throws(
      () => k.maxPoolGradWindows(new Float32Array(6), new Int32Array(6), g),
      (e: Error) => e instanceof RangeError && /strides \[1, 2\]/.test(e.message) && /maxPoolGrad\)/.test(e.message),
    );
    const ok: WindowGeometry = { ...g, strides: [2, 2] };
    assert.throws(() => k.maxPoolGradWindows(new Float32Array(3), new Int32Array(4), ok), /dy/);
    assert.throws(() => k.maxPoolGradWindows(new Float32Array(4), new Int32Array(3), ok), /argmax/);
  }
});
