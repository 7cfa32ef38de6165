/**
 * A/B of two builds of libonebit in one process: interleaved rounds so that
 * both see the same machine state; prints medians (µs per call) and b/a.
 *
 *   deno run -A bench/ab.ts --a old/libonebit.so --b zig-out/lib/x86_64-linux-gnu/libonebit.so
 *                           [--suite binary|float|pool] [--threads 1] [--rounds 15]
 *
 * `binary` (default): QuickNet's 3x3 binary GEMM and convolution shapes on 1 and 2 threads. `float`: the float
 * convolutions of QuickNet and Bi-Real Net (stems, 1x1, 3x3) and SGEMMs. `pool`: max and average pooling.
 * Both libraries must have this checkout's ABI (the loader checks). Each library starts its own thread pool, whose
 * spinning workers compete: compare 2-thread times of two builds in alternating processes instead
 * (`bench:kernels --lib A --lib B --processes N`, `bench:threads --lib`).
 */
import { parseArgs } from "node:util";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    rounds: { type: "string" },
    suite: { type: "string", default: "binary" },
    threads: { type: "string", default: "1" },
  },
});
if (!values.a || !values.b || !["binary", "float", "pool"].includes(values.suite!)) {
  throw new TypeError(
    "usage: bench/ab.ts --a <libonebit.so> --b <libonebit.so> [--suite binary|float|pool] [--threads N] [--rounds N]",
  );
}
const rounds = Number(values.rounds ?? 15);
const threads = Number(values.threads);
const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];

/** A named case: given one build's kernels, returns the call to time. */
interface Case<K> {
  name: string;
  make(k: K): () => void;
}

function compare<K>(libs: { a: K; b: K }, cases: Case<K>[], calls: number) {
  console.log(`medians of ${rounds} interleaved rounds of ${calls} calls (µs per call)\n`);
  console.log(`${"case".padEnd(40)} ${"a".padStart(9)} ${"b".padStart(9)}   b/a`);
  for (const c of cases) {
    const f = { a: c.make(libs.a), b: c.make(libs.b) };
    const t = { a: [] as number[], b: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      for (const key of ["a", "b"] as const) {
        for (let i = 0; i < 2; i++) f[key]();
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) f[key]();
        t[key].push(((performance.now() - t0) / calls) * 1000);
      }
    }
    const a = median(t.a), b = median(t.b);
    console.log(`${c.name.padEnd(40)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(9)}  ${(b / a).toFixed(2)}`);
  }
}

const count = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);
const wave = (n: number, f: (i: number) => number) => new Float32Array(n).map((_, i) => f(i));

if (values.suite === "binary") {
  const cases: Case<BinaryKernels>[] = [];
  for (const [hw, cin] of [[56, 64], [28, 128], [14, 256], [7, 512]]) {
    const g = { inputShape: [1, hw, hw, cin] as const, kernelSize: [3, 3] as const, padding: "same" as const };
    const input = new Uint32Array((hw * hw * cin) / 32).map((_, i) => Math.imul(i, 2654435761));
    const words = new Uint32Array((cin * 9 * cin) / 32).map((_, i) => Math.imul(i, 40503));
    const out = new Float32Array(hw * hw * cin);
    for (const t of [1, 2]) {
      cases.push({
        name: `bgemm ${hw}x${hw}x${cin} t${t}`,
        make: (k) => {
          const filter = k.packRhs(words, cin), lhs = k.im2col(input, g), kt = k.with({ threads: t });
          return () => kt.bgemmF32(lhs, filter, { out });
        },
      }, {
        name: `bconv2d ${hw}x${hw}x${cin} t${t} (bound)`,
        make: (k) => {
          const conv = k.with({ threads: t }).bindBconv2dF32(k.packRhs(words, cin), g);
          const workspace = new Uint32Array(conv.workspaceWords);
          return () => conv.run(input, out, workspace);
        },
      });
    }
  }
  compare({ a: BinaryKernels.native({ path: values.a }), b: BinaryKernels.native({ path: values.b }) }, cases, 20);
} else if (values.suite === "float") {
  const cases: Case<FloatKernels>[] = [];
  for (
    const [h, cin, cout, k, s] of [[224, 3, 16, 3, 2], [224, 3, 32, 3, 2], [224, 3, 64, 7, 2], [56, 16, 64, 1, 1], [
      28,
      64,
      128,
      3,
      1,
    ]]
  ) {
    const g = {
      inputShape: [1, h, h, cin] as const,
      kernelSize: [k, k] as const,
      strides: [s, s] as const,
      padding: "same" as const,
    };
    const w = wave(cout * k * k * cin, Math.sin), input = wave(h * h * cin, Math.cos);
    cases.push({
      name: `conv ${h}x${h}x${cin}->${cout} ${k}x${k}/${s}`,
      make: (fk) => {
        const conv = fk.with({ threads }).bindConv2d(fk.packRhs(w, cout), g);
        const out = new Float32Array(conv.outputLength), ws = new Float32Array(Math.max(1, conv.workspaceFloats));
        return () => conv.run(input, out, ws);
      },
    });
  }
  for (const [rows, depth, n] of [[12544, 27, 16], [12544, 147, 64], [3136, 16, 64], [784, 576, 128]]) {
    const w = wave(n * depth, Math.sin), lhs = wave(rows * depth, Math.cos);
    cases.push({
      name: `sgemm ${rows}x${depth}->${n}`,
      make: (fk) => {
        const gemm = fk.with({ threads }).bindSgemm(fk.packRhs(w, n), { rows });
        const out = new Float32Array(gemm.outputLength);
        return () => gemm.run(lhs, out);
      },
    });
  }
  compare({ a: FloatKernels.native({ path: values.a }), b: FloatKernels.native({ path: values.b }) }, cases, 5);
} else {
  const pools = [
    { name: "max 2x2/1 56x56x64", shape: [1, 56, 56, 64], size: 2, stride: 1, kind: "max" },
    { name: "max 2x2/1 28x28x128", shape: [1, 28, 28, 128], size: 2, stride: 1, kind: "max" },
    { name: "max 3x3/2 112x112x64 (same)", shape: [1, 112, 112, 64], size: 3, stride: 2, kind: "max" },
    { name: "avg 7x7 7x7x1024", shape: [1, 7, 7, 1024], size: 7, stride: 1, kind: "avg" },
    { name: "avg 2x2/2 56x56x256", shape: [1, 56, 56, 256], size: 2, stride: 2, kind: "avg" },
  ] as const;
  const cases: Case<FloatKernels>[] = pools.map((p) => {
    const input = wave(count(p.shape), Math.sin);
    return {
      name: p.name,
      make: (fk) => {
        const op = fk.with({ threads }).bindPool2d({
          inputShape: p.shape,
          kernelSize: [p.size, p.size],
          strides: [p.stride, p.stride],
          padding: p.name.endsWith("(same)") ? "same" : "valid",
          kind: p.kind,
        });
        const out = new Float32Array(op.outputLength), ws = new Float32Array(1);
        return () => op.run(input, out, ws);
      },
    };
  });
  compare({ a: FloatKernels.native({ path: values.a }), b: FloatKernels.native({ path: values.b }) }, cases, 10);
}
