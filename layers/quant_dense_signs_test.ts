/**
 * QuantDense with larq's ste_sign on input and kernel runs as a 1×1 sign convolution on the binary kernels
 * (graph/conv.ts steSignConv2d: the latent rows and kernel bitpacked as they are); the same layer with a
 * customQuantizer of the same forward and pseudo-gradient takes the float matmul path. Same loss bit for bit (the
 * binary sums are exact integers), the same gradients up to the order of their float sums, on native (1-3
 * threads) and wasm; the input and kernel gradients are clipped where larq clips them (|x| > 1, |w| > 1).
 */
import assert from "node:assert/strict";
import { QuantDense } from "./dense.ts";
import { setTrainingKernels } from "../graph/native.ts";
import { seededRandom } from "../graph/random.ts";
import { Tensor } from "../graph/tensor.ts";
import { lossAndGrads, userSteSign } from "./_test_quant_layers.ts";
import { compiledFloatKernels } from "../kernels/_test_train_backends.ts";

for (const [label, kernels] of compiledFloatKernels) {
  Deno.test(`QuantDense: ste_sign (1×1 sign convolution) equals a customQuantizer ste_sign (matmul), ${label}`, () => {
    setTrainingKernels(kernels);
    try {
      const r = seededRandom(5);
      // [batch, features] and [batch, time, features] inputs; 64 and 40 units (not a multiple of 32).
      for (const [shape, units] of [[[64, 576], 64], [[3, 5, 96], 40], [[32, 64], 10]] as const) {
        const x = new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 3 - 1.5), [
          ...shape,
        ]);
        const common = { kernelConstraint: "weight_clip" as const, useBias: false };
        const known = new QuantDense(units, { ...common, inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign" });
        const user = new QuantDense(units, {
          ...common,
          inputQuantizer: userSteSign(),
          kernelQuantizer: userSteSign(),
        });
        const out = [...shape.slice(0, -1), units];
        const probe = new Tensor(Float32Array.from({ length: out.reduce((a, b) => a * b, 1) }, () => r() - 0.5), out);
        const a = lossAndGrads(known, x, probe, 3), b = lossAndGrads(user, x, probe, 3);
        const what = `[${shape}] -> ${units}`;
        assert.equal(a.value.item(), b.value.item(), `${what} loss`);
        a.grads.forEach((g, i) => {
          assert.deepEqual(g.shape, b.grads[i].shape, `${what} grad ${i} shape`);
          let scale = 0;
          for (const v of b.grads[i].data) scale = Math.max(scale, Math.abs(v));
          g.data.forEach((v, j) => {
            const want = b.grads[i].data[j];
            assert.ok(Math.abs(v - want) <= 1e-5 * scale, `${what} grad ${i} [${j}]: ${v} vs ${want}`);
            // Clipped exactly where the custom quantizer clips (a zero there, a value elsewhere).
            assert.equal(v === 0, want === 0, `${what} grad ${i} [${j}] clipped alike`);
          });
        });
        assert.ok(a.grads[0].data.some((v) => v === 0) && a.grads[1].data.some((v) => v === 0), `${what} clips`);
      }
    } finally {
      setTrainingKernels("auto");
    }
  });
}
