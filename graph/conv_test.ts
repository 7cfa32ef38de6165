import assert from "node:assert/strict";
import { assertClose, kerasCases, passes, rand } from "./_test_util.ts";
import { conv1d, conv2d, conv2dTranspose, depthwiseConv1d, depthwiseConv2d } from "./conv.ts";
import * as ops from "./ops.ts";
import { Tensor } from "./tensor.ts";

/** Direct definition of a grouped NHWC/HWIO convolution with explicit padding, for the forward check. */
function naive(
  x: Tensor,
  w: Tensor,
  s: [number, number],
  d: [number, number],
  pads: [number, number],
  out: [number, number],
  groups: number,
) {
  const [n, h, wd, c] = x.shape, [kh, kw, cg, f] = w.shape, fg = f / groups;
  const y = new Float64Array(n * out[0] * out[1] * f);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < out[0]; oy++) {
      for (let ox = 0; ox < out[1]; ox++) {
        for (let k = 0; k < f; k++) {
          let acc = 0;
          const grp = Math.floor(k / fg);
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              for (let ci = 0; ci < cg; ci++) {
                const iy = oy * s[0] + ky * d[0] - pads[0], ix = ox * s[1] + kx * d[1] - pads[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += x.data[((b * h + iy) * wd + ix) * c + grp * cg + ci] *
                  w.data[((ky * kw + kx) * cg + ci) * f + k];
              }
            }
          }
          y[((b * out[0] + oy) * out[1] + ox) * f + k] = acc;
        }
      }
    }
  }
  return y;
}

Deno.test("conv2d forward equals the direct definition (strides, dilation, groups, SAME/VALID)", () => {
  const x = rand([2, 7, 6, 4], 1);
  const cases: [
    number[],
    [number, number],
    [number, number],
    "same" | "valid",
    number,
    [number, number],
    [number, number],
  ][] = [
    [[3, 3, 4, 5], [1, 1], [1, 1], "valid", 1, [0, 0], [5, 4]],
    [[3, 3, 4, 5], [2, 2], [1, 1], "same", 1, [1, 0], [4, 3]], // TF SAME: odd total padding goes to the end
    [[2, 3, 2, 6], [1, 2], [2, 1], "same", 2, [1, 0], [7, 3]],
    [[3, 2, 1, 8], [2, 1], [1, 2], "valid", 4, [0, 0], [3, 4]],
  ];
  for (const [ws, s, d, padding, groups, pads, out] of cases) {
    const w = rand(ws, 2);
    const y = conv2d(x, w, { strides: s, dilations: d, padding, groups });
    assert.deepEqual(y.shape, [2, ...out, ws[3]]);
    const want = naive(x, w, s, d, pads, out, groups);
    for (let i = 0; i < want.length; i++) {
      assert(Math.abs(y.data[i] - want[i]) < 1e-12, `${JSON.stringify([ws, s, d, padding, groups])}[${i}]`);
    }
  }
});

Deno.test("conv gradients match finite differences", () => {
  const x = rand([1, 5, 4, 2], 3);
  passes("conv2d valid", (a, b) => conv2d(a, b), [x, rand([2, 2, 2, 3], 4)]);
  passes(
    "conv2d same strided dilated",
    (a, b) => conv2d(a, b, { strides: [2, 1], dilations: [1, 2], padding: "same" }),
    [x, rand([3, 2, 2, 3], 5)],
  );
  passes("conv2d groups", (a, b) => conv2d(a, b, { groups: 2, padding: "same" }), [x, rand([3, 3, 1, 4], 6)]);
  passes("depthwise", (a, b) => depthwiseConv2d(a, b, { padding: "same", strides: 2 }), [x, rand([3, 3, 2, 2], 7)]);
  passes("transpose same", (a, b) => conv2dTranspose(a, b, { strides: 2, padding: "same" }), [
    rand([1, 3, 2, 2], 8),
    rand([3, 3, 3, 2], 9),
  ]);
  passes("transpose valid", (a, b) => conv2dTranspose(a, b, { strides: [2, 1] }), [
    rand([1, 3, 2, 2], 10),
    rand([2, 3, 3, 2], 11),
  ]);
  passes("conv1d", (a, b) => conv1d(a, b, { stride: 2, padding: "same" }), [rand([2, 7, 3], 12), rand([3, 3, 2], 13)]);
});

