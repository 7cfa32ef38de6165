import assert from "node:assert/strict";
import { assertClose, kerasCases, passes, rand } from "./_test_util.ts";
import { conv3d, conv3dTranspose, type Triple } from "./conv3d.ts";
import * as ops from "./ops.ts";
import { Tensor } from "./tensor.ts";

const t = (c: { input: number[]; input_shape: number[] }, dtype: "float32" | "float64") =>
  new Tensor(dtype === "float64" ? Float64Array.from(c.input) : Float32Array.from(c.input), c.input_shape);
const k = (c: { kernel: number[]; kernel_shape: number[] }, dtype: "float32" | "float64") =>
  new Tensor(dtype === "float64" ? Float64Array.from(c.kernel) : Float32Array.from(c.kernel), c.kernel_shape);

/** Direct definition of a grouped NDHWC convolution with explicit leading padding and output size. */
function naive(x: Tensor, w: Tensor, s: Triple, d: Triple, pads: Triple, out: Triple, groups: number) {
  const [n, id, ih, iw, c] = x.shape, [kd, kh, kw, cg, f] = w.shape, fg = f / groups;
  const y = new Float64Array(n * out[0] * out[1] * out[2] * f);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oz = 0; oz < out[0]; oz++) {
      for (let oy = 0; oy < out[1]; oy++) {
        for (let ox = 0; ox < out[2]; ox++) {
          for (let m = 0; m < f; m++, o++) {
            const grp = Math.floor(m / fg);
            for (let kz = 0; kz < kd; kz++) {
              for (let ky = 0; ky < kh; ky++) {
                for (let kx = 0; kx < kw; kx++) {
                  const iz = oz * s[0] + kz * d[0] - pads[0];
                  const iy = oy * s[1] + ky * d[1] - pads[1];
                  const ix = ox * s[2] + kx * d[2] - pads[2];
                  if (iz < 0 || iz >= id || iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
                  for (let ci = 0; ci < cg; ci++) {
                    y[o] += x.data[(((b * id + iz) * ih + iy) * iw + ix) * c + grp * cg + ci] *
                      w.data[(((kz * kh + ky) * kw + kx) * cg + ci) * f + m];
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return y;
}

Deno.test("conv3d forward equals the direct definition (strides with dilations, groups, TF SAME extra end padding)", () => {
  const x = rand([2, 7, 6, 5, 4], 1);
  // kernel, strides, dilations, padding, groups, leading pads, output size (worked out by hand from TF's rules)
  const cases: [number[], Triple, Triple, "same" | "valid", number, Triple, Triple][] = [
    [[3, 3, 3, 4, 5], [1, 1, 1], [1, 1, 1], "valid", 1, [0, 0, 0], [5, 4, 3]],
    // depth 7, k 3, s 2: out 4, total pad 2 → 1 before; height 6: out 3, pad 1 → 0 before (odd pad at the end)
    [[3, 3, 2, 4, 2], [2, 2, 1], [1, 1, 1], "same", 1, [1, 0, 0], [4, 3, 5]],
    [[2, 3, 2, 2, 6], [2, 1, 2], [1, 2, 2], "same", 2, [0, 2, 1], [4, 6, 3]],
    [[2, 2, 1, 1, 8], [2, 3, 1], [2, 1, 1], "valid", 4, [0, 0, 0], [3, 2, 5]],
  ];
  for (const [ws, s, d, padding, groups, pads, out] of cases) {
    const label = JSON.stringify([ws, s, d, padding, groups]);
    const w = rand(ws, 2);
    const y = conv3d(x, w, { strides: s, dilations: d, padding, groups });
    assert.deepEqual(y.shape, [2, ...out, ws[4]], label);
    assertClose(label, y.data, naive(x, w, s, d, pads, out, groups), 1e-12);
  }
});

Deno.test("conv3d equals tf-keras Conv3D (fixture: strides, dilations, groups, same/valid, odd sizes)", () => {
  for (const c of kerasCases("Conv3D")) {
    const o = c.options as { strides: Triple; dilation_rate: Triple; padding: "same" | "valid"; groups: number };
    for (const dtype of ["float64", "float32"] as const) {
      const label = `Conv3D ${JSON.stringify(o)} ${dtype}`;
      const y = conv3d(t(c, dtype), k(c, dtype), {
        strides: o.strides,
        dilations: o.dilation_rate,
        padding: o.padding,
        groups: o.groups,
      });
      assert.equal(y.dtype, dtype, label);
      assert.deepEqual(y.shape, c.output_shape, label);
      assertClose(label, y.data, c.output, 1e-5);
    }
  }
});

/** Keras's deconv_output_length with output_padding, per axis. */
function kerasTransposeSize(c: { input_shape: number[]; kernel_shape: number[] }, o: {
  strides: Triple;
  padding: string;
  output_padding: Triple;
}): Triple {
  return [0, 1, 2].map((a) => {
    const kSize = c.kernel_shape[a], pad = o.padding === "same" ? Math.floor(kSize / 2) : 0;
    return (c.input_shape[1 + a] - 1) * o.strides[a] + kSize - 2 * pad + o.output_padding[a];
  }) as Triple;
}

Deno.test("conv3dTranspose equals tf-keras Conv3DTranspose (fixture: default sizes and output_padding)", () => {
  let padded = 0;
  for (const c of kerasCases("Conv3DTranspose")) {
    const o = c.options as { strides: Triple; padding: "same" | "valid"; output_padding: Triple | null };
    const outputSize = o.output_padding === null
      ? undefined
      : kerasTransposeSize(c, { ...o, output_padding: o.output_padding });
    if (outputSize) padded++;
    for (const dtype of ["float64", "float32"] as const) {
      const label = `Conv3DTranspose ${JSON.stringify(o)} ${dtype}`;
      const y = conv3dTranspose(t(c, dtype), k(c, dtype), { strides: o.strides, padding: o.padding, outputSize });
      assert.deepEqual(y.shape, c.output_shape, label);
      assertClose(label, y.data, c.output, 1e-5);
    }
  }
  assert(padded >= 2, "the fixture covers output_padding");
});

Deno.test("conv3dTranspose is the adjoint of conv3d (<conv(x), u> = <x, convT(u)>)", () => {
  for (const [size, s, padding] of [[[5, 6, 4], [2, 2, 1], "same"], [[6, 5, 5], [2, 1, 2], "valid"]] as const) {
    const x = rand([2, ...size, 3], 3), w = rand([3, 2, 3, 3, 2], 4);
    const y = conv3d(x, w, { strides: [...s], padding });
    const u = rand([...y.shape], 5);
    const back = conv3dTranspose(u, w, { strides: [...s], padding, outputSize: [...size] });
    const lhs = ops.sum(ops.mul(y, u)).item(), rhs = ops.sum(ops.mul(x, back)).item();
    assert(Math.abs(lhs - rhs) < 1e-10, `${padding}: ${lhs} vs ${rhs}`);
  }
});

Deno.test("conv3d and conv3dTranspose gradients match finite differences", () => {
  passes("conv3d valid", (a, b) => conv3d(a, b), [rand([1, 3, 4, 3, 2], 6), rand([2, 2, 2, 2, 3], 7)]);
  passes(
    "conv3d same strided",
    (a, b) => conv3d(a, b, { strides: [2, 1, 2], padding: "same" }),
    [rand([1, 4, 3, 5, 2], 8), rand([3, 2, 3, 2, 2], 9)],
  );
  passes(
    "conv3d dilated groups",
    (a, b) => conv3d(a, b, { dilations: [1, 2, 1], groups: 2, padding: "same" }),
    [rand([1, 3, 4, 3, 4], 10), rand([2, 2, 2, 2, 4], 11)],
  );
  passes(
    "conv3d strided and dilated",
    (a, b) => conv3d(a, b, { strides: 2, dilations: [2, 1, 1] }),
    [rand([2, 5, 3, 4, 1], 12), rand([2, 2, 2, 1, 2], 13)],
  );
  passes(
    "conv3dTranspose same",
    (a, b) => conv3dTranspose(a, b, { strides: 2, padding: "same" }),
    [rand([1, 2, 3, 2, 2], 14), rand([3, 2, 3, 3, 2], 15)],
  );
  passes(
    "conv3dTranspose valid output size",
    (a, b) => conv3dTranspose(a, b, { strides: [2, 1, 2], outputSize: [5, 4, 6] }),
    [rand([1, 2, 3, 3, 2], 16), rand([2, 2, 2, 2, 2], 17)],
  );
});

Deno.test("conv3d bad input: RangeError/TypeError naming the op and shapes", () => {
  const z = (...s: number[]) => Tensor.zeros(s);
  const range = (f: () => unknown, message: RegExp) => assert.throws(f, { name: "RangeError", message });
  range(
    () => conv3d(z(1, 4, 4, 3), z(2, 2, 2, 3, 1)),
    /conv3d: input must be \[batch, depth, height, width, channels\], got \[1,4,4,3\]/,
  );
  range(() => conv3d(z(1, 4, 4, 4, 3), z(2, 2, 3, 1)), /conv3d: kernel must be .* got \[2,2,3,1\]/);
  range(
    () => conv3d(z(1, 4, 4, 4, 3), z(2, 2, 2, 2, 4)),
    /conv3d: input \[1,4,4,4,3\], kernel \[2,2,2,2,4\] and groups 1 disagree/,
  );
  range(() => conv3d(z(1, 4, 4, 4, 4), z(2, 2, 2, 2, 3), { groups: 2 }), /groups 2 disagree/);
  range(
    () => conv3d(z(1, 2, 4, 4, 1), z(3, 2, 2, 1, 1)),
    /conv3d depth \(input \[1,2,4,4,1\], kernel \[3,2,2,1,1\]\): the dilated kernel \(3\) is larger than the input \(2\)/,
  );
  range(
    () => conv3d(z(1, 4, 4, 4, 1), z(1, 2, 2, 1, 1), { dilations: [1, 1, 4] }),
    /conv3d width .* \(5\) is larger than the input \(4\)/,
  );
  range(
    () => conv3d(z(1, 4, 4, 4, 1), z(1, 1, 1, 1, 1), { strides: [1, 0, 1] }),
    /conv3d: strides must be 3 positive integers, got \[1,0,1\]/,
  );
  assert.throws(() => conv3d(z(1, 4, 4, 4, 1), z(1, 1, 1, 1, 1), { padding: "full" as "same" }), {
    name: "TypeError",
    message: /conv3d: padding must be "same" or "valid", got "full"/,
  });
  range(
    () => conv3dTranspose(z(1, 2, 2, 2, 3), z(2, 2, 2, 4, 2)),
    /conv3dTranspose: input \[1,2,2,2,3\] and kernel \[2,2,2,4,2\] must be/,
  );
  range(
    () => conv3dTranspose(z(1, 2, 2, 2, 3), z(2, 2, 2, 4, 3), { strides: 2, outputSize: [4, 7, 4] }),
    /conv3dTranspose: output size \[4,7,4\] does not map back to input \[2,2,2\]/,
  );
});
