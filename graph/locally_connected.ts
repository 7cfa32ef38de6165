/**
 * Locally connected (unshared-weight) convolutions for training, in
 * tf-keras 2.16's kernel layout of `implementation=1` (its default, the
 * layout larq's QuantLocallyConnected1D/2D build): one [patch, filters]
 * matrix per output position, kernel [OH·OW, kh·kw·C, F] for 2-D and
 * [OL, k·C, F] for 1-D. Output positions run row-major; a patch runs
 * (row, column, channel) as Keras's `local_conv` flattens an NHWC slice.
 * No dilation, and only "valid" padding: tf-keras refuses any other with
 * implementation 1.
 * @module
 */
import { isRecording, record, registerGradient } from "./tape.ts";
import { type Data, Tensor } from "./tensor.ts";
import { tupleOf, windowAxis } from "./_window.ts";

/** Options of locallyConnected2d. */
export interface LocallyConnected2dOptions {
  /** Window height and width (the kernel's patch axis is kh·kw·C). */
  kernelSize: number | [number, number];
  /** Row and column strides; default 1. */
  strides?: number | [number, number];
  /** Only "valid" (tf-keras's implementation 1 accepts no other); default "valid". */
  padding?: "valid";
}

/** Options of locallyConnected1d. */
export interface LocallyConnected1dOptions {
  /** Window length (the kernel's patch axis is k·C). */
  kernelSize: number | [number];
  /** Step between windows; default 1. */
  strides?: number | [number];
  /** Only "valid" (tf-keras's implementation 1 accepts no other); default "valid". */
  padding?: "valid";
}

/** Geometry of one locally connected op over [N, H, W, C] (1-D: H = 1) with its kernel [OH·OW, kh·kw·C, F]. */
interface Geometry {
  n: number;
  h: number;
  w: number;
  c: number;
  f: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  oh: number;
  ow: number;
}

function alloc(n: number, like: Tensor): Data {
  return like.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

function checkPadding(op: string, padding: unknown): void {
  if (padding === undefined || padding === "valid") return;
  throw new RangeError(
    `${op}: padding ${
      JSON.stringify(padding)
    } is not supported: tf-keras's kernel layout of implementation=1 (used here) accepts only "valid"`,
  );
}

/** Checks x against [N, H, W, C] spatial sizes and kernel against [OH·OW, kh·kw·C, F]; `shown` names the caller's shapes. */
function geometry(
  op: string,
  dims: { n: number; h: number; w: number; c: number; kh: number; kw: number; sh: number; sw: number },
  kernel: readonly number[],
  shown: string,
): Geometry {
  const rows = windowAxis(`${op} (${shown})`, dims.h, dims.kh, dims.sh, 1, "valid");
  const cols = windowAxis(`${op} (${shown})`, dims.w, dims.kw, dims.sw, 1, "valid");
  const positions = rows.out * cols.out, depth = dims.kh * dims.kw * dims.c;
  if (kernel.length !== 3 || kernel[0] !== positions || kernel[1] !== depth) {
    throw new RangeError(
      `${op}: kernel must be [output positions ${positions}, window·channels ${depth}, filters] for ${shown}, got [${kernel}]`,
    );
  }
  return { ...dims, f: kernel[2], oh: rows.out, ow: cols.out };
}

/** Visits every (output pixel, input pixel, patch offset) triple: fn(o = batch·positions + position, i, p0 = tap·C). */
function forEachPatch(g: Geometry, fn: (o: number, position: number, i: number, p0: number) => void): void {
  const positions = g.oh * g.ow;
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const position = oy * g.ow + ox;
        for (let ky = 0; ky < g.kh; ky++) {
          for (let kx = 0; kx < g.kw; kx++) {
            const i = (b * g.h + oy * g.sh + ky) * g.w + ox * g.sw + kx;
            fn(b * positions + position, position, i, (ky * g.kw + kx) * g.c);
          }
        }
      }
    }
  }
}

/** Row of kernel entry [position, p0 + ci, 0]. */
function kernelRow(g: Geometry, position: number, p: number): number {
  return (position * g.kh * g.kw * g.c + p) * g.f;
}

function forward(x: Data, k: Data, g: Geometry, y: Data): void {
  const acc = new Float64Array(y.length);
  forEachPatch(g, (o, position, i, p0) => {
    for (let ci = 0; ci < g.c; ci++) {
      const v = x[i * g.c + ci];
      if (v === 0) continue;
      const row = kernelRow(g, position, p0 + ci);
      for (let j = 0; j < g.f; j++) acc[o * g.f + j] += v * k[row + j];
    }
  });
  y.set(acc);
}

