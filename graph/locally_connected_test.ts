import assert from "node:assert/strict";
import { assertClose, type KerasCase, kerasCases, passes, rand } from "./_test_util.ts";
import { locallyConnected1d, locallyConnected2d } from "./locally_connected.ts";
import { conv2d } from "./conv.ts";
import * as ops from "./ops.ts";
import { Tensor } from "./tensor.ts";

function tensors(c: KerasCase, dtype: "float32" | "float64"): [Tensor, Tensor] {
  const of = (v: number[]) => dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v);
  return [new Tensor(of(c.input), c.input_shape), new Tensor(of(c.kernel), c.kernel_shape)];
}

Deno.test("locallyConnected1d/2d equal tf-keras LocallyConnected1D/2D, implementation 1 (fixture)", () => {
  const run = {
    LocallyConnected1D: (x: Tensor, w: Tensor, o: KerasCase["options"]) =>
      locallyConnected1d(x, w, { kernelSize: o.kernel_size as [number], strides: o.strides as [number] }),
    LocallyConnected2D: (x: Tensor, w: Tensor, o: KerasCase["options"]) =>
      locallyConnected2d(x, w, {
        kernelSize: o.kernel_size as [number, number],
        strides: o.strides as [number, number],
      }),
  };
  for (const layer of ["LocallyConnected1D", "LocallyConnected2D"] as const) {
    for (const c of kerasCases(layer)) {
      assert.equal(c.options.padding, "valid");
      for (const dtype of ["float64", "float32"] as const) {
        const label = `${layer} ${JSON.stringify(c.options)} ${dtype}`;
        const y = run[layer](...tensors(c, dtype), c.options);
        assert.equal(y.dtype, dtype, label);
        assert.deepEqual(y.shape, c.output_shape, label);
        assertClose(label, y.data, c.output, 1e-5);
      }
    }
  }
});

Deno.test("locallyConnected2d with one HWIO kernel copied to every position equals a VALID conv2d", () => {
  // Independent of Keras: a patch runs (row, column, channel), the row order of an HWIO kernel.
  const x = rand([2, 7, 6, 3], 1), hwio = rand([3, 2, 3, 4], 2);
  for (const strides of [[1, 1], [2, 3]] as [number, number][]) {
    const want = conv2d(x, hwio, { strides });
    const positions = want.shape[1] * want.shape[2];
    const kernel = ops.broadcastTo(ops.reshape(hwio, [1, 18, 4]), [positions, 18, 4]);
    const got = locallyConnected2d(x, kernel, { kernelSize: [3, 2], strides });
    assert.deepEqual(got.shape, want.shape);
    assertClose(`strides ${strides}`, got.data, want.data, 1e-12);
  }
});

Deno.test("locallyConnected weights are unshared: position p reads only kernel[p]", () => {
  const x = rand([1, 4, 5, 2], 3), kernel = Tensor.zeros([2 * 2, 3 * 2 * 2, 1], "float64");
  kernel.data.fill(1, 3 * 12, 4 * 12); // only position 3 (row 1, column 1) has weights
  const y = locallyConnected2d(x, kernel, { kernelSize: [3, 2], strides: [1, 2] });
  let window = 0;
  for (let r = 1; r < 4; r++) {
    for (let c = 2; c < 4; c++) for (let ch = 0; ch < 2; ch++) window += x.data[(r * 5 + c) * 2 + ch];
  }
  assert.deepEqual(Array.from(y.data.subarray(0, 3)), [0, 0, 0]);
  assert(Math.abs(y.data[3] - window) < 1e-12, `${y.data[3]} vs ${window}`);
});

Deno.test("locallyConnected gradients match finite differences", () => {
  passes("1d", (a, b) => locallyConnected1d(a, b, { kernelSize: 3 }), [rand([2, 6, 2], 4), rand([4, 6, 3], 5)]);
  passes("1d strided", (a, b) => locallyConnected1d(a, b, { kernelSize: 2, strides: 3 }), [
    rand([1, 8, 3], 6),
    rand([3, 6, 2], 7),
  ]);
  passes("2d strided", (a, b) => locallyConnected2d(a, b, { kernelSize: [2, 3], strides: [2, 1] }), [
    rand([2, 5, 4, 2], 8),
    rand([4, 12, 3], 9),
  ]);
});

Deno.test("locallyConnected bad input: RangeError naming the op, the shapes and what is accepted", () => {
  const z = (...s: number[]) => Tensor.zeros(s);
  const range = (f: () => unknown, message: RegExp) => assert.throws(f, { name: "RangeError", message });
  range(
    () => locallyConnected2d(z(4, 4, 3), z(4, 27, 1), { kernelSize: 3 }),
    /locallyConnected2d: input must be \[batch, height, width, channels\], got \[4,4,3\]/,
  );
  range(
    () => locallyConnected1d(z(1, 4, 4, 3), z(2, 9, 1), { kernelSize: 3 }),
    /locallyConnected1d: input must be \[batch, length, channels\], got \[1,4,4,3\]/,
  );
  range(
    () => locallyConnected2d(z(1, 4, 4, 3), z(4, 18, 2), { kernelSize: 3 }),
    /locallyConnected2d: kernel must be \[output positions 4, window·channels 27, filters\] for input \[1,4,4,3\], kernelSize \[3,3\], got \[4,18,2\]/,
  );
  range(
    () => locallyConnected1d(z(1, 5, 2), z(3, 6), { kernelSize: 3 }),
    /locallyConnected1d: kernel must be \[output positions 3, window·channels 6, filters\]/,
  );
  range(
    () => locallyConnected1d(z(1, 2, 2), z(1, 6, 1), { kernelSize: 3 }),
    /locallyConnected1d \(input \[1,2,2\], kernelSize 3\): the dilated kernel \(3\) is larger than the input \(2\)/,
  );
  range(
    () => locallyConnected2d(z(1, 4, 4, 1), z(16, 9, 1), { kernelSize: 3, padding: "same" as "valid" }),
    /locallyConnected2d: padding "same" is not supported: .*implementation=1.* accepts only "valid"/,
  );
  range(
    () => locallyConnected2d(z(1, 4, 4, 1), z(4, 9, 1), { kernelSize: [3, 0] }),
    /locallyConnected2d: kernelSize must be 2 positive integers, got \[3,0\]/,
  );
  range(
    () => locallyConnected1d(z(1, 4, 1), z(2, 3, 1), { kernelSize: 3, strides: 0 }),
    /locallyConnected1d: strides must be a positive integer, got 0/,
  );
});