Deno.test("conv2dTranspose is the input-gradient of conv2d (adjoint identity <conv(x), y> = <x, convT(y)>)", () => {
  const x = rand([1, 6, 6, 3], 14), w = rand([3, 3, 3, 2], 15);
  const y = conv2d(x, w, { strides: 2, padding: "same" });
  const u = rand(y.shape as number[], 16);
  const t = conv2dTranspose(u, w, { strides: 2, padding: "same", outputSize: [6, 6] });
  const lhs = ops.sum(ops.mul(y, u)).item(), rhs = ops.sum(ops.mul(x, t)).item();
  assert(Math.abs(lhs - rhs) < 1e-10, `${lhs} vs ${rhs}`);
});

Deno.test("conv bad input names the problem", () => {
  assert.throws(() => conv2d(Tensor.zeros([1, 4, 4, 3]), Tensor.zeros([3, 3, 2, 4])), /disagree/);
  assert.throws(() => conv2d(Tensor.zeros([1, 2, 2, 1]), Tensor.zeros([3, 3, 1, 1])), /larger than the input/);
  assert.throws(
    () => conv2d(Tensor.zeros([4, 4, 1]), Tensor.zeros([3, 3, 1, 1])),
    /\[batch, height, width, channels\]/,
  );
  assert.throws(() => depthwiseConv2d(Tensor.zeros([1, 4, 4, 3]), Tensor.zeros([3, 3, 2, 1])), /depthwiseConv2d/);
  assert.throws(() => conv2d(Tensor.zeros([1, 4, 4, 1]), Tensor.zeros([1, 1, 1, 1]), { strides: 0 }), /strides/);
});

Deno.test("depthwiseConv1d equals tf-keras DepthwiseConv1D (fixture: strides, dilation, multipliers, same/valid)", () => {
  for (const c of kerasCases("DepthwiseConv1D")) {
    const o = c.options as { strides: [number]; dilation_rate: [number]; padding: "same" | "valid" };
    for (const dtype of ["float64", "float32"] as const) {
      const label = `DepthwiseConv1D ${JSON.stringify(c.options)} ${dtype}`;
      const of = (v: number[]) => dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v);
      const x = new Tensor(of(c.input), c.input_shape), w = new Tensor(of(c.kernel), c.kernel_shape);
      const y = depthwiseConv1d(x, w, { stride: o.strides[0], dilation: o.dilation_rate[0], padding: o.padding });
      assert.deepEqual(y.shape, c.output_shape, label);
      assertClose(label, y.data, c.output, 1e-5);
    }
  }
});

Deno.test("depthwiseConv1d gradients match finite differences; bad input names the op", () => {
  passes("depthwise1d", (a, b) => depthwiseConv1d(a, b, { stride: 2, dilation: 1, padding: "same" }), [
    rand([2, 7, 3], 17),
    rand([3, 3, 2], 18),
  ]);
  passes("depthwise1d dilated", (a, b) => depthwiseConv1d(a, b, { dilation: 2 }), [
    rand([1, 6, 2], 19),
    rand([2, 2, 3], 20),
  ]);
  const range = (f: () => unknown, message: RegExp) => assert.throws(f, { name: "RangeError", message });
  range(
    () => depthwiseConv1d(Tensor.zeros([1, 5, 3]), Tensor.zeros([3, 2, 1])),
    /depthwiseConv1d: input \[1,5,3\] and kernel \[3,2,1\] must be \[batch, length, channels\] and \[k, channels, multiplier\]/,
  );
  range(() => depthwiseConv1d(Tensor.zeros([5, 3]), Tensor.zeros([3, 3, 1])), /depthwiseConv1d: input \[5,3\]/);
  range(
    () => depthwiseConv1d(Tensor.zeros([1, 5, 3]), Tensor.zeros([3, 3, 1]), { stride: 0 }),
    /depthwiseConv1d: stride/,
  );
});
