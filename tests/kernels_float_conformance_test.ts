/**
 * Float kernels: one sweep of cases, run on the TS reference, on every
 * native float micro-kernel (forced) × threads {1, 2} and on every float
 * micro-kernel of both wasm modules, each compared with an independent
 * float64 oracle (direct loops, no im2col, no packing). Tolerance: float32
 * rounding of a depth-K sum, 1e-5·(1 + Σ|terms|), for every backend.
 */
import assert from "node:assert/strict";
import { FloatKernels, planWindow, type WindowGeometry } from "../kernels/float_kernels.ts";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { im2colRows } from "../kernels/reference_kernels.ts";
import { floatWasmVariants } from "./_backends.ts";

const quick = Deno.env.get("ONEBIT_QUICK") === "1";
const reference = FloatKernels.reference();
let native: FloatKernels | undefined;
try {
  native = FloatKernels.native();
} catch (e) {
  if (Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1") throw e;
}

const backends: { label: string; k: FloatKernels }[] = [{ label: "reference", k: reference }];
for (const u of native?.ukernels() ?? []) {
  if (!u.supported) continue;
  for (const threads of [1, 2]) {
    backends.push({ label: `${u.name}/t${threads}`, k: native!.with({ ukernel: u.index, threads }) });
  }
}
for (const { label, float } of floatWasmVariants()) backends.push({ label, k: float });

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
}

function close(label: string, got: Float32Array, want: Float64Array, scale: Float64Array): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < got.length; i++) {
    const tol = 1e-5 * (1 + scale[i]);
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      assert.fail(`${label}: [${i}] = ${got[i]}, oracle ${want[i]} (tol ${tol})`);
    }
  }
}

/** float64 direct convolution; `groups` channels of the input per filter (depthwise: groups = Cin). */
function oracleConv(
  x: Float32Array,
  w: Float32Array, // OHWI [cout, kh, kw, cin/groups]
  bias: Float32Array,
  g: WindowGeometry,
  cout: number,
  groups: number,
  lo: number,
  hi: number,
) {
  const p = planWindow(g);
  const cinG = p.channels / groups, coutG = cout / groups;
  const out = new Float64Array(p.batch * p.out_h * p.out_w * cout), scale = new Float64Array(out.length);
  let o = 0;
  for (let n = 0; n < p.batch; n++) {
    for (let oy = 0; oy < p.out_h; oy++) {
      for (let ox = 0; ox < p.out_w; ox++, o++) {
        for (let c = 0; c < cout; c++) {
          const grp = Math.floor(c / coutG);
          let s = bias[c], a = Math.abs(bias[c]);
          for (let ky = 0; ky < p.kernel_h; ky++) {
            const iy = oy * p.stride_h + ky * p.dilation_h - p.pad_top;
            for (let kx = 0; kx < p.kernel_w; kx++) {
              const ix = ox * p.stride_w + kx * p.dilation_w - p.pad_left;
              if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
              for (let ci = 0; ci < cinG; ci++) {
                const t = x[((n * p.in_h + iy) * p.in_w + ix) * p.channels + grp * cinG + ci] *
                  w[((c * p.kernel_h + ky) * p.kernel_w + kx) * cinG + ci];
                s += t;
                a += Math.abs(t);
              }
            }
          }
          out[o * cout + c] = Math.min(Math.max(s, lo), hi);
          scale[o * cout + c] = a;
        }
      }
    }
  }
  return { out, scale };
}

Deno.test("float sgemm: rows × channels × depth sweep, tile edges, bias and clamp", () => {
  const rows = quick ? [1, 9] : [1, 5, 6, 7, 8, 9, 13, 17, 64];
  const chans = quick ? [1, 33] : [1, 7, 8, 9, 16, 31, 32, 33, 65];
  const depths = quick ? [3] : [1, 3, 27, 64];
  for (const m of rows) {
    for (const n of chans) {
      for (const k of depths) {
        const x = rand(m * k, m * 31 + k), w = rand(n * k, n * 7 + k), bias = rand(n, n);
        const g: WindowGeometry = { inputShape: [1, 1, m, k], kernelSize: [1, 1] };
        const { out, scale } = oracleConv(x, w, bias, g, n, 1, -0.5, 0.75);
        for (const { label, k: fk } of backends) {
          const y = fk.sgemm(x, fk.packRhs(w, n), { bias, clampMin: -0.5, clampMax: 0.75 });
          close(`sgemm ${m}x${n}x${k} on ${label}`, y, out, scale);
        }
      }
    }
  }
});

