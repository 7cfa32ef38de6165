/**
 * bench/_neon_model.ts's trip counts: the closed forms against a literal walk
 * of each driver's loops, and — the counter — against the number of times
 * the hot loop's backward branch runs in the aarch64 library under
 * qemu-aarch64 (`-singlestep -d exec`, bench/_neon_count.zig making one call).
 */
import assert from "node:assert/strict";
import { buildMcaLibrary, disassemble, loopOfSite, siteLines } from "../bench/_neon_loops.ts";
import { aarch64Ukernel, buildCounter, executedInstructions } from "../bench/_neon_count.ts";
import {
  bgemmTrips,
  bitpackTrips,
  CHANNEL_BLOCK,
  depthwiseTrips,
  padBefore,
  poolTrips,
  sgemmTrips,
  type SiteKey,
  SITES,
  type Tiling,
  tilingOf,
} from "../bench/_neon_model.ts";

const root = new URL("../", import.meta.url).pathname;
const ukernels = Deno.readTextFileSync(`${root}kernels_zig/ukernels.zig`);

Deno.test("tilingOf: mr and nr = lanes x nv from ukernels.zig; a RangeError for an unknown kernel", () => {
  assert.deepStrictEqual(tilingOf(ukernels, "bgemm_4x16__neon"), { mr: 4, nr: 16 });
  assert.deepStrictEqual(tilingOf(ukernels, "bgemm_6x8__neon"), { mr: 6, nr: 8 });
  assert.deepStrictEqual(tilingOf(ukernels, "sgemm_8x8__neon"), { mr: 8, nr: 8 });
  assert.throws(() => tilingOf(ukernels, "bgemm_9x9__neon"), RangeError);
});

/** bgemm.zig runBlock walked literally: every block, every row tile, every sub-tile, every depth word. */
function walkBgemm(rows: number, channels: number, depthWords: number, t: Tiling) {
  let full = 0, one = 0;
  for (let b = 0; b * CHANNEL_BLOCK < channels; b++) {
    for (let r = 0; r < rows;) {
      const height = rows - r >= t.mr ? t.mr : 1;
      for (let sub = 0; sub < CHANNEL_BLOCK && b * CHANNEL_BLOCK + sub < channels; sub += t.nr) {
        for (let k = 0; k < depthWords; k++) height === t.mr ? full++ : one++;
      }
      r += height;
    }
  }
  return { full, one };
}

Deno.test("bgemmTrips equals a literal walk of the driver's loops (tile edges, channel edges, depth)", () => {
  for (const t of [{ mr: 4, nr: 16 }, { mr: 6, nr: 8 }]) {
    for (const rows of [1, 3, 4, 5, 6, 7, 49, 3136]) {
      for (const channels of [1, 16, 17, 31, 32, 33, 48, 64, 65, 512]) {
        for (const depth of [1, 18, 31, 32, 144]) {
          const got = bgemmTrips(rows, channels, depth, t, "add");
          const want = walkBgemm(rows, channels, depth, t);
          assert.deepStrictEqual([got.bgemm, got.bgemmRow], [want.full, want.one], `${rows}x${channels}x${depth}`);
          assert.deepStrictEqual([got.epilogue, got.epilogueQuantize], [rows * Math.floor(channels / 32), 0]);
        }
      }
    }
  }
  const none = bgemmTrips(4, 64, 18, { mr: 4, nr: 16 }, "none");
  assert.deepStrictEqual([none.epilogue, none.epilogueQuantize], [0, 0]);
  const quantized = bgemmTrips(5, 70, 18, { mr: 4, nr: 16 }, "add+quantize");
  assert.deepStrictEqual([quantized.epilogue, quantized.epilogueClamped, quantized.epilogueQuantize], [0, 0, 10]);
  const relu = bgemmTrips(5, 64, 18, { mr: 4, nr: 16 }, "add+relu");
  assert.deepStrictEqual([relu.epilogue, relu.epilogueClamped, relu.epilogueQuantize], [0, 10, 0]);
  const reluQuantized = bgemmTrips(5, 64, 18, { mr: 4, nr: 16 }, "add+relu+quantize");
  assert.deepStrictEqual(
    [reluQuantized.epilogueClamped, reluQuantized.epilogueQuantize, reluQuantized.epilogueClampedQuantize],
    [0, 0, 10],
  );
});

Deno.test("padBefore: TF SAME puts the odd pad at the end; VALID pads nothing", () => {
  assert.equal(padBefore(true, 112, 56, 3, 2), 0); // total 1: all at the end
  assert.equal(padBefore(true, 56, 56, 3, 1), 1);
  assert.equal(padBefore(true, 55, 28, 3, 2), 1);
  assert.equal(padBefore(false, 56, 54, 3, 1), 0);
});

