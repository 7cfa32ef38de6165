/**
 * Training's matmul and conv2d on the native SGEMM against the TypeScript
 * loops, forward and gradients, on a sweep of shapes (transposes, strides,
 * dilations, both paddings, 1×1 and non-square kernels). Tolerance: 1e-4
 * relative to the largest magnitude, because the native kernels accumulate
 * in float32 (FMA) and the loops in float64.
 */
import assert from "node:assert/strict";
import { conv2d } from "./conv.ts";
import { setTrainingKernels, trainingKernels } from "./native.ts";
import * as ops from "./ops.ts";
import { valueAndGrads } from "./tape.ts";
import { Tensor } from "./tensor.ts";
import { seededRandom } from "../graph/random.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";

const requireNative = Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1";
const native = (() => {
  try {
    return FloatKernels.native();
  } catch (e) {
    if (requireNative) throw e;
    return null;
  }
})();

function random(shape: number[], r: () => number): Tensor {
  return new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape);
}

function close(a: Tensor, b: Tensor, what: string): void {
  assert.deepEqual(a.shape, b.shape, what);
  let scale = 0;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.size; i++) {
    if (!(Math.abs(a.data[i] - b.data[i]) <= 1e-4 * Math.max(1, scale))) {
      assert.fail(`${what}[${i}]: native ${a.data[i]} vs TS ${b.data[i]}`);
    }
  }
}

/** Value and gradients of sum(f(inputs)·probe) with the given kernels. */
function run(kernels: FloatKernels | "reference", f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], probe: Tensor) {
  setTrainingKernels(kernels);
  try {
    return valueAndGrads(() => ops.sum(ops.mul(f(...inputs), probe)), inputs);
  } finally {
    setTrainingKernels("auto");
  }
}

Deno.test({
  name: "training kernels: native matmul (every transpose) equals the TS loop, value and gradients",
  ignore: native === null,
  fn() {
    const r = seededRandom(1);
    for (const [m, k, n] of [[64, 96, 40], [33, 65, 17], [128, 9, 300], [50, 30, 64]]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = random(ta ? [k, m] : [m, k], r), b = random(tb ? [n, k] : [k, n], r), probe = random([m, n], r);
          const f = (x: Tensor, y: Tensor) => ops.matmul(x, y, ta, tb);
          const want = run("reference", f, [a, b], probe), got = run(native!, f, [a, b], probe);
          const what = `matmul ${m}×${k}×${n} ta=${ta} tb=${tb}`;
          close(got.value, want.value, `${what} value`);
          got.grads.forEach((g, i) => close(g, want.grads[i], `${what} grad ${i}`));
        }
      }
    }
  },
});

