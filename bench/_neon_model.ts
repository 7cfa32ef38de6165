/**
 * Trip counts of the hot NEON loops that each op of a `.tflite` model runs on
 * the aarch64 library, from the op's shapes and the kernels' tiling — one
 * function per kernel, mirroring its driver (kernels_zig/bgemm.zig,
 * sgemm.zig, depthwise_f32.zig, pool2d.zig, bitpack.zig) — and the hot loops
 * themselves as {@link Site}s (a source line each loop runs).
 * @module
 */
import type { Site } from "./_neon_loops.ts";
import { summarize } from "../tflite/inspect.ts";

/** The loops the estimate prices, by key. */
export const SITES = {
  bgemm: {
    name: "bgemm_4x16__neon depth word",
    fn: "onebit_uk_bgemm_4x16__neon_f32",
    file: "bgemm_ukernel.zig",
    snippet: "const x: VB = @bitCast(a ^ b[j]);",
  },
  bgemmRow: {
    name: "bgemm_4x16__neon r1 depth word",
    fn: "onebit_uk_bgemm_4x16__neon_f32_r1",
    file: "bgemm_ukernel.zig",
    snippet: "const x: VB = @bitCast(a ^ b[j]);",
  },
  epilogue: {
    name: "bconv fused ADD, 32 channels",
    fn: /^(bgemm\.(runTask|Epilogue\.wholeBlocks.*)|neon_loops\.addRows__anon_\d+)$/,
    file: "neon_loops.zig",
    snippet: "asm volatile (add_rows_head ++ loop",
  },
  epilogueClamped: {
    name: "bconv fused ADD+ReLU, 32 channels",
    fn: /^(bgemm\.(runTask|Epilogue\.wholeBlocks.*)|neon_loops\.addRows__anon_\d+)$/,
    file: "neon_loops.zig",
    snippet: "asm volatile (add_rows_head ++ loop",
    has: /^bic /,
  },
  epilogueClampedQuantize: {
    name: "bconv fused ADD+ReLU+LceQuantize",
    fn: /^(bgemm\.(runTask|Epilogue\.wholeBlocks.*)|neon_loops\.addPackRows__anon_\d+)$/,
    file: "neon_loops.zig",
    snippet: "asm volatile (add_pack_head ++ loop",
    has: /^bic /,
  },
  epilogueQuantize: {
    name: "bconv fused ADD+LceQuantize, 32 ch",
    fn: /^(bgemm\.(runTask|Epilogue\.wholeBlocks.*)|neon_loops\.addPackRows__anon_\d+)$/,
    file: "neon_loops.zig",
    snippet: "asm volatile (add_pack_head ++ loop",
  },
  sgemm: {
    name: "sgemm_8x8__neon depth step",
    fn: "onebit_uk_sgemm_8x8__neon",
    file: "sgemm_ukernel.zig",
    snippet: "const x: V = @splat(rows[i][k]);",
  },
  sgemmRow: {
    name: "sgemm_8x8__neon r1 depth step",
    fn: "onebit_uk_sgemm_8x8__neon_r1",
    file: "sgemm_ukernel.zig",
    snippet: "const x: V = @splat(rows[i][k]);",
  },
  depthwise: {
    name: "depthwise 4px x 8ch tap",
    fn: /^(depthwise_f32\.(rowTask|Depthwise\.(task|interiorNeon))|neon_loops\.depthwiseBlock)$/,
    file: "neon_loops.zig",
    snippet: "asm volatile ( // depthwiseBlock loop",
  },
  depthwiseEdge: {
    name: "depthwise edge pixel tap, 16 ch",
    fn: /^(depthwise_f32\.(rowTask|Rows\.task|Depthwise\.task)|neon_loops\.mulAddFloats)$/,
    file: "neon_loops.zig",
    snippet: "asm volatile ( // mulAddFloats loop",
    // The tap loop around the inlined asm also holds instructions of its line (the call's set-up).
    vector: true,
  },
  pool: {
    name: "average pool 32-channel chunk tap",
    fn: /^(pool2d\.(poolRowTask|poolWindowChunks|windowsOfTask__anon_\d+)|neon_loops\.poolChunk__anon_\d+)$/,
    file: "neon_loops.zig",
    snippet: "asm volatile (init ++ pool_head ++ tap_loop ++ pool_tail",
    has: /^fadd /,
  },
  poolMax: {
    name: "max pool 32-channel chunk tap",
    fn: /^(pool2d\.(poolRowTask|poolWindowChunks|windowsOfTask__anon_\d+)|neon_loops\.poolChunk__anon_\d+)$/,
    file: "neon_loops.zig",
    snippet: "asm volatile (init ++ pool_head ++ tap_loop ++ pool_tail",
    has: /^bit /,
  },
  bitpack: {
    name: "LceQuantize 32 floats",
    fn: /^(onebit_bitpack_f32_b32|neon_loops\.packWords)$/,
    file: "neon_loops.zig",
    snippet: "asm volatile ( // packWords loop",
  },
  add: {
    name: "ADD (elementwise), 32 floats",
    fn: /^(onebit_elementwise_f32|elementwise\..*|neon_loops\.addFloats)$/,
    file: "neon_loops.zig",
    snippet: "asm volatile ( // addFloats loop",
  },
} as const satisfies Record<string, Site>;