Deno.test("depthwiseTrips, poolTrips and bitpackTrips on small shapes counted by hand", () => {
  // 8 output pixels of a 3-wide stride-1 window on 10 inputs, no padding: all 8 interior (2 blocks of 4), 3 taps each
  // in x and y (y: 1 output row of a 3-row input): 2 blocks x 3 ky x 3 kx = 18 iterations per 8-channel vector.
  const x = { input: 10, output: 8, kernel: 3, stride: 1, pad: 0 };
  const y = { input: 3, output: 1, kernel: 3, stride: 1, pad: 0 };
  assert.deepStrictEqual(depthwiseTrips(1, y, x, 16), { depthwise: 36, depthwiseEdgeElements: 0 });
  // Padding 1 on 10 inputs, 10 outputs: pixels 1..8 are interior (2 blocks), pixels 0 and 9 edge pixels with 2 taps
  // in x each.
  const xp = { input: 10, output: 10, kernel: 3, stride: 1, pad: 1 };
  const t = depthwiseTrips(1, y, xp, 8);
  assert.equal(t.depthwise, 2 * 3 * 3);
  assert.equal(t.depthwiseEdgeElements, (2 + 2) * 3 * 8);
  // 2x2 stride-1 pool, VALID, 3x3 input: 4 outputs x 4 taps, 2 chunks of 32 for 40 channels.
  const a = { input: 3, output: 2, kernel: 2, stride: 1, pad: 0 };
  assert.deepStrictEqual(poolTrips(1, a, a, 40), { pool: 32 });
  assert.deepStrictEqual(poolTrips(1, a, a, 40, true), { poolMax: 32 });
  assert.deepStrictEqual(bitpackTrips(10, 70), { bitpack: 20 });
});

const hasQemu = new Deno.Command("sh", {
  args: ["-c", "command -v qemu-aarch64-static && command -v llvm-objdump-14 && test -e /lib/ld-linux-aarch64.so.1"],
}).outputSync().success;

Deno.test({
  name: "every site resolves to one vectorized innermost loop of the aarch64 library",
  ignore: !hasQemu,
  fn: async () => {
    const fns = await disassemble(await buildMcaLibrary());
    for (const [key, site] of Object.entries(SITES)) {
      const { line, exclude } = await siteLines(site, (file) => Deno.readTextFile(`${root}kernels_zig/${file}`));
      const loop = loopOfSite(fns, site, line, exclude);
      assert.ok(loop.insns.some((x) => /\bv\d+\.(16b|4s)\b|\bq\d+\b/.test(x.text)), `${key}: not vectorized`);
    }
  },
});

Deno.test({
  name: "bgemmTrips and sgemmTrips equal the native loops' executions under qemu-aarch64",
  ignore: !hasQemu,
  sanitizeResources: false,
  fn: async () => {
    const lib = await buildMcaLibrary();
    const fns = await disassemble(lib);
    const branchOf = async (key: SiteKey) => {
      const site = SITES[key];
      const { line, exclude } = await siteLines(site, (file) => Deno.readTextFile(`${root}kernels_zig/${file}`));
      const loop = loopOfSite(fns, site, line, exclude);
      return loop.insns[loop.insns.length - 1].addr;
    };
    const exe = await buildCounter();
    /** Executions of the instruction at library offset `pc` during one counter call. */
    const executions = async (pc: number, kernel: "bgemm" | "sgemm", shape: number[], ukernel: number) =>
      (await executedInstructions(exe, lib, { kernel, shape: shape as [number, number, number], ukernel }, pc, pc + 4))
        .get(pc) ?? 0;
    const bt = tilingOf(ukernels, "bgemm_4x16__neon");
    const bi = aarch64Ukernel(ukernels, "all", "bgemm_4x16__neon");
    const bgemm = await branchOf("bgemm");
    const bgemmRow = await branchOf("bgemmRow");
    for (const [rows, channels, depth] of [[9, 48, 40], [4, 32, 18], [7, 17, 70], [1, 64, 3]]) {
      const want = bgemmTrips(rows, channels, depth, bt, "none");
      const shape = [rows, channels, depth];
      assert.equal(await executions(bgemm, "bgemm", shape, bi), want.bgemm, `bgemm ${shape}`);
      assert.equal(await executions(bgemmRow, "bgemm", shape, bi), want.bgemmRow, `r1 ${shape}`);
    }
    const st = tilingOf(ukernels, "sgemm_8x8__neon");
    const si = aarch64Ukernel(ukernels, "sgemm_all", "sgemm_8x8__neon");
    const sgemm = await branchOf("sgemm");
    const sgemmRow = await branchOf("sgemmRow");
    for (const [rows, channels, depth] of [[9, 48, 40], [8, 32, 27], [17, 64, 5], [1, 24, 7], [10, 16, 3]]) {
      const shape = [rows, channels, depth];
      const want = sgemmTrips(rows, channels, depth, st);
      assert.equal(await executions(sgemm, "sgemm", shape, si), want.sgemm, `sgemm ${shape}`);
      assert.equal(await executions(sgemmRow, "sgemm", shape, si), want.sgemmRow, `r1 ${shape}`);
    }
  },
});