Deno.test({
  name: "training kernels: native conv2d equals the TS loops, forward and both gradients",
  ignore: native === null,
  fn() {
    const r = seededRandom(2);
    const cases = [
      { x: [2, 12, 12, 3], w: [3, 3, 3, 16], strides: 1, dilations: 1, padding: "valid" },
      { x: [2, 11, 9, 8], w: [3, 3, 8, 12], strides: 2, dilations: 1, padding: "same" },
      { x: [1, 13, 13, 5], w: [3, 2, 5, 7], strides: 1, dilations: 2, padding: "same" },
      { x: [3, 8, 8, 32], w: [1, 1, 32, 24], strides: 1, dilations: 1, padding: "valid" },
      { x: [1, 10, 10, 16], w: [5, 5, 16, 8], strides: [2, 1], dilations: 1, padding: "same" },
      // Whole 32-channel blocks of filters (larq's MNIST CNN has 32 and 64).
      { x: [2, 9, 9, 4], w: [3, 3, 4, 32], strides: 1, dilations: 1, padding: "same" },
      { x: [1, 7, 7, 6], w: [2, 2, 6, 64], strides: 2, dilations: 1, padding: "valid" },
      // Stride 1: the input gradient is one convolution of dy (padded copy, or SAME in place for odd kernels).
      { x: [2, 8, 7, 5], w: [2, 2, 5, 9], strides: 1, dilations: 1, padding: "same" },
      { x: [2, 12, 12, 6], w: [3, 3, 6, 16], strides: 1, dilations: 2, padding: "valid" },
      { x: [2, 6, 6, 33], w: [4, 3, 33, 5], strides: 1, dilations: 1, padding: "same" },
      { x: [3, 13, 13, 32], w: [3, 3, 32, 64], strides: 1, dilations: 1, padding: "valid" },
      { x: [4, 3, 3, 64], w: [3, 3, 64, 64], strides: 1, dilations: 1, padding: "valid" }, // few pixels, deep K
      // Few input channels: the direct forward kernel and the filter gradient straight from x (no im2col).
      { x: [2, 28, 28, 1], w: [3, 3, 1, 32], strides: 1, dilations: 1, padding: "valid" },
      { x: [2, 10, 9, 2], w: [5, 5, 2, 33], strides: 2, dilations: 1, padding: "same" },
      { x: [1, 9, 11, 1], w: [3, 3, 1, 7], strides: 1, dilations: 2, padding: "same" },
    ] as const;
    for (const c of cases) {
      const x = random([...c.x], r), w = random([...c.w], r);
      const f = (a: Tensor, b: Tensor) =>
        conv2d(a, b, { strides: c.strides as number, dilations: c.dilations, padding: c.padding });
      const y = f(x, w);
      const probe = random(y.shape as number[], r);
      const want = run("reference", f, [x, w], probe), got = run(native!, f, [x, w], probe);
      const what = `conv2d x[${c.x}] w[${c.w}] ${c.padding} s${c.strides} d${c.dilations}`;
      close(got.value, want.value, `${what} value`);
      close(got.grads[0], want.grads[0], `${what} dx`);
      close(got.grads[1], want.grads[1], `${what} dw`);
    }
  },
});

Deno.test("training kernels: 'reference' forces TypeScript; float64 tensors never go native", () => {
  setTrainingKernels("reference");
  assert.equal(trainingKernels(), null);
  setTrainingKernels("auto");
  if (native) assert.equal(trainingKernels()?.backend, "native");
  // float64 (gradient checks) stays exact: a product the native path would take if it were float32.
  const a = new Tensor(new Float64Array(64 * 64).fill(1 / 3), [64, 64]);
  const y = ops.matmul(a, a);
  assert.equal(y.dtype, "float64");
  let want = 0;
  for (let i = 0; i < 64; i++) want += (1 / 3) * (1 / 3);
  assert.equal(y.data[0], want);
  assert.throws(() => setTrainingKernels("fast" as never), /setTrainingKernels takes/);
});

Deno.test("packRhsKN packs [depth, n] exactly as packRhs packs its transpose (reference and native)", () => {
  const r = seededRandom(4);
  for (const [depth, n] of [[1, 1], [7, 33], [64, 32], [5, 70]]) {
    const b = Float32Array.from({ length: depth * n }, () => r());
    const t = new Float32Array(depth * n);
    for (let k = 0; k < depth; k++) for (let c = 0; c < n; c++) t[c * depth + k] = b[k * n + c];
    for (const k of [FloatKernels.reference(), ...(native ? [native] : [])]) {
      assert.deepEqual(k.packRhsKN(b, n), k.packRhs(t, n), `${k.backend} depth ${depth} n ${n}`);
    }
  }
  assert.throws(() => FloatKernels.reference().packRhsKN(new Float32Array(5), 2), /not a positive multiple/);
});

