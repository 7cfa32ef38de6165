/**
 * One row of a softmax in float64, shared by `ops.softmax` and `nn.sparseSoftmaxCrossEntropy`.
 * @module
 */
import type { Data } from "./tensor.ts";

/**
 * Writes softmax(x[o .. o + depth)) into p[q .. q + depth) as TF computes it (e = exp(x − max), then e / Σe, all in
 * float64) and returns the row's log-sum-exp, max + log Σe.
 */
export function softmaxRow(x: Data, o: number, depth: number, p: Float64Array, q: number): number {
  let m = -Infinity;
  for (let i = 0; i < depth; i++) m = Math.max(m, x[o + i]);
  let s = 0;
  for (let i = 0; i < depth; i++) s += p[q + i] = Math.exp(x[o + i] - m);
  for (let i = 0; i < depth; i++) p[q + i] /= s;
  return m + Math.log(s);
}
