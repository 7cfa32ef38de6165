/**
 * One conformance suite for the binary kernels: cases declared once, run on
 * the TS reference, on every native micro-kernel (forced) with 1 and 2
 * threads, and on every micro-kernel of both wasm modules. Results must be
 * identical: bitpacked words bit for bit, float outputs exactly too (all
 * compute one float32 multiply then one float32 add of the same integer,
 * with no fused multiply-add).
 * ONEBIT_QUICK=1 (the aarch64 run under qemu) takes every third case.
 */
import assert from "node:assert/strict";
import { type BinaryKernels, type ConvGeometry, planConv } from "../kernels/binary_kernels.ts";
import { compiledVariants, native, randomSigns, reference, rng, wasm } from "./_backends.ts";

const quick = Deno.env.get("ONEBIT_QUICK") === "1";
const pick = <T>(cases: T[]): T[] => quick ? cases.filter((_, i) => i % 3 === 0) : cases;

interface GemmCase {
  rows: number;
  channelsOut: number;
  depthBits: number;
  clamp: boolean;
}

// Tile edges: rows around mr ∈ {4, 6, 8}; channels around nr ∈ {8, 16, 32} and
// the 32-channel block; depths around a word and past the 31-word byte
// accumulator flush (8000 bits = 250 words).
const gemmCases: GemmCase[] = [];
for (const rows of [1, 3, 4, 5, 7, 8, 9, 17]) {
  for (const channelsOut of [1, 31, 32, 33, 64, 65, 127]) {
    for (const depthBits of [1, 31, 32, 33, 65, 127, 576, 8000]) {
      gemmCases.push({ rows, channelsOut, depthBits, clamp: (rows + channelsOut + depthBits) % 3 === 0 });
    }
  }
}

function gemmInputs(c: GemmCase, k: BinaryKernels) {
  const next = rng(c.rows * 1_000_003 + c.channelsOut * 1009 + c.depthBits);
  const lhs = k.bitpack(randomSigns(c.rows * c.depthBits, next), c.depthBits);
  const rhs = k.packRhs(k.bitpack(randomSigns(c.channelsOut * c.depthBits, next), c.depthBits), c.channelsOut);
  const multiplier = new Float32Array(c.channelsOut).map(() => (next() - 0.3) * 3);
  const bias = new Float32Array(c.channelsOut).map(() => (next() - 0.5) * 10);
  const threshold = new Int32Array(c.channelsOut).map(() => Math.floor(c.depthBits / 2 + (next() - 0.5) * 8));
  const span = Math.max(1, Math.floor(c.depthBits / 4));
  const clamp = c.clamp ? { clampMin: -span, clampMax: span } : {};
  return { lhs, rhs, multiplier, bias, threshold, clamp };
}

function runGemm(k: BinaryKernels, c: GemmCase) {
  const x = gemmInputs(c, k);
  const f = k.bgemmF32(x.lhs, x.rhs, { depthBits: c.depthBits, multiplier: x.multiplier, bias: x.bias, ...x.clamp });
  const b = k.bgemmB32(x.lhs, x.rhs, { depthBits: c.depthBits, threshold: x.threshold });
  return { f, b, packed: x.rhs.data, lhs: x.lhs };
}

const variants = compiledVariants();

Deno.test(`bgemm: ${pick(gemmCases).length} shapes, every native and wasm micro-kernel equals the reference`, () => {
  for (const c of pick(gemmCases)) {
    const want = runGemm(reference, c);
    for (const v of variants) {
      const got = runGemm(v.kernels, c);
      const where = `${v.label} rows=${c.rows} cout=${c.channelsOut} K=${c.depthBits}`;
      assert.deepEqual(got.lhs, want.lhs, `bitpack ${where}`);
      assert.deepEqual(got.packed, want.packed, `packRhs ${where}`);
      assert.deepEqual(got.b, want.b, `bitpacked output ${where}`);
      assert.deepEqual(got.f, want.f, `float output ${where}`);
    }
  }
});

interface ConvCase extends ConvGeometry {
  channelsOut: number;
  bitpacked: boolean;
}

const convCases: ConvCase[] = [];
{
  let i = 0;
  for (const channels of [1, 31, 32, 33, 64, 65, 127]) {
    for (const kernelSize of [[1, 1], [3, 3], [2, 3], [5, 5]] as const) {
      for (const padding of ["valid", "same"] as const) {
        // Rotate the other parameters so every value meets every kernel size.
        const strides = ([[1, 1], [2, 2], [1, 2]] as const)[i % 3];
        const dilations = ([[1, 1], [2, 2], [2, 1], [1, 1]] as const)[(i >> 1) % 4];
        const batch = 1 + (i % 2);
        const channelsOut = [1, 33, 64, 8][i % 4];
        const inH = 7 + (i % 3), inW = 9 - (i % 2);
        const g: ConvCase = {
          inputShape: [batch, inH, inW, channels],
          kernelSize,
          strides,
          dilations,
          padding,
          channelsOut,
          bitpacked: i % 2 === 1,
        };
        try {
          planConv(g);
          convCases.push(g);
        } catch {
          // A dilated 5x5 VALID kernel may not fit: not a case.
        }
        i++;
      }
    }
  }
  // Explicit padding: uneven, and wider than SAME's.
  convCases.push(
    { inputShape: [2, 6, 7, 33], kernelSize: [3, 3], padding: [[2, 2], [0, 1]], channelsOut: 33, bitpacked: false },
    { inputShape: [1, 5, 5, 64], kernelSize: [3, 3], padding: [[1, 2], [2, 2]], channelsOut: 40, bitpacked: true },
  );
}

