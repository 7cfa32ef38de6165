/**
 * The direct float convolution for few input channels (kernels_zig/conv2d_small_cin.zig, which
 * FloatKernels.conv2d runs for channels ≤ SMALL_CIN_CHANNELS and kh·kw·channels ≤ SMALL_CIN_DEPTH) and its filter
 * gradient straight from x (TrainKernels.conv2dBackFilter), on a sweep of shapes: within 1e-5 (relative to the
 * largest magnitude) of float64 oracles; the forward the same bits as the GEMM path forced to the default
 * micro-kernel (same products, same order, same fusing) on 1, 2 and 3 threads; the gradient the same bits on
 * every backend as the TypeScript reference.
 */
import assert from "node:assert/strict";
import { TrainKernels } from "./train_kernels.ts";
import { compiledFloatKernels, compiledTrainKernels } from "./_test_train_backends.ts";
import { planWindow, type WindowGeometry } from "./geometry.ts";
import { SMALL_CIN_CHANNELS, SMALL_CIN_DEPTH } from "./_abi_generated.ts";

type Case = WindowGeometry & { filters: number };

/** Channels 1 to 4; 1×1 to 5×5 kernels, non-square; strides and dilations 1 and 2; both paddings; filters across
 * the 32-channel blocks and the vector widths. */
function cases(): Case[] {
  const out: Case[] = [];
  const kernels: [number, number][] = [[1, 1], [3, 3], [2, 3], [5, 5], [4, 4]];
  let i = 0;
  for (const c of [1, 2, 3, 4]) {
    for (const k of kernels) {
      if (k[0] * k[1] * c > SMALL_CIN_DEPTH) continue;
      for (const padding of ["valid", "same"] as const) {
        for (const s of [1, 2]) {
          const filters = [1, 7, 16, 24, 31, 32, 33, 65][i % 8], d = i % 3 === 2 ? 2 : 1;
          i++;
          const h = 9 + (i % 4), w = 16 + (i % 5);
          out.push({
            inputShape: [1 + (i % 2), h, w, c],
            kernelSize: k,
            strides: [s, i % 2 === 0 ? s : 1],
            dilations: [d, d],
            padding,
            filters,
          });
        }
      }
    }
  }
  return out;
}

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * (1 + (i % 7)));
}

/** The float64 oracles: y = conv(x, w) + bias and dw = Σ x·dy, from the plain definition. */
function oracle(g: Case, x: Float32Array, w: Float32Array, bias: Float32Array, dy: Float32Array) {
  const p = planWindow(g), c = p.channels, f = g.filters;
  const y = new Float64Array(p.batch * p.out_h * p.out_w * f), dw = new Float64Array(w.length);
  for (let n = 0; n < p.batch; n++) {
    for (let oy = 0; oy < p.out_h; oy++) {
      for (let ox = 0; ox < p.out_w; ox++) {
        const o = ((n * p.out_h + oy) * p.out_w + ox) * f;
        for (let co = 0; co < f; co++) y[o + co] = bias[co];
        for (let ky = 0; ky < p.kernel_h; ky++) {
          for (let kx = 0; kx < p.kernel_w; kx++) {
            const iy = oy * p.stride_h + ky * p.dilation_h - p.pad_top;
            const ix = ox * p.stride_w + kx * p.dilation_w - p.pad_left;
            if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
            for (let ci = 0; ci < c; ci++) {
              const xv = x[((n * p.in_h + iy) * p.in_w + ix) * c + ci], t = ((ky * p.kernel_w + kx) * c + ci) * f;
              for (let co = 0; co < f; co++) {
                y[o + co] += xv * w[t + co];
                dw[t + co] += xv * dy[o + co];
              }
            }
          }
        }
      }
    }
  }
  return { y, dw };
}

function near(got: Float32Array, want: Float64Array, what: string): void {
  let scale = 1, worst = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  assert.ok(worst <= 1e-5 * scale, `${what}: off by ${worst} (scale ${scale})`);
}

function sameBits(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, what);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) assert.fail(`${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

Deno.test("conv2d, few input channels: near a float64 oracle, the GEMM path's bits on 1, 2 and 3 threads", () => {
  for (const g of cases()) {
    const p = planWindow(g), what = JSON.stringify(g);
    const depth = p.kernel_h * p.kernel_w * p.channels;
    const x = values(p.batch * p.in_h * p.in_w * p.channels, 1), w = values(depth * g.filters, 2);
    const bias = values(g.filters, 3), dy = values(p.batch * p.out_h * p.out_w * g.filters, 4);
    const want = oracle(g, x, w, bias, dy);
    for (const [label, k] of compiledFloatKernels) {
      const packed = k.packRhsKN(w, g.filters);
      const y = k.conv2d(x, packed, { ...g, bias });
      near(y, want.y, `${label} ${what} y`);
      // The default micro-kernel forced by name runs the im2col + GEMM path: the same sums in the same order.
      const ukernel = k.ukernels().filter((u) => u.supported).at(-1)!.name;
      sameBits(y, k.conv2d(x, packed, { ...g, bias, ukernel }), `${label} ${what} direct vs GEMM (${ukernel})`);
      const kept = new Float32Array(Math.max(1, k.conv2dWorkspaceFloats(g, { keepCols: true })));
      sameBits(y, k.conv2d(x, packed, { ...g, bias, keepCols: true, workspace: kept }), `${label} ${what} keepCols`);
    }
  }
});

Deno.test("conv2dBackFilter: the reference near a float64 oracle, every compiled backend its bits", () => {
  const reference = TrainKernels.reference();
  for (const g of cases()) {
    const p = planWindow(g), what = JSON.stringify(g);
    const x = values(p.batch * p.in_h * p.in_w * p.channels, 5);
    const dy = values(p.batch * p.out_h * p.out_w * g.filters, 6);
    const zeros = new Float32Array(p.kernel_h * p.kernel_w * p.channels * g.filters);
    const want = reference.conv2dBackFilter(x, dy, g);
    near(want, oracle(g, x, zeros, new Float32Array(g.filters), dy).dw, `reference ${what}`);
    for (const [label, k] of compiledTrainKernels) sameBits(k.conv2dBackFilter(x, dy, g), want, `${label} ${what}`);
  }
});

Deno.test("conv2dBackFilter: more channels or taps than the direct path takes, or bad arrays, are RangeErrors", () => {
  for (const k of [TrainKernels.reference(), ...compiledTrainKernels.map((e) => e[1])]) {
    const c = SMALL_CIN_CHANNELS + 1;
    assert.throws(
      () =>
        k.conv2dBackFilter(new Float32Array(9 * c), new Float32Array(1), {
          inputShape: [1, 3, 3, c],
          kernelSize: [3, 3],
          filters: 1,
        }),
      (e: Error) => e instanceof RangeError && /5 channels/.test(e.message) && /im2col/.test(e.message),
    );
    assert.throws(
      () =>
        k.conv2dBackFilter(new Float32Array(81), new Float32Array(1), {
          inputShape: [1, 9, 9, 1],
          kernelSize: [9, 9],
          filters: 1,
        }),
      (e: Error) => e instanceof RangeError && /81 taps/.test(e.message),
    );
    assert.throws(
      () =>
        k.conv2dBackFilter(new Float32Array(8), new Float32Array(4), {
          inputShape: [1, 3, 3, 1],
          kernelSize: [2, 2],
          filters: 1,
        }),
      RangeError,
    );
  }
});