Deno.test("float conv2d, depthwise, pooling: geometry sweep", () => {
  const geos: WindowGeometry[] = [
    { inputShape: [1, 7, 6, 3], kernelSize: [3, 3], strides: [2, 2], padding: "same" },
    { inputShape: [2, 5, 5, 16], kernelSize: [1, 1] },
    { inputShape: [1, 9, 8, 5], kernelSize: [3, 2], dilations: [2, 1], padding: "same" },
    { inputShape: [1, 6, 7, 33], kernelSize: [2, 3], strides: [1, 2], padding: "valid" },
    // 966 output pixels: many 128-row tiles, each thread's tile reused (and with keepCols, the whole im2col).
    { inputShape: [2, 23, 21, 3], kernelSize: [3, 3], padding: "same" },
    // Depthwise: interior blocks of 4 pixels × 8 channels with a stride, a dilation and a channel tail (27 = 3·8 + 3).
    { inputShape: [1, 12, 23, 27], kernelSize: [3, 3], strides: [2, 2], dilations: [1, 2], padding: "same" },
    // Pooling's 32-channel chunks (the last one overlapping, 40 = 32 + 8) over border windows of 4 to 9 taps, one
    // output row; the depthwise interior's 5 groups of 8.
    { inputShape: [1, 3, 9, 40], kernelSize: [3, 3], strides: [2, 2], padding: "same" },
    // One output pixel (XNORNet's 6x6 layer in small): on 2 threads its channel blocks are split.
    { inputShape: [1, 3, 3, 5], kernelSize: [3, 3], padding: "valid" },
    // QuickNet's 2×2 stride-1 pooling: a row's interior windows pool as one run of 8·40 floats (pool2d.zig poolRun).
    { inputShape: [1, 6, 9, 40], kernelSize: [2, 2] },
    // Explicit padding, wider than SAME's and uneven (a stride-1 convolution's input gradient pads dy by
    // kernel - 1 - pad on each side: graph/conv.ts nativeInputGradient).
    { inputShape: [2, 5, 6, 17], kernelSize: [3, 3], padding: [[2, 2], [2, 1]] },
  ];
  for (const g of quick ? [...geos.slice(0, 2), geos[4], geos[5], geos[6]] : geos) {
    const [, , , cin] = g.inputShape;
    for (const cout of [1, 17, 40]) {
      const kh = g.kernelSize[0], kw = g.kernelSize[1];
      const x = rand(g.inputShape.reduce((a, b) => a * b, 1), cin + cout), w = rand(cout * kh * kw * cin, cout);
      const bias = rand(cout, 5);
      const { out, scale } = oracleConv(x, w, bias, g, cout, 1, -Infinity, 1);
      for (const { label, k } of backends) {
        for (const keepCols of [false, true]) {
          const workspace = new Float32Array(Math.max(1, k.conv2dWorkspaceFloats(g, { keepCols })));
          close(
            `conv2d ${JSON.stringify(g)}→${cout} keepCols=${keepCols} on ${label}`,
            k.conv2d(x, k.packRhs(w, cout), { ...g, bias, clampMax: 1, keepCols, workspace }),
            out,
            scale,
          );
          if (keepCols && workspace.length > 1) {
            // The whole im2col stays in the workspace (a filter gradient reads it): the reference's im2col.
            const p = planWindow(g);
            const want = new Float32Array(workspace.length);
            im2colRows(p, p.channels, x, want);
            assert.deepEqual(workspace, want, `im2col kept by ${label}`);
          }
        }
      }
    }
    for (const mult of [1, 2]) {
      const cout = cin * mult, kh = g.kernelSize[0], kw = g.kernelSize[1];
      const x = rand(g.inputShape.reduce((a, b) => a * b, 1), 9), w = rand(kh * kw * cout, 4), bias = rand(cout, 3);
      // The oracle takes OHWI with one input channel per group: transpose [kh, kw, cout] to [cout, kh, kw, 1].
      const ohwi = new Float32Array(w.length);
      for (let t = 0; t < kh * kw; t++) for (let c = 0; c < cout; c++) ohwi[c * kh * kw + t] = w[t * cout + c];
      const { out, scale } = oracleConv(x, ohwi, bias, g, cout, cin, 0, 6);
      for (const { label, k } of backends) {
        const y = k.depthwise(x, w, { ...g, multiplier: mult, bias, clampMin: 0, clampMax: 6 });
        close(`depthwise ${JSON.stringify(g)} ×${mult} on ${label}`, y, out, scale);
      }
    }
    if (g.dilations === undefined) {
      for (const kind of ["max", "avg"] as const) {
        const p = planWindow(g);
        const x = rand(g.inputShape.reduce((a, b) => a * b, 1), 77);
        const want = new Float64Array(p.batch * p.out_h * p.out_w * cin);
        let o = 0;
        for (let n = 0; n < p.batch; n++) {
          for (let oy = 0; oy < p.out_h; oy++) {
            for (let ox = 0; ox < p.out_w; ox++) {
              for (let c = 0; c < cin; c++, o++) {
                let acc = kind === "max" ? -Infinity : 0, count = 0;
                for (let ky = 0; ky < p.kernel_h; ky++) {
                  for (let kx = 0; kx < p.kernel_w; kx++) {
                    const iy = oy * p.stride_h + ky - p.pad_top, ix = ox * p.stride_w + kx - p.pad_left;
                    if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
                    const v = x[((n * p.in_h + iy) * p.in_w + ix) * cin + c];
                    acc = kind === "max" ? Math.max(acc, v) : acc + v;
                    count++;
                  }
                }
                want[o] = kind === "max" ? acc : acc / count;
              }
            }
          }
        }
        for (const { label, k } of backends) {
          close(
            `${kind}pool ${JSON.stringify(g)} on ${label}`,
            k.pool2d(x, { ...g, kind }),
            want,
            new Float64Array(want.length).fill(1),
          );
        }
      }
    }
  }
});

