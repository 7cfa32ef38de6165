/**
 * The fused first convolution and max pooling (kernels_zig/conv2d_maxpool.zig, TrainKernels.conv2dMaxPool and
 * conv2dMaxPoolBackFilter) on a sweep of shapes, on every backend (the TypeScript reference, native on 1-3
 * threads, wasm): the pooled values, the argmax and the filter gradient the same bits as the two ops they fuse on
 * the same backend (FloatKernels.conv2d then bindMaxPoolArgmax; maxPoolGradWindows then conv2dBackFilter); what
 * they refuse, named.
 */
import assert from "node:assert/strict";
import { convMaxPoolRefusal, type MaxPoolWindow, TrainKernels } from "./train_kernels.ts";
import { FloatKernels } from "./float_kernels.ts";
import { compiledFloatKernels, compiledTrainKernels } from "./_test_train_backends.ts";
import { planWindow, type WindowGeometry } from "./geometry.ts";

type Case = { conv: WindowGeometry & { filters: number }; pool: MaxPoolWindow };

/** Channels 1-3, kernels 1×1 to 5×5, strides, both paddings, filters across the 32-channel blocks; pools 2×2/2,
 * 3×3/3, 2×2 by (2, 3), "same" where it pads after only, odd sizes leaving rows and columns out. */
function cases(): Case[] {
  const out: Case[] = [];
  const convs: [number, [number, number], number, "valid" | "same"][] = [
    [1, [3, 3], 1, "valid"],
    [3, [3, 3], 2, "same"],
    [2, [2, 3], 1, "valid"],
    [1, [5, 5], 1, "same"],
    [1, [1, 1], 1, "valid"],
  ];
  const pools: MaxPoolWindow[] = [
    { kernelSize: [2, 2] },
    { kernelSize: [3, 3], padding: "valid" },
    { kernelSize: [2, 2], strides: [2, 3] },
    { kernelSize: [2, 2], padding: "same" },
  ];
  let i = 0;
  for (const [c, kernelSize, s, padding] of convs) {
    for (const pool of pools) {
      const filters = [32, 8, 33, 64, 1, 40][i % 6];
      i++;
      const h = 11 + (i % 4), w = 12 + (i % 5);
      out.push({ conv: { inputShape: [1 + (i % 3), h, w, c], kernelSize, strides: [s, s], padding, filters }, pool });
    }
  }
  return out;
}