/** A key of {@link SITES}. */
export type SiteKey = keyof typeof SITES;

/** Iterations of each loop an op runs (loops not listed: 0); `perIteration` divides counts given in elements. */
export type Trips = Partial<Record<SiteKey, number>>;

/** A micro-kernel's tile: mr rows by nr channels. */
export interface Tiling {
  mr: number;
  nr: number;
}

/** Output channels per packed block (abi.channel_block). */
export const CHANNEL_BLOCK = 32;

/**
 * A micro-kernel's tiling from kernels_zig/ukernels.zig's list (`text`), by
 * name (`bgemm_4x16__neon`, `sgemm_8x8__neon`): nr = lanes × nv.
 */
export function tilingOf(text: string, name: string): Tiling {
  const line = text.split("\n").find((l) => l.includes(`.name = "${name}"`));
  if (!line) throw new RangeError(`tilingOf: no micro-kernel '${name}' in ukernels.zig`);
  const field = (f: string) => Number(line.match(new RegExp(`\\.${f} = (\\d+)`))![1]);
  return { mr: field("mr"), nr: field("lanes") * field("nv") };
}

/** Micro-kernel calls per 32-channel block, summed over the blocks: ceil(width/nr) each. */
function subTiles(channels: number, nr: number): number {
  let calls = 0;
  for (let c0 = 0; c0 < channels; c0 += CHANNEL_BLOCK) calls += Math.ceil(Math.min(CHANNEL_BLOCK, channels - c0) / nr);
  return calls;
}

/** What a binary convolution's epilogue fuses: an ADD, with a ReLU, and the LceQuantize of the result. */
export type Fused = "none" | "add" | "add+relu" | "add+quantize" | "add+relu+quantize";

/**
 * The binary GEMM driver (bgemm.zig runBlock, bgemm_block.zig): full tiles of mr rows run the
 * mr-row kernel, the last rows % mr rows the one-row kernel, each for every
 * nr-channel sub-tile of every block, depthWords iterations a call. With a
 * fused ADD (and LceQuantize), the epilogue runs once per row and whole block.
 */
export function bgemmTrips(
  rows: number,
  channels: number,
  depthWords: number,
  t: Tiling,
  fused: Fused,
): Trips & { calls: number; rowCalls: number } {
  const calls = Math.floor(rows / t.mr) * subTiles(channels, t.nr);
  const rowCalls = (rows % t.mr) * subTiles(channels, t.nr);
  const epilogueRows = rows * Math.floor(channels / CHANNEL_BLOCK);
  return {
    bgemm: calls * depthWords,
    bgemmRow: rowCalls * depthWords,
    epilogue: fused === "add" ? epilogueRows : 0,
    epilogueClamped: fused === "add+relu" ? epilogueRows : 0,
    epilogueQuantize: fused === "add+quantize" ? epilogueRows : 0,
    epilogueClampedQuantize: fused === "add+relu+quantize" ? epilogueRows : 0,
    calls,
    rowCalls,
  };
}

/** The float GEMM driver (sgemm.zig runBlock): ceil(rows/mr) tiles × sub-tiles, depth iterations a call. */
export function sgemmTrips(rows: number, channels: number, depth: number, t: Tiling): Trips & { calls: number } {
  // A tile of one row (a dense layer on one sample, a GEMM's last row) runs the one-row kernel (sgemm.zig).
  const tiles = Math.floor(rows / t.mr) + (rows % t.mr >= 2 ? 1 : 0);
  const rowTiles = rows % t.mr === 1 ? 1 : 0;
  const calls = (tiles + rowTiles) * subTiles(channels, t.nr);
  return {
    sgemm: tiles * subTiles(channels, t.nr) * depth,
    sgemmRow: rowTiles * subTiles(channels, t.nr) * depth,
    calls,
  };
}

/** TensorFlow SAME padding before the first pixel (the extra at the end), VALID 0. */
export function padBefore(same: boolean, input: number, output: number, kernel: number, stride: number): number {
  return same ? Math.floor(Math.max((output - 1) * stride + kernel - input, 0) / 2) : 0;
}