Deno.test("float elementwise: add, sub, mul with clamp", () => {
  const a = rand(1001, 1), b = rand(1001, 2);
  for (const op of ["add", "sub", "mul"] as const) {
    const want = Float64Array.from(a, (v, i) => {
      const r = op === "add" ? v + b[i] : op === "sub" ? v - b[i] : v * b[i];
      return Math.min(Math.max(Math.fround(r), -0.25), 0.5);
    });
    for (const { label, k } of backends) {
      close(
        `${op} on ${label}`,
        k.elementwise(a, b, op, { clampMin: -0.25, clampMax: 0.5 }),
        want,
        new Float64Array(want.length),
      );
    }
  }
  // Without a clamp (the aarch64 library's NEON loop, 32 floats a step, and its tail): every sum exact, NaN and
  // -0 kept.
  a[5] = NaN;
  a[6] = -0;
  b[6] = -0;
  const sum = Float32Array.from(a, (v, i) => v + b[i]);
  for (const { label, k } of backends) {
    const got = k.elementwise(a, b, "add");
    // Object.is: -0 apart from +0, NaN equal to NaN (whatever its payload: the backends' NaN bits differ).
    const wrong = got.findIndex((v, i) => !Object.is(v, sum[i]));
    assert.equal(wrong, -1, `unclamped add on ${label}: element ${wrong}`);
  }
});

Deno.test("float kernels validate before FFI", () => {
  const k = native ?? reference;
  const w = k.packRhs(new Float32Array(6), 2);
  assert.throws(() => k.sgemm(new Float32Array(4), w), RangeError);
  assert.throws(() => k.sgemm(new Float32Array(3), w, { clampMin: 1, clampMax: 0 }), RangeError);
  assert.throws(() => k.conv2d(new Float32Array(10), w, { inputShape: [1, 2, 2, 3], kernelSize: [1, 1] }), RangeError);
  assert.throws(
    () => k.depthwise(new Float32Array(12), new Float32Array(5), { inputShape: [1, 2, 2, 3], kernelSize: [1, 1] }),
    RangeError,
  );
  assert.throws(
    () => k.pool2d(new Float32Array(12), { inputShape: [1, 2, 2, 3], kernelSize: [3, 3], kind: "max" }),
    RangeError,
  );
  assert.throws(() => k.elementwise(new Float32Array(3), new Float32Array(4), "add"), RangeError);
  assert.throws(() => k.elementwise(new Float32Array(3), new Float32Array(3), "div" as "add"), TypeError);
});

Deno.test("threaded elementwise and bitpack (past their one-thread cut-offs) equal the reference", () => {
  const n = 200_003;
  const a = rand(n, 11), b = rand(n, 12);
  for (const op of ["add", "mul"] as const) {
    const want = reference.elementwise(a, b, op, { clampMin: -0.5 });
    for (const { label, k } of backends) {
      assert.deepEqual(k.elementwise(a, b, op, { clampMin: -0.5, threads: 2 }), want, `${op} on ${label}`);
    }
  }
  const x = rand(8192 * 65, 13);
  x[7] = 0;
  x[8] = -0;
  const packedRef = BinaryKernels.reference().bitpack(x, 65);
  if (native) assert.deepEqual(BinaryKernels.native().bitpack(x, 65, { threads: 2 }), packedRef);
});

