/**
 * 3-D convolutions for training, NDHWC with Keras kernel layouts: conv3d
 * (kernel [kd, kh, kw, C/groups, F], groups, dilations) and
 * conv3dTranspose (kernel [kd, kh, kw, F, C]), TF SAME/VALID padding. As
 * in conv.ts, one forward loop and its two backward loops serve both ops:
 * the transposed convolution is the input-gradient of a convolution. Plain
 * loops (float64 accumulation): the 3-D layers are rare.
 * @module
 */
import { isRecording, record, registerGradient } from "./tape.ts";
import { type Data, Tensor } from "./tensor.ts";
import { type Padding, paddingOf, tupleOf, windowAxis } from "./_window.ts";

/** Three per-axis values: depth, height, width. */
export type Triple = [number, number, number];

/** Options of conv3d. */
export interface Conv3dOptions {
  /** Per-axis (depth, height, width) strides; default 1. */
  strides?: number | Triple;
  /** Per-axis dilations; default 1. */
  dilations?: number | Triple;
  /** TF padding: "same" puts the odd pixel at the end; default "valid". */
  padding?: Padding;
  /** Channel groups: input channels and filters both divisible by it; default 1. */
  groups?: number;
}

/** Geometry of one 3-D convolution: input [N, ...size, C] → output [N, ...out, F], kernel [...k, C/groups, F]. */
interface Geometry {
  n: number;
  c: number;
  f: number;
  groups: number;
  size: Triple;
  k: Triple;
  s: Triple;
  d: Triple;
  pad: Triple;
  out: Triple;
}

const AXES = ["depth", "height", "width"];

function alloc(n: number, like: Tensor): Data {
  return like.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

function geometry(op: string, x: readonly number[], w: readonly number[], o: Conv3dOptions): Geometry {
  if (x.length !== 5) throw new RangeError(`${op}: input must be [batch, depth, height, width, channels], got [${x}]`);
  if (w.length !== 5) throw new RangeError(`${op}: kernel must be [kd, kh, kw, in/groups, out], got [${w}]`);
  const c = x[4], f = w[4], groups = o.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || f % groups !== 0 || w[3] !== c / groups) {
    throw new RangeError(
      `${op}: input [${x}], kernel [${w}] and groups ${groups} disagree (kernel in = channels/groups, out divisible by groups)`,
    );
  }
  const s = tupleOf(o.strides, 3, `${op}: strides`), d = tupleOf(o.dilations, 3, `${op}: dilations`);
  const padding = paddingOf(o.padding, op);
  const axes = [0, 1, 2].map((a) =>
    windowAxis(`${op} ${AXES[a]} (input [${x}], kernel [${w}])`, x[1 + a], w[a], s[a], d[a], padding)
  );
  return {
    n: x[0],
    c,
    f,
    groups,
    size: [x[1], x[2], x[3]],
    k: [w[0], w[1], w[2]],
    s: s as Triple,
    d: d as Triple,
    pad: axes.map((a) => a.pad) as Triple,
    out: axes.map((a) => a.out) as Triple,
  };
}

/** Visits every (output voxel, tap) pair whose input voxel is in bounds: fn(output voxel, input voxel, tap). */
function forEachTap(g: Geometry, fn: (o: number, i: number, tap: number) => void): void {
  const [id, ih, iw] = g.size, [kd, kh, kw] = g.k, [sd, sh, sw] = g.s, [dd, dh, dw] = g.d;
  let o = 0;
  for (let b = 0; b < g.n; b++) {
    for (let oz = 0; oz < g.out[0]; oz++) {
      for (let oy = 0; oy < g.out[1]; oy++) {
        for (let ox = 0; ox < g.out[2]; ox++, o++) {
          for (let kz = 0; kz < kd; kz++) {
            const iz = oz * sd + kz * dd - g.pad[0];
            if (iz < 0 || iz >= id) continue;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh + ky * dh - g.pad[1];
              if (iy < 0 || iy >= ih) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw + kx * dw - g.pad[2];
                if (ix < 0 || ix >= iw) continue;
                fn(o, ((b * id + iz) * ih + iy) * iw + ix, (kz * kh + ky) * kw + kx);
              }
            }
          }
        }
      }
    }
  }
}

