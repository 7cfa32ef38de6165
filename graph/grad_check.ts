/**
 * Central finite differences for checking gradients, in float64:
 * `checkGradients(f, xs)` compares valueAndGrads on float64 copies of `xs`
 * with (f(x + h) - f(x - h)) / 2h per element, f summed to a scalar.
 * @module
 */
import { valueAndGrads } from "./tape.ts";
import { Tensor } from "./tensor.ts";
import * as ops from "./ops.ts";

export interface GradCheckResult {
  /** Largest |analytic - numeric| / (atol + rtol·|numeric|) over all elements: ≤ 1 passes. */
  worst: number;
  where: string;
}

export function checkGradients(
  f: (...xs: Tensor[]) => Tensor,
  xs: Tensor[],
  { h = 1e-6, rtol = 1e-6, atol = 1e-7 } = {},
): GradCheckResult {
  const x64 = xs.map(ops.toFloat64);
  const total = (...a: Tensor[]) => ops.sum(f(...a));
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