function values(n: number, seed: number): Float32Array {
  // Small integers in half of them make ties in the windows: the first maximum must win as in the two ops.
  return Float32Array.from(
    { length: n },
    (_, i) => i % 2 ? Math.round(Math.sin(i + seed) * 2) : Math.sin(i * 1.7 + seed) * (1 + (i % 7)),
  );
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** The two ops on one backend: conv2d, max pooling with argmax, its gradient scatter, the filter gradient. */
function unfused(f: FloatKernels, t: TrainKernels, c: Case, x: Float32Array, hwio: Float32Array, dy: Float32Array) {
  const g = planWindow(c.conv);
  const conv = f.conv2d(x, f.packRhsKN(hwio, c.conv.filters), c.conv);
  const pool = {
    inputShape: [g.batch, g.out_h, g.out_w, c.conv.filters] as [number, number, number, number],
    kernelSize: c.pool.kernelSize,
    strides: c.pool.strides ?? c.pool.kernelSize,
    padding: c.pool.padding,
  };
  const bound = f.bindMaxPoolArgmax(pool);
  const y = new Float32Array(bound.outputLength), argmax = new Int32Array(bound.outputLength);
  bound.run(conv, y, argmax);
  const dConv = t.maxPoolGradWindows(dy.subarray(0, y.length), argmax, pool);
  return { y, argmax, dw: t.conv2dBackFilter(x, dConv, c.conv) };
}

const backends: [string, FloatKernels, TrainKernels][] = [
  ["reference", FloatKernels.reference(), TrainKernels.reference()],
  ...compiledTrainKernels.map(([label, t]): [string, FloatKernels, TrainKernels] => [
    label,
    compiledFloatKernels.find(([l]) => l === label)![1],
    t,
  ]),
];

Deno.test("conv2dMaxPool: values, argmax and filter gradient are the two ops' bits, on every backend", () => {
  let checked = 0;
  for (const [k, c] of cases().entries()) {
    assert.equal(convMaxPoolRefusal(c.conv, c.pool), null, JSON.stringify(c));
    const g = planWindow(c.conv), depth = g.kernel_h * g.kernel_w * g.channels;
    const x = values(g.batch * g.in_h * g.in_w * g.channels, k);
    const hwio = values(depth * c.conv.filters, 100 + k);
    const dy = values(g.batch * g.out_h * g.out_w * c.conv.filters, 200 + k);
    for (const [label, f, t] of backends) {
      const what = `${label}, case ${k} ${JSON.stringify(c)}`;
      const got = t.conv2dMaxPool(x, f.packRhsKN(hwio, c.conv.filters), c.conv, c.pool);
      const two = unfused(f, t, c, x, hwio, dy);
      assert.deepEqual(got.shape.reduce((a, b) => a * b), two.y.length, what);
      assert.deepEqual(bits(got.y), bits(two.y), `values, ${what}`);
      assert.deepEqual(got.argmax, two.argmax, `argmax, ${what}`);
      const dw = t.conv2dMaxPoolBackFilter(x, dy.subarray(0, got.y.length), got.argmax, c.conv, c.pool);
      assert.deepEqual(bits(dw), bits(two.dw), `filter gradient, ${what}`);
      checked++;
    }
  }
  assert(checked >= 20 * backends.length, `${checked} checks`);
});

Deno.test("conv2dMaxPool: refuses, naming it, what it cannot fuse; a corrupt argmax drops gradients as the two ops", () => {
  const conv = {
    inputShape: [2, 10, 10, 1] as [number, number, number, number],
    kernelSize: [3, 3] as [number, number],
    filters: 32,
  };
  assert.match(convMaxPoolRefusal(conv, { kernelSize: [2, 2], strides: [1, 1] })!, /pool windows overlap/);
  assert.match(
    convMaxPoolRefusal({ ...conv, inputShape: [2, 10, 10, 8] }, { kernelSize: [2, 2] })!,
    /8 input channels/,
  );
  // 7 outputs pooled 3 by 3 with "same": one row of padding before, one after.
  assert.match(
    convMaxPoolRefusal({ ...conv, inputShape: [1, 9, 9, 1] }, { kernelSize: [3, 3], padding: "same" })!,
    /pads before/,
  );
  assert.match(
    convMaxPoolRefusal({ ...conv, inputShape: [1, 10, 300, 1] }, { kernelSize: [2, 2] })!,
    /rows of 298 pixels .* pass the 8192 floats/,
  );
  for (const [label, f, t] of backends) {
    const w = f.packRhsKN(values(9 * 32, 1), 32), x = values(2 * 100, 2);
    assert.throws(() => t.conv2dMaxPool(x, w, conv, { kernelSize: [2, 2], strides: [1, 1] }), {
      name: "RangeError",
      message: /conv2dMaxPool: pool windows overlap/,
    }, label);
    assert.throws(() => t.conv2dMaxPool(x, f.packRhsKN(values(9 * 16, 1), 16), conv, { kernelSize: [2, 2] }), {
      name: "RangeError",
      message: /filter must be packed with 32 channels/,
    }, label);
    // An index outside its window (past the output, or another window's) drops that gradient, as the two ops do.
    const { y, argmax } = t.conv2dMaxPool(x, w, conv, { kernelSize: [2, 2] });
    const bad = argmax.slice();
    bad[5] = 2 * 8 * 8 * 32;
    bad[40] = argmax[41];
    const poolGeo = {
      inputShape: [2, 8, 8, 32] as [number, number, number, number],
      kernelSize: [2, 2] as [number, number],
      strides: [2, 2] as [number, number],
    };
    const want = t.conv2dBackFilter(x, t.maxPoolGradWindows(y, bad, poolGeo), conv);
    assert.deepEqual(bits(t.conv2dMaxPoolBackFilter(x, y, bad, conv, { kernelSize: [2, 2] })), bits(want), label);
    assert.notDeepEqual(bits(want), bits(t.conv2dMaxPoolBackFilter(x, y, argmax, conv, { kernelSize: [2, 2] })));
  }
});
