/**
 * The one-operand kernel (every abi.zig UnaryOp: activations and math):
 * native (1 and 2 threads, large enough to split) and both wasm modules
 * against the TS reference.
 * Clamps and the algebraic ops are exact; LOGISTIC, TANH, EXP and LOG within
 * 2 ulps-ish (1e-6 relative + 1e-7 absolute: Zig's f64 exp/tanh/log and
 * V8's differ in the last bits).
 */
import assert from "node:assert/strict";
import { FloatKernels, UNARY_OPS } from "../kernels/float_kernels.ts";
import { floatBackends } from "./_backends.ts";

Deno.test("unary activations: native and wasm equal the reference (exact clamps, transcendental within 1e-6)", () => {
  const reference = FloatKernels.reference();
  const n = 70_000; // above the kernel's threading threshold (65,536)
  const x = Float32Array.from(
    { length: n },
    (_, i) => (i % 2 ? -1 : 1) * ((i * 0.0137) % 9) + (i % 7 === 0 ? 0 : 0.001),
  );
  x[0] = 0, x[1] = -0, x[2] = -3, x[3] = 3, x[4] = 6, x[5] = -1, x[6] = 1;
  for (const op of UNARY_OPS) {
    const want = new Float32Array(n);
    reference.bindUnary(n, op, { alpha: 0.3 }).run(x, want);
    for (const { label, float: k } of floatBackends()) {
      const got = new Float32Array(n);
      k.bindUnary(n, op, { alpha: 0.3 }).run(x, got);
      const exact = !["logistic", "tanh", "exp", "log"].includes(op);
      for (let i = 0; i < n; i++) {
        const ok = Object.is(got[i], want[i]) || got[i] === want[i] ||
          !exact && Math.abs(got[i] - want[i]) <= 1e-6 * Math.abs(want[i]) + 1e-7;
        if (!ok) assert.fail(`${op} at x=${x[i]}: ${label} ${got[i]}, reference ${want[i]}`);
      }
    }
  }
  assert.throws(() => reference.bindUnary(4, "gelu" as never), /op must be one of/);
  assert.throws(() => reference.bindUnary(4, "relu").run(new Float32Array(3), new Float32Array(4)), /input/);
});

Deno.test("softmax and LceDequantize's unpack: native and wasm equal the reference", async () => {
  const { reference, wasmModules, native } = await import("./_backends.ts");
  const { BinaryKernels } = await import("../kernels/binary_kernels.ts");
  const r = (await import("../graph/random.ts")).seededRandom(4);
  const fref = FloatKernels.reference();
  for (const [rows, depth] of [[1, 1], [3, 10], [7, 1000]]) {
    const x = Float32Array.from({ length: rows * depth }, () => (r() - 0.5) * 40);
    const want = new Float32Array(rows * depth);
    fref.bindSoftmax(rows, depth, { beta: 0.5 }).run(x, want);
    for (const { float: k } of floatBackends()) {
      const got = new Float32Array(rows * depth);
      k.bindSoftmax(rows, depth, { beta: 0.5 }).run(x, got);
      for (let i = 0; i < got.length; i++) {
        assert.ok(
          Math.abs(got[i] - want[i]) <= 1e-6 * want[i] + 1e-9,
          `softmax ${rows}x${depth}[${i}]: ${got[i]} vs ${want[i]}`,
        );
      }
    }
    let rowSum = 0;
    for (let i = 0; i < depth; i++) rowSum += want[i];
    assert.ok(Math.abs(rowSum - 1) < 1e-5);
  }
  for (const channels of [1, 31, 32, 33, 65]) {
    const rows = 5, words = Math.ceil(channels / 32);
    const input = Uint32Array.from({ length: rows * words }, () => (r() * 2 ** 32) >>> 0);
    const want = new Float32Array(rows * channels);
    reference.bindUnpack(rows, channels).run(input, want);
    for (let i = 0; i < rows * channels; i++) {
      const row = Math.floor(i / channels), c = i % channels;
      assert.equal(want[i], (input[row * words + (c >>> 5)] >>> (c & 31)) & 1 ? -1 : 1);
    }
    for (const k of [...(native ? [native] : []), ...wasmModules.map(({ wasm }) => BinaryKernels.wasm({ wasm }))]) {
      const got = new Float32Array(rows * channels);
      k.bindUnpack(rows, channels).run(input, got);
      assert.deepEqual(got, want, `unpack ${channels} channels on ${k.backend}`);
    }
  }
});