function runConv(k: BinaryKernels, c: ConvCase) {
  const [n, h, w, cin] = c.inputShape;
  const [kh, kw] = c.kernelSize;
  const next = rng(cin * 7919 + kh * 31 + kw + c.channelsOut * 131 + (c.padding === "same" ? 1 : 0));
  const input = k.bitpack(randomSigns(n * h * w * cin, next), cin);
  const filter = k.packRhs(k.bitpack(randomSigns(c.channelsOut * kh * kw * cin, next), cin), c.channelsOut);
  // The workspace (im2col rows or the zero-padded input) is reused across layers: start it dirty.
  const dirty = (words: number) => new Uint32Array(words).fill(0xa5a5_a5a5);
  if (c.bitpacked) {
    const threshold = new Int32Array(c.channelsOut).map(() => Math.floor((kh * kw * cin) / 2 + (next() - 0.5) * 6));
    const conv = k.bindBconv2dB32(filter, { ...c, threshold });
    const out = new Uint32Array(conv.outputLength);
    conv.run(input, out, dirty(conv.workspaceWords));
    return out;
  }
  const multiplier = new Float32Array(c.channelsOut).map(() => next() * 2 - 0.5);
  const bias = new Float32Array(c.channelsOut).map(() => next() * 4 - 2);
  const conv = k.bindBconv2dF32(filter, { ...c, multiplier, bias, clampMin: 0, clampMax: kh * kw * cin });
  const out = new Float32Array(conv.outputLength);
  conv.run(input, out, dirty(conv.workspaceWords));
  return out;
}

Deno.test(`bconv2d: ${pick(convCases).length} geometries, every native and wasm micro-kernel equals the reference`, () => {
  for (const c of pick(convCases)) {
    const want = runConv(reference, c);
    for (const v of variants) {
      assert.deepEqual(runConv(v.kernels, c), want, `${v.label} ${JSON.stringify(c)}`);
    }
  }
});

// Task scheduling: a GEMM is split into (tile × 32-channel block) units, each task taking a contiguous run that may
// start and end mid-tile. Shapes with many tiles and blocks on 2-5 threads (tasks share tiles): read in place from a
// zero-padded copy (SAME) or from the input (VALID), and, dilated along the width, from im2col rows written by
// whichever task needs a chunk of tiles first (past 512 tiles the chunks are tile pairs). ONEBIT_QUICK (qemu) runs the
// first and fourth. The wasm module has no threads: it runs the same tasks one after another.
const schedulingCases: ConvCase[] = [
  { inputShape: [1, 7, 7, 64], kernelSize: [3, 3], padding: "same", channelsOut: 96, bitpacked: false },
  { inputShape: [1, 14, 14, 32], kernelSize: [3, 3], padding: "same", channelsOut: 65, bitpacked: true },
  { inputShape: [2, 15, 15, 33], kernelSize: [3, 3], padding: "valid", channelsOut: 161, bitpacked: false },
  {
    inputShape: [1, 72, 72, 32],
    kernelSize: [3, 3],
    dilations: [1, 2],
    padding: "same",
    channelsOut: 33,
    bitpacked: false,
  },
  { inputShape: [1, 70, 70, 32], kernelSize: [3, 3], padding: "same", channelsOut: 33, bitpacked: false },
  {
    inputShape: [1, 9, 11, 40],
    kernelSize: [3, 3],
    dilations: [1, 2],
    padding: "same",
    channelsOut: 65,
    bitpacked: true,
  },
];

Deno.test("bgemm and bconv2d: tasks splitting tiles and blocks across 2-5 threads equal the reference", () => {
  const sets = [...(native ? [native] : []), wasm];
  for (const c of pick(schedulingCases)) {
    const want = runConv(reference, c);
    for (const k of sets) {
      for (const u of k.ukernels().filter((u) => u.supported)) {
        for (const threads of [2, 3, 5]) {
          const got = runConv(k.with({ ukernel: u.index, threads }), c);
          assert.deepEqual(got, want, `${k.backend} ${u.name}/t${threads} ${JSON.stringify(c)}`);
        }
      }
    }
  }
  for (const rows of [49, 196, 1001]) {
    const c: GemmCase = { rows, channelsOut: 161, depthBits: 576, clamp: rows % 2 === 0 };
    const want = runGemm(reference, c);
    for (const [k, u] of sets.flatMap((k) => k.ukernels().filter((u) => u.supported).map((u) => [k, u] as const))) {
      for (const threads of [2, 4]) {
        const got = runGemm(k.with({ ukernel: u.index, threads }), c);
        assert.deepEqual(got.b, want.b, `bitpacked ${u.name}/t${threads} rows=${rows}`);
        assert.deepEqual(got.f, want.f, `float ${u.name}/t${threads} rows=${rows}`);
      }
    }
  }
});

Deno.test("im2col: native and wasm equal the reference on padded, strided, dilated geometries", () => {
  for (const c of pick(convCases)) {
    const [n, h, w, cin] = c.inputShape;
    const next = rng(cin + h);
    const input = reference.bitpack(randomSigns(n * h * w * cin, next), cin);
    const want = reference.im2col(input, c);
    for (const v of variants) {
      assert.deepEqual(v.kernels.im2col(input, c), want, `${v.label} ${JSON.stringify(c)}`);
    }
  }
});
