/**
 * The reference of onebit_optimizer_step_f32 (kernels_zig/optim.zig): one
 * optimizer step over a float32 weight in place, each operation rounded to
 * float32 in the order of train/optimizers.ts's op-by-op form, then the
 * weight's clip. `Math.fround` after every operation: one double operation on
 * float32 values rounded once is the float32 operation, so this equals the
 * native loop bit for bit.
 * @module
 */
import type { StructValues } from "./abi.ts";
import { OPTIMIZER_OPS } from "./_abi_generated.ts";

const f = Math.fround;

/** `p.count` values of `w` updated from `g` and the slots `s1`, `s2` by op `p.op` (an OPTIMIZER_OPS index). */
export function optimizerStep(
  p: StructValues<"OptimizerF32Params">,
  w: Float32Array,
  g: Float32Array,
  s1: Float32Array,
  s2: Float32Array,
): void {
  const op = OPTIMIZER_OPS[p.op], lr = f(p.rate), a = f(p.a), b = f(p.b), eps = f(p.epsilon);
  const lo = f(p.clamp_min), hi = f(p.clamp_max);
  if (op === undefined) throw new RangeError(`optimizer op ${p.op}: use 0 to ${OPTIMIZER_OPS.length - 1}`);
  for (let i = 0; i < p.count; i++) {
    let next: number;
    if (op === "adam") {
      s1[i] = s1[i] + f(f(g[i] - s1[i]) * a);
      s2[i] = s2[i] + f(f(f(g[i] * g[i]) - s2[i]) * b);
      next = f(w[i] - f(f(s1[i] * lr) / f(f(Math.sqrt(s2[i])) + eps)));
    } else if (op === "sgd") {
      next = f(w[i] - f(g[i] * lr));
    } else if (op === "bop") {
      s1[i] = s1[i] + f(f(g[i] - s1[i]) * lr);
      const s = w[i] < 0 ? -1 : 1, wm = f(w[i] * s1[i]);
      next = wm > a ? -s : wm === a ? 1 : s;
    } else {
      const step = f(g[i] * lr);
      s1[i] = f(s1[i] * a) - step;
      next = f(w[i] + (op === "nesterov" ? f(f(s1[i] * a) - step) : s1[i]));
    }
    // As Math.min(Math.max()): NaN stays NaN.
    w[i] = next < lo ? lo : next > hi ? hi : next;
  }
}
