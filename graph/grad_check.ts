/**
 * Central finite differences for checking gradients, in float64:
 * `checkGradients(f, xs)` compares valueAndGrads on float64 copies of `xs`
 * with (L(x + h) - L(x - h)) / 2h per element, where L = Σ f(x)·r for a
 * fixed pseudo-random r: a plain sum would seed every output with the same
 * gradient and hide mixed-up output indices.
 * @module
 */
import { valueAndGrads } from "./tape.ts";
import { Tensor } from "./tensor.ts";
import * as ops from "./ops.ts";

/** What {@link checkGradients} found: the worst element and where it is. */
export interface GradCheckResult {
  /** Largest |analytic - numeric| / (atol + rtol·|numeric|) over all elements: ≤ 1 passes. */
  worst: number;
  /** The worst element, e.g. `input 1[3]: analytic 0.25, numeric 0.2500001`; empty when every error is 0. */
  where: string;
}

/**
 * Checks the gradients `valueAndGrads` computes for `f` at `xs` against central finite differences, in float64 (see the
 * module description). Options: step `h` (default 1e-6), `rtol` (1e-6) and `atol` (1e-7); the result passes when
 * `worst` ≤ 1.
 */
export function checkGradients(
  f: (...xs: Tensor[]) => Tensor,
  xs: Tensor[],
  { h = 1e-6, rtol = 1e-6, atol = 1e-7 } = {},
): GradCheckResult {
  const x64 = xs.map(ops.toFloat64);
  const shape = f(...x64).shape;
  let seed = 12345;
  const r = new Tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return 0.5 + seed / 2 ** 32; // in [0.5, 1.5): no cancellation, every output weighted differently
    }),
    shape,
  );
  const total = (...a: Tensor[]) => ops.sum(ops.mul(f(...a), r));
  const { grads } = valueAndGrads(() => total(...x64), x64);
  let worst = 0, where = "";
  x64.forEach((x, i) => {
    for (let k = 0; k < x.size; k++) {
      const plus = x64.map((t, j) => (j === i ? bump(t, k, h) : t));
      const minus = x64.map((t, j) => (j === i ? bump(t, k, -h) : t));
      const numeric = (total(...plus).item() - total(...minus).item()) / (2 * h);
      const err = Math.abs(grads[i].data[k] - numeric) / (atol + rtol * Math.abs(numeric));
      if (err > worst) {
        worst = err;
        where = `input ${i}[${k}]: analytic ${grads[i].data[k]}, numeric ${numeric}`;
      }
    }
  });
  return { worst, where };
}

function bump(t: Tensor, k: number, h: number): Tensor {
  const d = Float64Array.from(t.data);
  d[k] += h;
  return new Tensor(d, t.shape);
}
