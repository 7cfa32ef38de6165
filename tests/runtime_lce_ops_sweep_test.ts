/**
 * LCE's kernel test sweep (lce-compat.md), at the op level: single-op
 * LceBconv2d / LceBMaxPool2d models written by onebit's writer run through
 * the interpreter (TS reference, native and wasm backends, 1 and 2 threads) and
 * are compared with an independent float oracle on ±1 data: a direct
 * convolution with zero (same-zero), +1 (same-one) or no padding, then the
 * output transform. Bitpacked outputs exact; float within float32 rounding
 * of the transform (the dot products are exact integers).
 */
import assert from "node:assert/strict";
import { Interpreter } from "../runtime/interpreter.ts";
import { floatNative, floatReference, floatWasm, native, reference, wasm } from "./_backends.ts";
import { bconvModel, type BconvSpec, bmaxpoolModel } from "./_lce_models.ts";

const quick = Deno.env.get("ONEBIT_QUICK") === "1";

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function axis(size: number, k: number, stride: number, dilation: number, same: boolean) {
  const eff = (k - 1) * dilation + 1;
  if (same) {
    const out = Math.ceil(size / stride);
    return { out, pad: Math.floor(Math.max((out - 1) * stride + eff - size, 0) / 2) };
  }
  return { out: Math.floor((size - eff) / stride) + 1, pad: 0 };
}

const ACT: [number, number][] = [[-Infinity, Infinity], [0, Infinity], [-1, 1], [0, 6]];

/**
 * The expected float output (bitpacked outputs as their dequantized ±1), and
 * per element the magnitude float32 rounding is relative to: |multiplier|·K +
 * |bias| (the same-zero correction subtracts from a float result of that size,
 * as LCE's does).
 */
function oracle(s: BconvSpec, x: Float32Array): { out: Float64Array; scale: Float64Array } {
  const ay = axis(s.height, s.kernel[0], s.strides[0], s.dilations[0], s.padding === "same");
  const ax = axis(s.width, s.kernel[1], s.strides[1], s.dilations[1], s.padding === "same");
  const cinG = s.channelsIn / s.groups, coutG = s.channelsOut / s.groups;
  const K = s.kernel[0] * s.kernel[1] * cinG;
  const out = new Float64Array(s.batch * ay.out * ax.out * s.channelsOut);
  const scale = new Float64Array(out.length);
  let o = 0;
  for (let n = 0; n < s.batch; n++) {
    for (let oy = 0; oy < ay.out; oy++) {
      for (let ox = 0; ox < ax.out; ox++) {
        for (let c = 0; c < s.channelsOut; c++, o++) {
          const g = Math.floor(c / coutG);
          let dot = 0;
          for (let ky = 0; ky < s.kernel[0]; ky++) {
            for (let kx = 0; kx < s.kernel[1]; kx++) {
              const iy = oy * s.strides[0] + ky * s.dilations[0] - ay.pad;
              const ix = ox * s.strides[1] + kx * s.dilations[1] - ax.pad;
              const inside = iy >= 0 && iy < s.height && ix >= 0 && ix < s.width;
              for (let ci = 0; ci < cinG; ci++) {
                const w = s.weights[((c * s.kernel[0] + ky) * s.kernel[1] + kx) * cinG + ci];
                const v = inside
                  ? (x[((n * s.height + iy) * s.width + ix) * s.channelsIn + g * cinG + ci] < 0 ? -1 : 1)
                  : s.padValues;
                dot += v * w;
              }
            }
          }
          if (s.threshold) {
            out[o] = K - dot > 2 * s.threshold[c] ? -1 : 1; // acc = (K - dot) / 2 > threshold
          } else {
            const [lo, hi] = ACT[s.activation];
            out[o] = Math.min(Math.max(dot, lo), hi) * s.multiplier![c] + s.bias![c];
            scale[o] = Math.abs(s.multiplier![c]) * K + Math.abs(s.bias![c]);
          }
        }
      }
    }
  }
  return { out, scale };
}