/** y[o, grp·fg + k] = Σ x[i, grp·cg + ci]·w[tap, ci, grp·fg + k], accumulated in float64. */
function forward(x: Data, w: Data, g: Geometry, y: Data): void {
  const cg = g.c / g.groups, fg = g.f / g.groups;
  const acc = new Float64Array(y.length);
  forEachTap(g, (o, i, tap) => {
    for (let grp = 0; grp < g.groups; grp++) {
      for (let ci = 0; ci < cg; ci++) {
        const v = x[i * g.c + grp * cg + ci];
        if (v === 0) continue;
        const wRow = (tap * cg + ci) * g.f + grp * fg, yRow = o * g.f + grp * fg;
        for (let k = 0; k < fg; k++) acc[yRow + k] += v * w[wRow + k];
      }
    }
  });
  y.set(acc);
}

/** dx += the forward's transpose applied to dy (also the transposed convolution's forward). */
function backInput(dy: Data, w: Data, g: Geometry, dx: Data): void {
  const cg = g.c / g.groups, fg = g.f / g.groups;
  const acc = new Float64Array(dx.length);
  forEachTap(g, (o, i, tap) => {
    for (let grp = 0; grp < g.groups; grp++) {
      for (let ci = 0; ci < cg; ci++) {
        const wRow = (tap * cg + ci) * g.f + grp * fg, yRow = o * g.f + grp * fg;
        let s = 0;
        for (let k = 0; k < fg; k++) s += dy[yRow + k] * w[wRow + k];
        acc[i * g.c + grp * cg + ci] += s;
      }
    }
  });
  dx.set(acc);
}

/** dw = Σ over taps of x ⊗ dy, per group. */
function backFilter(x: Data, dy: Data, g: Geometry, dw: Data): void {
  const cg = g.c / g.groups, fg = g.f / g.groups;
  const acc = new Float64Array(dw.length);
  forEachTap(g, (o, i, tap) => {
    for (let grp = 0; grp < g.groups; grp++) {
      for (let ci = 0; ci < cg; ci++) {
        const v = x[i * g.c + grp * cg + ci];
        if (v === 0) continue;
        const wRow = (tap * cg + ci) * g.f + grp * fg, yRow = o * g.f + grp * fg;
        for (let k = 0; k < fg; k++) acc[wRow + k] += v * dy[yRow + k];
      }
    }
  });
  dw.set(acc);
}

/**
 * 3-D convolution, input [N, D, H, W, C], kernel [kd, kh, kw, C/groups, F]
 * (Keras Conv3D), TF SAME/VALID padding (zeros) → [N, OD, OH, OW, F].
 * Strides and dilations may both exceed 1 (Keras's layer refuses that pair).
 *
 * @example
 * ```ts
 * import { conv3d } from "./conv3d.ts";
 * import { Tensor } from "./tensor.ts";
 * const x = Tensor.fill([1, 3, 3, 3, 1], 1), w = Tensor.fill([2, 2, 2, 1, 1], 1);
 * console.log(conv3d(x, w, { padding: "same" }).shape); // [1, 3, 3, 3, 1]
 * console.log(conv3d(x, w).data[0]); // 8
 * ```
 */
export function conv3d(x: Tensor, w: Tensor, options: Conv3dOptions = {}): Tensor {
  const g = geometry("conv3d", x.shape, w.shape, options);
  const y = alloc(g.n * g.out[0] * g.out[1] * g.out[2] * g.f, x);
  forward(x.data, w.data, g, y);
  const out = new Tensor(y, [g.n, ...g.out, g.f]);
  if (isRecording([x, w])) record("conv3d", [x, w], out, g);
  return out;
}

