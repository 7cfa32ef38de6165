/**
 * A/B of two builds of libonebit in one process: the same QuickNet 3x3
 * shapes, GEMM and convolution, 1 and 2 threads, interleaved rounds so that
 * both see the same machine state; prints medians.
 *
 *   deno run -A bench/ab.ts --a old/libonebit.so --b zig-out/lib/x86_64-linux-gnu/libonebit.so [--rounds 15]
 *
 * Both libraries must have this checkout's ABI (the loader checks).
 */
import { parseArgs } from "node:util";
import { BinaryKernels } from "../runtime/binary_kernels.ts";

const { values } = parseArgs({ options: { a: { type: "string" }, b: { type: "string" }, rounds: { type: "string" } } });
if (!values.a || !values.b) {
  throw new TypeError("usage: bench/ab.ts --a <libonebit.so> --b <libonebit.so> [--rounds N]");
}
const rounds = Number(values.rounds ?? 15);
const libs = { a: BinaryKernels.native({ path: values.a }), b: BinaryKernels.native({ path: values.b }) };
const times: Record<string, number[]> = {};
const shapes = [[56, 64], [28, 128], [14, 256], [7, 512]];

for (const [hw, cin] of shapes) {
  const g = { inputShape: [1, hw, hw, cin] as const, kernelSize: [3, 3] as const, padding: "same" as const };
  const input = new Uint32Array((hw * hw * cin) / 32).map((_, i) => Math.imul(i, 2654435761));
  const filter = libs.a.packRhs(new Uint32Array((cin * 9 * cin) / 32).map((_, i) => Math.imul(i, 40503)), cin);
  const lhs = libs.a.im2col(input, g);
  const out = new Float32Array(hw * hw * cin);
  const workspace = new Uint32Array(lhs.length);
  for (let round = 0; round < rounds; round++) {
    for (const [name, lib] of Object.entries(libs)) {
      for (const threads of [1, 2]) {
        const k = lib.with({ threads });
        for (const op of ["bgemm", "bconv2d"]) {
          const f = op === "bgemm"
            ? () => k.bgemmF32(lhs, filter, { out })
            : () => k.bconv2dF32(input, filter, { ...g, out, workspace });
          for (let i = 0; i < 5; i++) f();
          const t0 = performance.now();
          for (let i = 0; i < 20; i++) f();
          (times[`${op} ${hw}x${hw}x${cin} t${threads} ${name}`] ??= []).push(((performance.now() - t0) / 20) * 1000);
        }
      }
    }
  }
}

const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
console.log(`medians of ${rounds} interleaved rounds (µs per call)\n`);
console.log(`${"op".padEnd(8)} ${"shape".padEnd(12)} thr ${"a".padStart(8)} ${"b".padStart(8)}   b/a`);
for (const [hw, cin] of shapes) {
  for (const op of ["bgemm", "bconv2d"]) {
    for (const threads of [1, 2]) {
      const key = `${op} ${hw}x${hw}x${cin} t${threads}`;
      const a = median(times[`${key} a`]), b = median(times[`${key} b`]);
      console.log(
        `${op.padEnd(8)} ${`${hw}x${hw}x${cin}`.padEnd(12)} ${String(threads).padStart(3)} ${
          a.toFixed(1).padStart(8)
        } ${b.toFixed(1).padStart(8)}  ${(b / a).toFixed(2)}`,
      );
    }
  }
}
