/**
 * Optimizer steps on the kernels (onebit_optimizer_step_f32: native on 1, 2
 * and 3 threads, wasm, the TS reference) against the op-by-op float32 form of
 * each rule written here with graph ops, bit for bit: Adam, SGD, SGD with
 * momentum and Nesterov, Bop, each with and without weight_clip, over
 * weights of odd sizes (one beyond the kernel's 64K thread split), with
 * NaN, ±0 and values at the clip.
 */
import assert from "node:assert/strict";
import * as ops from "../graph/ops.ts";
import { setTrainingKernels } from "../graph/native.ts";
import { Tensor, Variable } from "../graph/tensor.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { compiledFloatKernels } from "../kernels/_test_train_backends.ts";
import { type Weight, weightClip, weightClipValue } from "../layers/layer.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import { Adam, Bop, type Optimizer, SGD } from "./optimizers.ts";

/** The TS reference and every compiled float backend. */
function backends(): [string, FloatKernels | "reference"][] {
  return [["reference", "reference"], ...compiledFloatKernels];
}

/** Deterministic values in (-1.5, 1.5) with the edge values first: NaN, ±0, ±1 (the clip), 1 + 2⁻²³. */
function values(n: number, seed: number): Float32Array {
  const v = Float32Array.from({ length: n }, (_, i) => 1.5 * Math.sin(seed * 7.3 + i * 1.7));
  v.set([NaN, 0, -0, 1, -1, 1 + 2 ** -23].slice(0, n));
  return v;
}

/** The rule of each optimizer, op by op on float32 tensors (Keras's and larq's formulas), slots in `state`. */
type Rule = (w: Tensor, g: Tensor, state: Map<string, Tensor>, step: number) => Tensor;

const f = Math.fround;
const RULES: Record<string, { make: () => Optimizer; rule: Rule; binary?: boolean }> = {
  adam: {
    make: () => new Adam({ learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 }),
    rule: (w, g, s, t) => {
      const lr = f(f(0.01) * f(Math.sqrt(f(1 - f(0.99 ** t)))) / f(1 - f(0.8 ** t)));
      const m0 = s.get("m") ?? Tensor.zeros(w.shape), v0 = s.get("v") ?? Tensor.zeros(w.shape);
      const m = ops.add(m0, ops.mul(ops.sub(g, m0), 1 - 0.8)),
        v = ops.add(v0, ops.mul(ops.sub(ops.square(g), v0), 1 - 0.99));
      s.set("m", m).set("v", v);
      return ops.sub(w, ops.div(ops.mul(m, lr), ops.add(ops.sqrt(v), 1e-6)));
    },
  },
  sgd: { make: () => new SGD(0.3), rule: (w, g) => ops.sub(w, ops.mul(g, 0.3)) },
  momentum: {
    make: () => new SGD({ learningRate: 0.3, momentum: 0.7 }),
    rule: (w, g, s) => {
      const v = ops.sub(ops.mul(s.get("v") ?? Tensor.zeros(w.shape), 0.7), ops.mul(g, 0.3));
      s.set("v", v);
      return ops.add(w, v);
    },
  },
  nesterov: {
    make: () => new SGD({ learningRate: 0.3, momentum: 0.7, nesterov: true }),
    rule: (w, g, s) => {
      const step = ops.mul(g, 0.3), v = ops.sub(ops.mul(s.get("v") ?? Tensor.zeros(w.shape), 0.7), step);
      s.set("v", v);
      return ops.add(w, ops.sub(ops.mul(v, 0.7), step));
    },
  },
  bop: {
    make: () => new Bop(0.05, 0.5),
    binary: true,
    rule: (w, g, s) => {
      const m0 = s.get("m") ?? Tensor.zeros(w.shape), m = ops.add(m0, ops.mul(ops.sub(g, m0), 0.5));
      s.set("m", m);
      const sw = ops.sign(w), wm = ops.mul(w, m), tie = ops.sub(ops.greaterEqual(wm, 0.05), ops.greater(wm, 0.05));
      return ops.where(ops.greater(wm, 0.05), ops.neg(sw), ops.where(tie, 1, sw));
    },
  },
};

/** Bit patterns, so -0 differs from +0, and NaN equals NaN (whatever its payload: JS engines and CPUs differ). */
const bits = (a: Float32Array) => new Uint32Array(a.map((v) => Number.isNaN(v) ? NaN : v).buffer);

for (const [name, { make, rule, binary }] of Object.entries(RULES)) {
  Deno.test(`optimizer kernel step: ${name} equals its op-by-op float32 form bit for bit on every backend`, () => {
    for (const [label, kernels] of backends()) {
      for (const clip of [null, 1]) {
        for (const n of [1, 37, (1 << 16) + 3]) {
          setTrainingKernels(kernels);
          try {
            const weight: Weight = {
              variable: new Variable(new Tensor(values(n, 1), [n])),
              constraint: clip === null ? null : weightClip(clip),
              quantizer: binary ? new SteSign() : null,
            };
            const opt = make(), state = new Map<string, Tensor>();
            let expected = new Tensor(values(n, 1), [n]);
            for (let step = 1; step <= 3; step++) {
              const g = new Tensor(values(n, step + 1), [n]);
              const version = weight.variable.version;
              opt.apply([{ weight, grad: g }]);
              assert.ok(weight.variable.version > version, `${label}: the step bumps the variable's version`);
              expected = rule(expected, g, state, step);
              if (clip !== null) expected = ops.clipByValue(expected, -clip, clip);
              const got = bits(weight.variable.data as Float32Array), want = bits(expected.data as Float32Array);
              const at = got.findIndex((b, i) => b !== want[i]);
              assert.equal(
                at,
                -1,
                `${name} ${label} clip ${clip} n ${n} step ${step} at ${at}: ${weight.variable.data[at]} vs ${
                  expected.data[at]
                }`,
              );
            }
          } finally {
            setTrainingKernels("auto");
          }
        }
      }
    }
  });
}

Deno.test("weightClipValue: the bound of weightClip's constraints only", () => {
  assert.equal(weightClipValue(weightClip(0.5)), 0.5);
  assert.equal(weightClipValue(null), null);
  const lookalike = { ...weightClip(0.5) };
  assert.equal(weightClipValue(lookalike), null);
});

Deno.test("optimizerStep: typed errors name the argument", () => {
  const k = FloatKernels.reference(), w = new Float32Array(4);
  assert.throws(() => k.optimizerStep("adam", w, new Float32Array(3), w, w, {}), RangeError);
  assert.throws(() => k.optimizerStep("adam", w, w, new Float32Array(0), w, {}), /slot1/);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => k.optimizerStep("adamax" as any, w, w, w, w, {}), /op must be one of adam, sgd/);
  assert.throws(() => k.optimizerStep("sgd", w, w, w, w, { learningRate: NaN }), /sgd: learningRate/);
});
