/**
 * The float micro-kernels' register-only multiply-add loops
 * (`FloatKernels.peakLoop`, `onebit_fma_peak_loop`): the float half of the
 * hardware limit bench/_limit.ts measures. Every supported float
 * micro-kernel of the native library and the wasm module runs its loop and
 * reports mr·nr MACs an iteration per thread; bad arguments are refused.
 */
import assert from "node:assert/strict";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { BinaryKernels } from "../kernels/binary_kernels.ts";

const native = (() => {
  try {
    return FloatKernels.native();
  } catch {
    return undefined;
  }
})();
const sets = native ? [native, FloatKernels.wasm()] : [FloatKernels.wasm()];

Deno.test("FloatKernels.peakLoop: every supported float micro-kernel, 1 and 2 threads, mr*nr MACs an iteration", () => {
  for (const k of sets) {
    const supported = k.ukernels().filter((u) => u.supported);
    assert.ok(supported.length >= 2, `${k.backend}: a portable kernel and a SIMD one`);
    for (const u of supported) {
      assert.equal(u.peakMacsPerIteration, u.mr * u.nr, u.name);
      for (const threads of [1, 2]) {
        if (k.backend === "wasm" && threads > 1) continue; // the default wasm module has one thread
        assert.equal(k.peakLoop(u.name, 1000, threads), threads * 1000 * u.mr * u.nr, `${u.name} on ${threads}`);
      }
      assert.equal(k.peakLoop(u.index, 0), 0);
    }
  }
});

Deno.test("FloatKernels.peakLoop: refuses the reference backend, unknown kernels and bad counts", () => {
  assert.throws(() => FloatKernels.reference().peakLoop(0, 10), /FloatKernels\.native\(\) or \.wasm\(\)/);
  for (const k of sets) {
    assert.throws(() => k.peakLoop("sgemm_1x1__nope", 10), /unknown float micro-kernel "sgemm_1x1__nope"/);
    assert.throws(() => k.peakLoop(0, -1), RangeError);
    assert.throws(() => k.peakLoop(0, 1.5), TypeError);
    assert.throws(() => k.peakLoop(0, 10, 0), RangeError);
    for (const u of k.ukernels().filter((u) => !u.supported)) {
      assert.throws(() => k.peakLoop(u.name, 10), /CPU features/);
    }
  }
  // The binary set still runs its own loop, and names its class when it cannot.
  assert.throws(() => BinaryKernels.reference().peakLoop(0, 10), /BinaryKernels\.native\(\) or \.wasm\(\)/);
});
