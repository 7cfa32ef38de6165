/**
 * QuantConv2D with sign-mode quantizers (ste_sign) runs its forward pass on
 * the binary kernels; the same layer with a customQuantizer of the same
 * forward and pseudo-gradient takes the generic float path. Both must give
 * the same loss and gradients bit for bit (the binary sums are exact integers
 * and the backward pass is shared), on the TS reference, native and wasm: valid, and "same" padded with
 * larq's pad_values ±1 (the known ste_sign packs the latent input as it is: padded first for -1, padded by the
 * binary kernels for +1; at stride 2 both input gradients take the same route, so the same bits).
 */
import assert from "node:assert/strict";
import { QuantConv2D } from "./conv.ts";
import { setTrainingKernels } from "../graph/native.ts";
import { seededRandom } from "../graph/random.ts";
import { Tensor } from "../graph/tensor.ts";
import { lossAndGrads, userSteSign } from "./_test_quant_layers.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";

/** The compiled kernels that load here (native, wasm). */
const compiled = [() => FloatKernels.native(), () => FloatKernels.wasm()].flatMap((make) => {
  try {
    return [make()];
  } catch {
    return [];
  }
});

for (const kernels of ["reference" as const, ...compiled]) {
  const backend = typeof kernels === "string" ? kernels : kernels.backend;
  Deno.test(`QuantConv2D: ste_sign (binary forward) equals a customQuantizer ste_sign (generic path), ${backend}`, () => {
    setTrainingKernels(kernels);
    try {
      const r = seededRandom(3);
      for (
        const o of [
          { padding: "valid" as const },
          { padding: "same" as const, padValues: 1, strides: 2 },
          { padding: "same" as const, padValues: -1 },
        ]
      ) {
        const x = new Tensor(Float32Array.from({ length: 2 * 9 * 9 * 32 }, () => r() * 3 - 1.5), [2, 9, 9, 32]);
        const common = { ...o, kernelConstraint: "weight_clip" as const, useBias: false };
        const known = new QuantConv2D(64, 3, { ...common, inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign" });
        const user = new QuantConv2D(64, 3, {
          ...common,
          inputQuantizer: userSteSign(),
          kernelQuantizer: userSteSign(),
        });
        const shape = known.apply(x).shape;
        const probe = new Tensor(
          Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() - 0.5),
          shape,
        );
        const a = lossAndGrads(known, x, probe, 2), b = lossAndGrads(user, x, probe, 2);
        assert.equal(a.value.item(), b.value.item(), `${JSON.stringify(o)} loss`);
        a.grads.forEach((g, i) => assert.deepEqual(g.data, b.grads[i].data, `${JSON.stringify(o)} grad ${i}`));
        assert.ok(a.grads[0].data.some((v) => v !== 0) && a.grads[1].data.some((v) => v !== 0));
      }
    } finally {
      setTrainingKernels("auto");
    }
  });
}