function randomCase(r: () => number, i: number): BconvSpec {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const cin = pick([1, 3, 31, 32, 33, 64, 65, 127, 128, 256]);
  const groups = pick([1, 2, 4].filter((g) => g === 1 || cin % (32 * g) === 0));
  const cout = groups * pick([1, 3, 8, 16, 31, 32, 33, 40].filter((c) => c * groups <= 96));
  const kernel = pick<[number, number]>([[1, 1], [3, 3], [5, 5], [2, 3]]);
  const strides = pick<[number, number]>([[1, 1], [1, 1], [2, 3]]);
  const dilations = pick<[number, number]>([[1, 1], [1, 1], [3, 2]]);
  const [padding, padValues] = pick<["same" | "valid", 0 | 1]>([["valid", 0], ["same", 0], ["same", 1]]);
  const height = (kernel[0] - 1) * dilations[0] + 1 + Math.floor(r() * 6);
  const width = (kernel[1] - 1) * dilations[1] + 1 + Math.floor(r() * 6);
  const ay = axis(height, kernel[0], strides[0], dilations[0], padding === "same");
  const ax = axis(width, kernel[1], strides[1], dilations[1], padding === "same");
  const cinG = cin / groups;
  const weights = Float32Array.from({ length: cout * kernel[0] * kernel[1] * cinG }, () => (r() < 0.5 ? -1 : 1));
  const bitpacked = i % 3 === 2;
  const K = kernel[0] * kernel[1] * cinG;
  return {
    batch: pick([1, 1, 2, 5]),
    height,
    width,
    channelsIn: cin,
    channelsOut: cout,
    kernel,
    strides,
    dilations,
    padding,
    padValues,
    groups,
    activation: bitpacked ? 0 : pick([0, 1, 2, 3]),
    weights,
    outH: ay.out,
    outW: ax.out,
    ...(bitpacked
      ? { threshold: Int32Array.from({ length: cout }, () => Math.floor(K / 2 + (r() - 0.5) * Math.sqrt(K) * 2)) }
      : {
        multiplier: Float32Array.from({ length: cout }, () => (r() - 0.3) * 2),
        bias: Float32Array.from({ length: cout }, () => (r() - 0.5) * 10),
      }),
  };
}

const backends = [
  { label: "reference", kernels: reference, floatKernels: floatReference },
  ...(native ? [{ label: "native", kernels: native, floatKernels: floatNative }] : []),
  { label: "wasm", kernels: wasm, floatKernels: floatWasm },
];

function check(
  label: string,
  bytes: Uint8Array,
  x: Float32Array,
  { out: want, scale }: { out: Float64Array; scale: Float64Array },
  bitpacked: boolean,
) {
  for (const b of backends) {
    for (const numThreads of quick ? [1] : [1, 2]) {
      let y: Float32Array;
      try {
        y = Interpreter.fromBytes(bytes, { kernels: b.kernels, floatKernels: b.floatKernels, numThreads })
          .invoke([x])[0] as Float32Array;
      } catch (e) {
        throw new Error(`${label} on ${b.label}/t${numThreads}: ${(e as Error).message}`);
      }
      assert.equal(y.length, want.length, label);
      for (let i = 0; i < y.length; i++) {
        const ok = bitpacked ? y[i] === want[i] : Math.abs(y[i] - want[i]) <= 1e-6 * (1 + scale[i]);
        if (!ok) assert.fail(`${label} on ${b.label}/t${numThreads}: [${i}] = ${y[i]}, oracle ${want[i]}`);
      }
    }
  }
}