Deno.test({
  name: "training kernels: conv2d of ±1 values with signs (binary forward) equals the float paths bit for bit",
  ignore: native === null,
  fn() {
    const r = seededRandom(5);
    const signs = (shape: number[]) => {
      const t = random(shape, r);
      for (let i = 0; i < t.size; i++) t.data[i] = t.data[i] < 0 ? -1 : 1;
      return t;
    };
    const cases = [
      { x: [2, 13, 13, 32], w: [3, 3, 32, 64], strides: 1, dilations: 1, padding: "valid" },
      { x: [3, 9, 9, 64], w: [3, 3, 64, 33], strides: 2, dilations: 1, padding: "valid" },
      { x: [1, 12, 12, 32], w: [3, 2, 32, 7], strides: 1, dilations: 2, padding: "valid" },
      { x: [2, 6, 6, 96], w: [1, 1, 96, 40], strides: 1, dilations: 1, padding: "valid" },
      // dW from the unpacked, transposed im2col (fewer values than transposing dy and dWᵀ).
      { x: [2, 8, 8, 32], w: [1, 1, 32, 64], strides: 1, dilations: 1, padding: "valid" },
      { x: [4, 3, 3, 64], w: [3, 3, 64, 64], strides: 1, dilations: 1, padding: "valid" },
      // Not binary (zero padding, 3 channels): the float path, the same answers.
      { x: [2, 8, 8, 32], w: [3, 3, 32, 16], strides: 1, dilations: 1, padding: "same" },
      { x: [2, 16, 16, 32], w: [3, 3, 32, 8], strides: 2, dilations: 1, padding: "same" }, // padded after only
      { x: [2, 12, 12, 3], w: [3, 3, 3, 16], strides: 1, dilations: 1, padding: "valid" },
    ] as const;
    for (const c of cases) {
      const x = signs([...c.x]), w = signs([...c.w]);
      const o = { strides: c.strides, dilations: c.dilations, padding: c.padding } as const;
      const probe = random(conv2d(x, w, o).shape as number[], r);
      const what = `conv2d ±1 x[${c.x}] w[${c.w}] ${c.padding} s${c.strides} d${c.dilations}`;
      const binary = run(native!, (a, b) => conv2d(a, b, { ...o, signs: true }), [x, w], probe);
      const float = run(native!, (a, b) => conv2d(a, b, o), [x, w], probe);
      const ts = run("reference", (a, b) => conv2d(a, b, { ...o, signs: true }), [x, w], probe);
      // Integer sums: the forward pass is exact on every path (here outside a tape: no im2col kept).
      const forward = (k: FloatKernels | "reference") => {
        setTrainingKernels(k);
        try {
          return conv2d(x, w, { ...o, signs: true }).data;
        } finally {
          setTrainingKernels("auto");
        }
      };
      assert.deepEqual(forward(native!), forward("reference"), `${what} value`);
      assert.deepEqual(binary.value.data, float.value.data, `${what} probed value`);
      binary.grads.forEach((g, i) => assert.deepEqual(g.data, float.grads[i].data, `${what} grad ${i}`));
      ts.grads.forEach((g, i) => close(binary.grads[i], g, `${what} grad ${i} vs TS`));
    }
  },
});

Deno.test({
  name: "training kernels: a gradient with several contributions is summed natively to the TS loop's bits",
  ignore: native === null,
  fn() {
    const r = seededRandom(3);
    // 4096 values and more go native; x gets three contributions (two sums of two), -0 and NaN among them.
    for (const n of [4095, 4096, 40001]) {
      const x = random([n], r), probe = random([n], r);
      probe.data[0] = -0, probe.data[1] = NaN;
      const f = (v: Tensor) => ops.add(ops.add(ops.mul(v, v), ops.mul(v, 3)), ops.relu(v));
      const want = run("reference", f, [x], probe), got = run(native!, f, [x], probe);
      const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
      const i = got.grads[0].data.findIndex((v, j) => !same(v, want.grads[0].data[j]));
      assert.equal(i, -1, `${n} values: gradient element ${i} differs from the TS sum`);
    }
  },
});