/** Geometry of a 2-D window op (one spatial axis each). */
export interface Axis {
  input: number;
  output: number;
  kernel: number;
  stride: number;
  pad: number;
}

/** Kernel taps of output position o that fall inside the input. */
function validTaps(a: Axis, o: number): number {
  let n = 0;
  for (let k = 0; k < a.kernel; k++) {
    const i = o * a.stride + k - a.pad;
    if (i >= 0 && i < a.input) n++;
  }
  return n;
}

/**
 * depthwise_f32.zig (multiplier 1): along a row, the pixels whose whole
 * window lies inside the input in x, in blocks of 4, run the interior loop
 * (8 channels a vector, one iteration per kx for each valid ky; a last 2-3
 * pixels as one more block overlapping the one before); the other pixels
 * run the per-pixel tap loop over all channels (`elements` = channel
 * values, divided by the loop's width by the caller).
 */
export function depthwiseTrips(
  batch: number,
  y: Axis,
  x: Axis,
  channels: number,
): { depthwise: number; depthwiseEdgeElements: number } {
  let first = 0;
  while (first < x.output && first * x.stride < x.pad) first++;
  let last = first;
  while (last < x.output && last * x.stride - x.pad + x.kernel - 1 < x.input) last++;
  // Whole blocks of 4; a remainder of 2-3 pixels runs as one more block overlapping the one before it.
  const whole = Math.floor((last - first) / 4) * 4;
  const extra = whole > 0 && last - first - whole >= 2;
  const interior = whole + (extra ? 4 : 0), interiorEnd = extra ? last : first + whole;
  let interiorTaps = 0;
  let edgeTaps = 0;
  for (let oy = 0; oy < y.output; oy++) {
    const vy = validTaps(y, oy);
    interiorTaps += vy * x.kernel * interior;
    for (let ox = 0; ox < x.output; ox++) {
      if (ox >= first && ox < interiorEnd) continue;
      edgeTaps += vy * validTaps(x, ox);
    }
  }
  const vectors = Math.floor(channels / 8);
  return {
    depthwise: batch * (interiorTaps / 4) * vectors,
    depthwiseEdgeElements: batch * edgeTaps * channels,
  };
}

/**
 * pool2d.zig's register path (≤ 16 taps, ≥ 32 channels): each output pixel, ceil(c/32) chunks, one iteration a
 * valid tap, on the max pool's loop with `max`, else the average's.
 */
export function poolTrips(batch: number, y: Axis, x: Axis, channels: number, max = false): Trips {
  let taps = 0;
  for (let oy = 0; oy < y.output; oy++) {
    for (let ox = 0; ox < x.output; ox++) taps += validTaps(y, oy) * validTaps(x, ox);
  }
  return { [max ? "poolMax" : "pool"]: batch * taps * Math.ceil(channels / 32) };
}

/** bitpack.zig: one iteration per 32 whole channels of each row. */
export function bitpackTrips(rows: number, channels: number): Trips {
  return { bitpack: rows * Math.floor(channels / 32) };
}

/** One op (or fusion) of a model, the loops it runs and their iterations. */
export interface OpTrips {
  /** Index of its first operator in the file. */
  index: number;
  /** `LceBconv2d+ADD+LceQuantize`, `CONV_2D`, … */
  op: string;
  /** Loop iterations, by site. */
  trips: Trips;
  /** Elements of elementwise loops, by site: divided by the loop's elements per iteration. */
  elements: Partial<Record<SiteKey, number>>;
  /** Why the op (or a part of it) is not priced, when it is not. */
  missing?: string;
  /**
   * A GEMM's micro-kernel calls and their shape (depth in words for the binary GEMM, in floats for the float one):
   * the count its per-call code is priced by.
   */
  gemmCalls?: { kernel: "bgemm" | "sgemm"; channels: number; depth: number; calls: number };
}

const shapeOf = (s: string): number[] => {
  const m = s.match(/\[([\d,]*)\]/);
  if (!m) throw new TypeError(`shapeOf: no shape in '${s}'`);
  return m[1] === "" ? [] : m[1].split(",").map(Number);
};
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function axes(inShape: number[], outShape: number[], kh: number, kw: number, sh: number, sw: number, same: boolean) {
  const y: Axis = { input: inShape[1], output: outShape[1], kernel: kh, stride: sh, pad: 0 };
  const x: Axis = { input: inShape[2], output: outShape[2], kernel: kw, stride: sw, pad: 0 };
  y.pad = padBefore(same, y.input, y.output, kh, sh);
  x.pad = padBefore(same, x.input, x.output, kw, sw);
  return { y, x };
}

