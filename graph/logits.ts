/**
 * Which tensors are the outputs of a softmax or a sigmoid, and of which
 * logits: Keras's `_keras_logits`. A probabilistic loss given such an output
 * computes from the logits (no ε-clipping of probabilities, so confident
 * mistakes still get a gradient). Marks live in a WeakMap: they cost
 * nothing once the output is garbage.
 * @module
 */
import type { Tensor } from "./tensor.ts";

/** The activation that turned the logits into the marked output. */
export type LogitsKind = "softmax" | "sigmoid";

/** The logits a marked output came from, and through which activation. */
export interface MarkedLogits {
  /** The tensor the activation consumed. */
  logits: Tensor;
  /** The activation that made the marked output. */
  kind: LogitsKind;
}

const MARKS = new WeakMap<Tensor, MarkedLogits>();

/** Records that `output` is `kind(logits)` (ops.softmax and ops.sigmoid call this). */
export function markLogits(output: Tensor, logits: Tensor, kind: LogitsKind): void {
  MARKS.set(output, { logits, kind });
}

/**
 * The logits `t` was computed from by a softmax or a sigmoid, or undefined.
 *
 * @example
 * ```ts
 * import { logitsOf } from "./logits.ts";
 * import * as ops from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * const z = Tensor.from([[1, 2, 3]]);
 * const p = ops.softmax(z);
 * console.log(logitsOf(p)?.logits === z, logitsOf(p)?.kind, logitsOf(z)); // true softmax undefined
 * ```
 */
export function logitsOf(t: Tensor): MarkedLogits | undefined {
  return MARKS.get(t);
}