function backInput(dy: Data, k: Data, g: Geometry, dx: Data): void {
  const acc = new Float64Array(dx.length);
  forEachPatch(g, (o, position, i, p0) => {
    for (let ci = 0; ci < g.c; ci++) {
      const row = kernelRow(g, position, p0 + ci);
      let s = 0;
      for (let j = 0; j < g.f; j++) s += dy[o * g.f + j] * k[row + j];
      acc[i * g.c + ci] += s;
    }
  });
  dx.set(acc);
}

function backKernel(x: Data, dy: Data, g: Geometry, dk: Data): void {
  const acc = new Float64Array(dk.length);
  forEachPatch(g, (o, position, i, p0) => {
    for (let ci = 0; ci < g.c; ci++) {
      const v = x[i * g.c + ci];
      if (v === 0) continue;
      const row = kernelRow(g, position, p0 + ci);
      for (let j = 0; j < g.f; j++) acc[row + j] += v * dy[o * g.f + j];
    }
  });
  dk.set(acc);
}

/** Runs and records the op on a checked geometry; `shape` is the caller's output shape. */
function apply(x: Tensor, kernel: Tensor, g: Geometry, shape: number[]): Tensor {
  const y = alloc(g.n * g.oh * g.ow * g.f, x);
  forward(x.data, kernel.data, g, y);
  const out = new Tensor(y, shape);
  if (isRecording([x, kernel])) record("locallyConnected", [x, kernel], out, g);
  return out;
}

registerGradient(
  "locallyConnected",
  (dy, { inputs: [x, k], attrs: g }: { inputs: readonly Tensor[]; attrs: Geometry }) => {
    const dx = alloc(x.size, x), dk = alloc(k.size, k);
    backInput(dy.data, k.data, g, dx);
    backKernel(x.data, dy.data, g, dk);
    return [new Tensor(dx, x.shape), new Tensor(dk, k.shape)];
  },
);

/**
 * 2-D locally connected layer's op: input [N, H, W, C], kernel
 * [OH·OW, kh·kw·C, F] (tf-keras LocallyConnected2D, implementation 1)
 * → [N, OH, OW, F], VALID windows.
 *
 * @example
 * ```ts
 * import { locallyConnected2d } from "./locally_connected.ts";
 * import { Tensor } from "./tensor.ts";
 * // 2×2 windows at 2 positions of a 2×3 image; position p's weights all equal p + 1
 * const x = Tensor.fill([1, 2, 3, 1], 1);
 * const k = Tensor.from([[[1], [1], [1], [1]], [[2], [2], [2], [2]]]);
 * console.log(locallyConnected2d(x, k, { kernelSize: 2 }).toArray()); // [[[[4], [8]]]]
 * ```
 */
export function locallyConnected2d(x: Tensor, kernel: Tensor, options: LocallyConnected2dOptions): Tensor {
  const op = "locallyConnected2d";
  if (x.rank !== 4) throw new RangeError(`${op}: input must be [batch, height, width, channels], got [${x.shape}]`);
  checkPadding(op, options.padding);
  const [kh, kw] = tupleOf(options.kernelSize, 2, `${op}: kernelSize`);
  const [sh, sw] = tupleOf(options.strides, 2, `${op}: strides`);
  const [n, h, w, c] = x.shape;
  const g = geometry(op, { n, h, w, c, kh, kw, sh, sw }, kernel.shape, `input [${x.shape}], kernelSize [${kh},${kw}]`);
  return apply(x, kernel, g, [n, g.oh, g.ow, g.f]);
}

/**
 * 1-D locally connected layer's op: input [N, L, C], kernel [OL, k·C, F]
 * (tf-keras LocallyConnected1D, implementation 1) → [N, OL, F], VALID windows.
 *
 * @example
 * ```ts
 * import { locallyConnected1d } from "./locally_connected.ts";
 * import { Tensor } from "./tensor.ts";
 * const x = Tensor.from([[[1], [2], [3]]]);
 * const k = Tensor.from([[[1], [1]], [[1], [-1]]]); // windows [1, 2] and [2, 3]
 * console.log(locallyConnected1d(x, k, { kernelSize: 2 }).toArray()); // [[[3], [-1]]]
 * ```
 */
export function locallyConnected1d(x: Tensor, kernel: Tensor, options: LocallyConnected1dOptions): Tensor {
  const op = "locallyConnected1d";
  if (x.rank !== 3) throw new RangeError(`${op}: input must be [batch, length, channels], got [${x.shape}]`);
  checkPadding(op, options.padding);
  const [kw] = tupleOf(options.kernelSize, 1, `${op}: kernelSize`);
  const [sw] = tupleOf(options.strides, 1, `${op}: strides`);
  const [n, w, c] = x.shape;
  const g = geometry(op, { n, h: 1, w, c, kh: 1, kw, sh: 1, sw }, kernel.shape, `input [${x.shape}], kernelSize ${kw}`);
  return apply(x, kernel, g, [n, g.ow, g.f]);
}