Deno.test("LceBconv2d sweep: channels, kernels, groups, strides, dilations, paddings, activations, bitpacked output, batch", () => {
  const r = rng(20261122);
  const cases = quick ? 40 : 240;
  const seen = new Set<string>();
  for (let i = 0; i < cases; i++) {
    const s = randomCase(r, i);
    const x = Float32Array.from({ length: s.batch * s.height * s.width * s.channelsIn }, () => r() - 0.5);
    const label =
      `case ${i}: ${s.batch}x${s.height}x${s.width}x${s.channelsIn} -> ${s.channelsOut}, k${s.kernel} s${s.strides} d${s.dilations} ` +
      `${s.padding}/${s.padValues} g${s.groups} act${s.activation}${s.threshold ? " bitpacked" : ""}`;
    check(label, bconvModel(s), x, oracle(s, x), s.threshold !== undefined);
    seen.add(`${s.padding}${s.padValues}|g${s.groups}|${s.threshold ? "b" : "f"}`);
  }
  // The sample must reach every padding × output kind and grouped convs.
  for (const k of ["valid0|g1|f", "same0|g1|f", "same1|g1|f", "same0|g1|b", "same1|g1|b"]) assert(seen.has(k), k);
  assert([...seen].some((k) => k.includes("g2") || k.includes("g4")), "no grouped case");
});

Deno.test("LceBconv2d: depth past 16-bit accumulators (1x6x6x3072, 5x5 filter, LCE's overflow case)", () => {
  const r = rng(7);
  const cin = 3072, cout = 8, kernel: [number, number] = [5, 5];
  const s: BconvSpec = {
    batch: 1,
    height: 6,
    width: 6,
    channelsIn: cin,
    channelsOut: cout,
    kernel,
    strides: [1, 1],
    dilations: [1, 1],
    padding: "valid",
    padValues: 0,
    groups: 1,
    activation: 0,
    // Mostly agreeing signs, so |dot| grows past what 16 bits hold.
    weights: Float32Array.from({ length: cout * 25 * cin }, () => (r() < 0.97 ? 1 : -1)),
    multiplier: new Float32Array(cout).fill(1),
    bias: new Float32Array(cout),
    outH: 2,
    outW: 2,
  };
  const x = Float32Array.from({ length: 36 * cin }, () => (r() < 0.97 ? 0.5 : -0.5));
  const want = oracle(s, x);
  assert(Math.max(...want.out) > 32767, `max dot ${Math.max(...want.out)}`);
  check("overflow case", bconvModel(s), x, want, false);
});

Deno.test("LceBMaxPool2d sweep vs a float max pool of ±1 data", () => {
  const r = rng(99);
  for (let i = 0; i < (quick ? 10 : 60); i++) {
    const channels = [1, 31, 32, 33, 64, 100][i % 6];
    const filter: [number, number] = [[2, 2], [3, 3], [1, 3], [3, 2]][i % 4] as [number, number];
    const strides: [number, number] = [[1, 1], [2, 2], [2, 1]][i % 3] as [number, number];
    const padding = i % 2 ? "same" as const : "valid" as const;
    const height = filter[0] + Math.floor(r() * 6), width = filter[1] + Math.floor(r() * 6), batch = 1 + (i % 2);
    const ay = axis(height, filter[0], strides[0], 1, padding === "same");
    const ax = axis(width, filter[1], strides[1], 1, padding === "same");
    const x = Float32Array.from({ length: batch * height * width * channels }, () => r() - 0.5);
    const want = new Float64Array(batch * ay.out * ax.out * channels);
    let o = 0;
    for (let n = 0; n < batch; n++) {
      for (let oy = 0; oy < ay.out; oy++) {
        for (let ox = 0; ox < ax.out; ox++) {
          for (let c = 0; c < channels; c++, o++) {
            let m = -Infinity;
            for (let ky = 0; ky < filter[0]; ky++) {
              for (let kx = 0; kx < filter[1]; kx++) {
                const iy = oy * strides[0] + ky - ay.pad, ix = ox * strides[1] + kx - ax.pad;
                if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue; // window clamped at the border
                m = Math.max(m, x[((n * height + iy) * width + ix) * channels + c] < 0 ? -1 : 1);
              }
            }
            want[o] = m;
          }
        }
      }
    }
    const bytes = bmaxpoolModel({
      batch,
      height,
      width,
      channels,
      filter,
      strides,
      padding,
      outH: ay.out,
      outW: ax.out,
    });
    check(`bmaxpool case ${i}`, bytes, x, { out: want, scale: new Float64Array(want.length) }, true);
  }
});
