/**
 * What the quantized-layer tests share: larq's ste_sign written as a user's customQuantizer (the generic path, no
 * binarizeMode), and a layer's loss and gradients under a random probe.
 * @module
 */
import * as ops from "../graph/ops.ts";
import { seededRandom } from "../graph/random.ts";
import { valueAndGrads } from "../graph/tape.ts";
import { Tensor, type Variable } from "../graph/tensor.ts";
import { clippedGradient } from "../quantizers/_common.ts";
import type { Quantizer } from "../quantizers/quantizer.ts";
import { customQuantizer } from "../quantizers/registry.ts";

/** larq's ste_sign written by a user: generic path (no binarizeMode). */
export const userSteSign = (): Quantizer =>
  customQuantizer((x) => ({ value: ops.sign(x), grad: (dy) => clippedGradient(x, dy, 1) }), {
    precision: 1,
    name: "user_ste_sign",
  });

/**
 * Σ(layer(x)·probe) in training mode and its gradients for x and the kernel, the layer built on x and its latent
 * kernel set to seeded values in [-spread/2, spread/2).
 */
export function lossAndGrads(
  layer: { apply(x: Tensor, o: { training: boolean }): Tensor; apply(x: Tensor): Tensor; kernel: Variable },
  x: Tensor,
  probe: Tensor,
  spread: number,
) {
  layer.apply(x); // builds
  const r = seededRandom(7);
  layer.kernel.assign(
    new Tensor(Float32Array.from(layer.kernel.data, () => r() * spread - spread / 2), layer.kernel.shape),
  );
  return valueAndGrads(() => ops.sum(ops.mul(layer.apply(x, { training: true }), probe)), [x, layer.kernel]);
}
