/**
 * The interpreter's residual fusion (LceBconv2d float output + the ADD that
 * reads it + the LceQuantize of the sum, one kernel call): the fused kernel
 * against the unfused composition bit for bit on a sweep (native: every
 * micro-kernel on 1 and 2 threads; wasm; reference), and whole converted
 * models fused and unfused giving the same bits, with the fusion applied
 * exactly where it is legal.
 */
import assert from "node:assert/strict";
import { input, link, type SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation } from "../layers/core.ts";
import { seededRandom } from "../graph/random.ts";
import { type Layer, weightClip } from "../layers/layer.ts";
import { Add } from "../layers/merge.ts";
import { convert } from "../convert/convert.ts";
import { randomize } from "../convert/_test_cases.ts";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { floatWasm, nativeVariants, randomSigns, rng, wasm } from "./_backends.ts";

const backends: { label: string; k: BinaryKernels; f: FloatKernels }[] = [
  { label: "reference", k: BinaryKernels.reference(), f: FloatKernels.reference() },
  // Every micro-kernel this CPU runs: on x86 the epilogue runs inside each one's float tile (nr 32 or 16).
  ...nativeVariants().map(({ label, kernels }) => ({
    label: `native/${label}`,
    k: kernels,
    f: FloatKernels.native({ threads: kernels.threads }),
  })),
  { label: "wasm", k: wasm, f: floatWasm },
];

Deno.test("bconv2d + ADD (+ bitpack) epilogue = the convolution, then the add, then the pack, bit for bit", () => {
  const next = rng(21);
  const cases = [
    { hw: 9, cin: 64, cout: 64, k: 3, pad: "same" as const }, // im2col fused into the GEMM tasks
    { hw: 12, cin: 32, cout: 40, k: 3, pad: "same" as const }, // a partial channel block: the scalar epilogue
    { hw: 14, cin: 96, cout: 96, k: 1, pad: "valid" as const }, // direct 1×1: tasks per channel block
    { hw: 30, cin: 64, cout: 32, k: 3, pad: "valid" as const }, // 784 rows: several row tasks on 2 threads
  ];
  for (const c of cases) {
    const inputF = randomSigns(c.hw * c.hw * c.cin, next);
    const weights = randomSigns(c.cout * c.k * c.k * c.cin, next);
    const geometry = {
      inputShape: [1, c.hw, c.hw, c.cin] as [number, number, number, number],
      kernelSize: [c.k, c.k] as [number, number],
      padding: c.pad,
    };
    const multiplier = Float32Array.from({ length: c.cout }, () => next() * 0.2 - 0.1);
    const bias = Float32Array.from({ length: c.cout }, () => next() * 2 - 1);
    // No clamp, a ReLU ([+0, +inf]: the aarch64 library's NEON loops for both) and a ReLU6 (the portable loop).
    for (const clamp of [{}, { addClampMin: 0 }, { addClampMin: 0, addClampMax: 6 }]) {
      for (const { label, k, f } of backends) {
        const x = k.bitpack(inputF, c.cin);
        const w = k.packRhs(k.bitpack(weights, c.k * c.k * c.cin), c.cout);
        const plain = k.bindBconv2dF32(w, { ...geometry, multiplier, bias });
        const y = new Float32Array(plain.outputLength);
        const ws = new Uint32Array(Math.max(1, plain.workspaceWords));
        plain.run(x, y, ws);
        const residual = Float32Array.from({ length: y.length }, () => next() * 8 - 4);
        const want = f.elementwise(y, residual, "add", { clampMin: clamp.addClampMin, clampMax: clamp.addClampMax });
        const wantPacked = k.bitpack(want, c.cout);
        for (const pack of [false, true]) {
          const fused = k.bindBconv2dF32Add(w, { ...geometry, multiplier, bias, ...clamp, pack });
          const out = new Float32Array(fused.outputLength), packed = new Uint32Array(fused.packedLength);
          fused.run(x, residual, out, ws, pack ? packed : undefined);
          const tag = `${label} ${JSON.stringify(c)} ${JSON.stringify(clamp)} pack=${pack}`;
          for (let i = 0; i < want.length; i++) {
            if (!Object.is(out[i], want[i])) assert.fail(`${tag}: [${i}] ${out[i]} vs ${want[i]}`);
          }
          if (pack) assert.deepEqual(packed, wantPacked, tag);
        }
      }
    }
  }
});