registerGradient("conv3d", (dy, { inputs: [x, w], attrs: g }: { inputs: readonly Tensor[]; attrs: Geometry }) => {
  const dx = alloc(x.size, x), dw = alloc(w.size, w);
  backInput(dy.data, w.data, g, dx);
  backFilter(x.data, dy.data, g, dw);
  return [new Tensor(dx, x.shape), new Tensor(dw, w.shape)];
});

/** Options of conv3dTranspose. */
export interface Conv3dTransposeOptions {
  /** Per-axis (depth, height, width) strides; default 1. */
  strides?: number | Triple;
  /** TF padding of the convolution this transposes; default "valid". */
  padding?: Padding;
  /**
   * Output depth, height and width; default Keras's: in·stride (same) or
   * in·stride + max(k - stride, 0) (valid). Keras's `output_padding` p gives
   * (in - 1)·stride + k - 2·pad + p, pad = ⌊k/2⌋ (same) or 0 (valid).
   */
  outputSize?: Triple;
}

function transposeGeometry(x: readonly number[], w: readonly number[], o: Conv3dTransposeOptions): Geometry {
  if (x.length !== 5 || w.length !== 5 || w[4] !== x[4]) {
    throw new RangeError(
      `conv3dTranspose: input [${x}] and kernel [${w}] must be [batch, depth, height, width, channels] and [kd, kh, kw, filters, channels]`,
    );
  }
  const s = tupleOf(o.strides, 3, "conv3dTranspose: strides"), padding = paddingOf(o.padding, "conv3dTranspose");
  const size = o.outputSize ??
    [0, 1, 2].map((a) => padding === "same" ? x[1 + a] * s[a] : x[1 + a] * s[a] + Math.max(w[a] - s[a], 0));
  tupleOf(size, 3, "conv3dTranspose: outputSize");
  // The forward convolution this transposes: output-size input with `filters` channels → x's shape.
  const g = geometry("conv3dTranspose", [x[0], ...size, w[3]], [w[0], w[1], w[2], w[3], x[4]], {
    strides: s as Triple,
    padding,
  });
  if (g.out.some((v, a) => v !== x[1 + a])) {
    throw new RangeError(
      `conv3dTranspose: output size [${size}] does not map back to input [${
        x.slice(1, 4)
      }] (strides [${s}], padding "${padding}")`,
    );
  }
  return g;
}

/**
 * Transposed 3-D convolution, input [N, D, H, W, C], kernel
 * [kd, kh, kw, F, C] (Keras Conv3DTranspose) → [N, ...outputSize, F].
 *
 * @example
 * ```ts
 * import { conv3dTranspose } from "./conv3d.ts";
 * import { Tensor } from "./tensor.ts";
 * const x = Tensor.fill([1, 2, 2, 2, 3], 1), w = Tensor.fill([3, 3, 3, 4, 3], 1);
 * console.log(conv3dTranspose(x, w, { strides: 2, padding: "same" }).shape); // [1, 4, 4, 4, 4]
 * console.log(conv3dTranspose(x, w, { strides: 2 }).shape); // [1, 5, 5, 5, 4]
 * ```
 */
export function conv3dTranspose(x: Tensor, w: Tensor, options: Conv3dTransposeOptions = {}): Tensor {
  const g = transposeGeometry(x.shape, w.shape, options);
  const y = alloc(g.n * g.size[0] * g.size[1] * g.size[2] * g.c, x);
  backInput(x.data, w.data, g, y);
  const out = new Tensor(y, [g.n, ...g.size, g.c]);
  if (isRecording([x, w])) record("conv3dTranspose", [x, w], out, g);
  return out;
}

registerGradient(
  "conv3dTranspose",
  (dy, { inputs: [x, w], attrs: g }: { inputs: readonly Tensor[]; attrs: Geometry }) => {
    const dx = alloc(x.size, x), dw = alloc(w.size, w);
    forward(dy.data, w.data, g, dx);
    backFilter(dy.data, x.data, g, dw);
    return [new Tensor(dx, x.shape), new Tensor(dw, w.shape)];
  },
);