/**
 * The ops of a model as the interpreter runs them (LceBconv2d fused with the
 * ADD that consumes its output and the LceQuantize of that sum, as
 * runtime/fuse.ts does), with the loop trip counts of each.
 */
export function modelTrips(bytes: Uint8Array, bgemm: Tiling, sgemm: Tiling): OpTrips[] {
  const ops = summarize(bytes).ops;
  const out: OpTrips[] = [];
  const name = (s: string) => s.replace(/ \[.*$/, "");
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    const ins = o.inputs.map((s) => (s === "-" ? [] : shapeOf(s)));
    const outShape = shapeOf(o.outputs[0]);
    const opt = o.options as Record<string, number>;
    const same = opt.padding === 0;
    switch (o.op) {
      case "LceBconv2d": {
        let op = "LceBconv2d";
        let fused: Fused = "none";
        let missing: string | undefined;
        const next = ops[i + 1];
        if (next?.op === "ADD" && next.inputs.some((s) => name(s) === name(o.outputs[0]))) {
          op += "+ADD";
          i++;
          // TFLite's fused_activation_function: 0 none, 1 RELU; others (RELU6, ...) run the portable clamp.
          const act = (next.options as Record<string, number>).fused_activation_function;
          if (act > 1) missing = "a fused clamp other than ReLU (priced as ReLU)";
          fused = act !== 0 ? "add+relu" : "add";
          const q = ops[i + 1];
          if (q?.op === "LceQuantize" && name(q.inputs[0]) === name(next.outputs[0])) {
            op += "+LceQuantize";
            fused = act !== 0 ? "add+relu+quantize" : "add+quantize";
            i++;
          }
        }
        const [, kh, kw, words] = ins[1];
        const rows = prod(outShape.slice(0, 3));
        const { calls, rowCalls, ...trips } = bgemmTrips(rows, outShape[3], kh * kw * words, bgemm, fused);
        const gemmCalls = {
          kernel: "bgemm" as const,
          channels: outShape[3],
          depth: kh * kw * words,
          calls: calls + rowCalls,
        };
        out.push({ index: o.index, op, trips, elements: {}, missing, gemmCalls });
        break;
      }
      case "CONV_2D":
      case "FULLY_CONNECTED": {
        const w = ins[1];
        const depth = w.slice(1).reduce((a, b) => a * b, 1);
        const rows = o.op === "CONV_2D" ? prod(outShape.slice(0, 3)) : prod(outShape.slice(0, -1));
        const { calls, ...trips } = sgemmTrips(rows, w[0], depth, sgemm);
        const gemmCalls = { kernel: "sgemm" as const, channels: w[0], depth, calls };
        const border = o.op === "CONV_2D" && (w[1] > 1 || w[2] > 1)
          ? "the im2col of its border tiles, the extra loop entries per kernel row"
          : undefined;
        out.push({ index: o.index, op: o.op, trips, elements: {}, missing: border, gemmCalls });
        break;
      }
      case "DEPTHWISE_CONV_2D": {
        const [, kh, kw, c] = ins[1];
        const { y, x } = axes(ins[0], outShape, kh, kw, opt.stride_h, opt.stride_w, same);
        const t = depthwiseTrips(outShape[0], y, x, c);
        out.push({
          index: o.index,
          op: o.op,
          trips: { depthwise: t.depthwise },
          elements: { depthwiseEdge: t.depthwiseEdgeElements },
        });
        break;
      }
      case "MAX_POOL_2D":
      case "AVERAGE_POOL_2D": {
        const kh = opt.filter_height, kw = opt.filter_width;
        const c = outShape[3];
        if (kh * kw > 16 || c < 32) {
          out.push({
            index: o.index,
            op: o.op,
            trips: {},
            elements: {},
            missing: "the generic pooling path (> 16 taps)",
          });
          break;
        }
        const { y, x } = axes(ins[0], outShape, kh, kw, opt.stride_h, opt.stride_w, same);
        out.push({
          index: o.index,
          op: o.op,
          trips: poolTrips(outShape[0], y, x, c, o.op === "MAX_POOL_2D"),
          elements: {},
        });
        break;
      }
      case "LceQuantize": {
        const s = ins[0];
        out.push({
          index: o.index,
          op: o.op,
          trips: bitpackTrips(prod(s.slice(0, -1)), s[s.length - 1]),
          elements: {},
        });
        break;
      }
      case "ADD":
        out.push({ index: o.index, op: o.op, trips: {}, elements: { add: prod(outShape) } });
        break;
      default:
        out.push({ index: o.index, op: o.op, trips: {}, elements: {}, missing: "not priced" });
    }
  }
  return out;
}