Deno.test("bindBconv2dF32Add checks its arrays and clamps", () => {
  const k = BinaryKernels.reference();
  const w = k.packRhs(new Uint32Array(32 * 9), 32);
  const g = { inputShape: [1, 4, 4, 32] as [number, number, number, number], kernelSize: [3, 3] as [number, number] };
  assert.throws(() => k.bindBconv2dF32Add(w, { ...g, addClampMin: 2, addClampMax: 1 }), /addClampMin/);
  const b = k.bindBconv2dF32Add(w, { ...g, pack: true });
  const x = new Uint32Array(16), out = new Float32Array(b.outputLength), ws = new Uint32Array(b.workspaceWords);
  assert.throws(() => b.run(x, new Float32Array(3), out, ws, new Uint32Array(b.packedLength)), /residual/);
  assert.throws(() => b.run(x, new Float32Array(out.length), out, ws), /packed must be a Uint32Array/);
  // A same-zero border: a slot per output pixel (2x2 VALID here), each -1 or a row of fix (32 values a row).
  const border = (slots: number[], rows: number) => ({
    slots: Int32Array.from(slots),
    fix: new Float32Array(32 * rows),
  });
  assert.throws(() => k.bindBconv2dF32Add(w, { ...g, border: border([0, -1, -1], 1) }), /border.slots/);
  assert.throws(() => k.bindBconv2dF32Add(w, { ...g, border: border([0, 1, -1, -1], 1) }), /border.slots\[1\] is 1/);
  assert.throws(
    () => k.bindBconv2dF32Add(w, { ...g, border: { slots: new Int32Array(4), fix: new Float32Array(5) } }),
    /fix/,
  );
  k.bindBconv2dF32Add(w, { ...g, border: border([0, 1, -1, -1], 2) });
});

/** A residual stack as QuickNet builds it (x + BN(bconv(x)), the third sum ReLU'd), then two convolutions of it. */
function residualModel(channels: number, padValues: 0 | 1, seed: number): Model {
  const init = seededRandom(seed);
  const sl = (layer: Layer, ...xs: SymbolicTensor[]) => link(layer.seed(init), ...xs);
  const conv = () =>
    new QuantConv2D(channels, 3, {
      inputQuantizer: "ste_sign",
      kernelQuantizer: "ste_sign",
      kernelConstraint: weightClip(),
      padding: "same",
      padValues,
      useBias: false,
    });
  const x = input([10, 10, channels]);
  let h = x;
  for (let i = 0; i < 2; i++) h = sl(new Add(), sl(new BatchNormalization(), sl(conv(), h)), h);
  const r = sl(new Activation("relu"), sl(new Add(), sl(new BatchNormalization(), sl(conv(), h)), h));
  // A sum no LceQuantize reads (a model output): fused without the pack.
  const end = sl(new Add(), sl(new BatchNormalization(), sl(conv(), r)), r);
  // Read twice: this convolution's output feeds an ADD and the model output, so it must not fuse.
  const y = sl(new BatchNormalization(), sl(conv(), r));
  return new Model(x, [end, sl(new Add(), y, r), y]);
}

Deno.test("converted residual models run the same bits fused and unfused; fusion only where legal", () => {
  for (const [channels, padValues] of [[64, 1], [40, 1], [32, 0], [64, 0], [40, 0]] as const) {
    const model = residualModel(channels, padValues, channels + padValues);
    randomize(model, 5);
    const { bytes } = convert(model);
    const x = Float32Array.from({ length: 100 * channels }, (_, i) => Math.sin(i * 0.37) * 2);
    for (const { label, k, f } of backends) {
      const fused = Interpreter.fromBytes(bytes, { kernels: k, floatKernels: f, profile: true });
      const plain = Interpreter.fromBytes(bytes, { kernels: k, floatKernels: f, fuse: false });
      const a = fused.invoke([x]), b = plain.invoke([x]);
      a.forEach((t, i) =>
        assert.ok(t.every((v, j) => Object.is(v, b[i][j])), `${label} ${channels}/${padValues} out ${i}`)
      );
      const names = fused.profile().map((p) => p.op);
      const tag = `${label} ${channels}/${padValues}: ${names.join(" ")}`;
      // Three blocks whose sum (the last one ReLU'd: the ADD's fused activation) the next LceQuantize reads, one
      // whose sum is an output only, one that must stay apart.
      assert.equal(names.filter((n) => n === "LceBconv2d+ADD+LceQuantize").length, 3, tag);
      assert.equal(names.filter((n) => n === "LceBconv2d+ADD").length, 1, tag);
      assert.equal(names.filter((n) => n === "LceBconv2d").length, 1, tag);
      assert.equal(names.filter((n) => n === "ADD").length, 1, tag);
    }
  }
  assert.throws(() => Interpreter.fromBytes(new Uint8Array(0), { fuse: "yes" as never }), /./);
});
