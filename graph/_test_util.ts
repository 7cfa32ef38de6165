/** Helpers shared by the graph tests: seeded tensors and a gradient-check assertion. @module */
import assert from "node:assert/strict";
import { checkGradients } from "./grad_check.ts";
import { Tensor } from "./tensor.ts";

/** float64 values uniform in [lo, hi), from a seeded LCG. */
export function rand(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float64Array.from(
      { length: n },
      () => lo + (hi - lo) * ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32),
    ),
    shape,
  );
}

/** Asserts that f's gradients match central finite differences. */
export function passes(name: string, f: (...xs: Tensor[]) => Tensor, xs: Tensor[]): void {
  const r = checkGradients(f, xs);
  assert(r.worst <= 1, `${name}: ${r.where} (${r.worst.toFixed(2)}× tolerance)`);
}