Deno.test("NaN propagates through the clamps as in the reference (sgemm, pooling, depthwise, elementwise)", () => {
  const x = new Float32Array([NaN, 1, -2, 3]);
  for (const { label, k } of backends) {
    const y = k.sgemm(x.subarray(0, 2), k.packRhs(new Float32Array([1, 1]), 1), { clampMin: 0, clampMax: 6 });
    assert(Number.isNaN(y[0]), `sgemm on ${label}: ${y[0]}`);
    const p = k.pool2d(x, { inputShape: [1, 2, 2, 1], kernelSize: [2, 2], kind: "avg", clampMin: 0 });
    assert(Number.isNaN(p[0]), `avg pool on ${label}: ${p[0]}`);
    const d = k.depthwise(x, new Float32Array([1]), {
      inputShape: [1, 2, 2, 1],
      kernelSize: [1, 1],
      clampMin: 0,
      clampMax: 6,
    });
    assert(Number.isNaN(d[0]) && d[2] === 0 && d[3] === 3, `depthwise on ${label}: ${d}`);
    const e = k.elementwise(x, x, "add", { clampMin: -1, clampMax: 1 });
    assert(Number.isNaN(e[0]) && e[1] === 1 && e[2] === -1, `elementwise on ${label}: ${e}`);
  }
});

Deno.test("bound calls snapshot what they were bound with: later changes to the caller's objects cannot reach native code", () => {
  const k = native ?? reference;
  const w = k.packRhs(new Float32Array(6), 2); // depth 3
  const bound = k.bindSgemm(w, { rows: 1 });
  (w as { depth: number }).depth = 1000; // a lying caller
  assert.throws(() => bound.run(new Float32Array(1), new Float32Array(2)), RangeError);
  bound.run(new Float32Array(3), new Float32Array(2)); // the bound depth still holds
  const buffer = new ArrayBuffer(4 * 6 * 32 / 2, { maxByteLength: 4 * 6 * 32 });
  const data = new Float32Array(buffer);
  const conv = k.bindConv2d({ data, channelsOut: 1, depth: 3 }, { inputShape: [1, 1, 1, 3], kernelSize: [1, 1] });
  buffer.resize(8);
  assert.throws(
    () => conv.run(new Float32Array(3), new Float32Array(1), new Float32Array(1)),
    /changed size after bind/,
  );
});

Deno.test("max pooling with argmax (training): native = reference, first maximum on ties, NaN kept", () => {
  const geos: WindowGeometry[] = [
    { inputShape: [2, 7, 6, 5], kernelSize: [2, 2], strides: [2, 2] },
    { inputShape: [1, 9, 9, 33], kernelSize: [3, 3], strides: [2, 2], padding: "same" },
    { inputShape: [2, 8, 9, 70], kernelSize: [2, 3], strides: [3, 3], padding: "same" },
    // larq's MNIST CNN, threaded (a smaller batch under qemu)
    { inputShape: [quick ? 8 : 64, 26, 26, 32], kernelSize: [2, 2], strides: [2, 2] },
  ];
  for (const g of geos) {
    const n = g.inputShape.reduce((a, b) => a * b, 1);
    // Few distinct values: ties in most windows.
    const x = Float32Array.from(rand(n, 31), (v) => Math.round(v * 3));
    x[0] = NaN, x[1] = -Infinity;
    const want = reference.bindMaxPoolArgmax(g);
    const y = new Float32Array(want.outputLength), arg = new Int32Array(want.outputLength);
    want.run(x, y, arg);
    // Every index points at an input equal to its maximum (the tie rule is graph/nn_test.ts's, on this reference).
    for (let i = 0; i < y.length; i++) assert.ok(Object.is(x[arg[i]], y[i]), `${JSON.stringify(g)} at ${i}`);
    assert.ok(Number.isNaN(y[0]) && arg[0] === 0, "a NaN first tap stays");
    for (const { label, k } of backends.slice(1)) {
      const got = new Float32Array(y.length), gotArg = new Int32Array(y.length);
      k.bindMaxPoolArgmax(g).run(x, got, gotArg);
      const bad = y.findIndex((v, i) => !Object.is(got[i], v) || gotArg[i] !== arg[i]);
      assert.equal(bad, -1, `max/argmax ${JSON.stringify(g)} on ${label} at ${bad}`);
    }
  }
});
