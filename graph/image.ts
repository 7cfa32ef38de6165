/**
 * Image ops of Keras's preprocessing layers, on NHWC batches, with
 * TensorFlow's float32 arithmetic: flips, the projective transform of
 * `ImageProjectiveTransformV3` (output pixel → input coordinates, TF's
 * four fill modes, nearest or bilinear sampling), `tf.image.resize`
 * (bilinear) and Keras's `smart_resize`. Results take the input's dtype;
 * the values are computed in float32 as TF computes them.
 *
 * Not differentiable: these ops are not recorded, so their output is a
 * constant to the tape and gradients stop there, as with `stopGradient`
 * (augmentation sits at the model input). Calling them on a recorded
 * tensor is allowed and records nothing.
 *
 * @example
 * ```ts
 * import { transform, translationMatrix } from "./image.ts";
 * import { Tensor } from "./tensor.ts";
 * const x = Tensor.from([[[[1], [2], [3]]]]); // one 1×3 image
 * const y = transform(x, [translationMatrix(1, 0)], { fillMode: "constant" });
 * console.log([...y.data]); // [0, 1, 2]: shifted right by one pixel, zeros come in
 * ```
 * @module
 */
import { Tensor } from "./tensor.ts";
import { slice } from "./nn.ts";
import { resizeBilinear as resizeImage } from "../kernels/_tf_resize.ts";

/** How points outside the input are filled (TF's `fill_mode`). */
export type FillMode = "reflect" | "wrap" | "constant" | "nearest";
/** How an input point between pixels is read. */
export type Interpolation = "bilinear" | "nearest";
/** The fill modes, in Keras's order. */
export const FILL_MODES: readonly FillMode[] = ["reflect", "wrap", "constant", "nearest"];
/** The interpolations. */
export const INTERPOLATIONS: readonly Interpolation[] = ["bilinear", "nearest"];

/**
 * A projective transform `[a0, a1, a2, b0, b1, b2, c0, c1]`: it maps the
 * output point (x, y) to the input point ((a0·x + a1·y + a2) / k,
 * (b0·x + b1·y + b2) / k) with k = c0·x + c1·y + 1 (TF's convention: the
 * inverse of the image motion).
 */
export type ProjectiveTransform = readonly number[];

/** Options of {@link transform}. */
export interface TransformOptions {
  /** Default "reflect" (Keras's default). */
  fillMode?: FillMode;
  /** Default "bilinear". */
  interpolation?: Interpolation;
  /** The value of points outside the input with fillMode "constant" (and of infinite points). Default 0. */
  fillValue?: number;
}

const f = Math.fround;

/** Throws unless `x` is a rank-4 NHWC batch; returns its shape. */
function nhwc(x: Tensor, where: string): [number, number, number, number] {
  if (!(x instanceof Tensor)) throw new TypeError(`${where} takes a Tensor, got ${String(x)}`);
  if (x.rank !== 4) throw new RangeError(`${where} takes [batch, height, width, channels], got shape [${x.shape}]`);
  return x.shape as unknown as [number, number, number, number];
}

function alloc(like: Tensor, n: number): Float32Array | Float64Array {
  return like.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

/**
 * Reverses the width axis of the images `which` selects (default: all):
 * `tf.image.flip_left_right` per image.
 */
export function flipLeftRight(images: Tensor, which?: readonly boolean[]): Tensor {
  return flip(images, "width", which, "flipLeftRight");
}

/** Reverses the height axis of the images `which` selects (default: all): `tf.image.flip_up_down` per image. */
export function flipUpDown(images: Tensor, which?: readonly boolean[]): Tensor {
  return flip(images, "height", which, "flipUpDown");
}

function flip(images: Tensor, axis: "height" | "width", which: readonly boolean[] | undefined, where: string): Tensor {
  const [n, h, w, c] = nhwc(images, where);
  if (which !== undefined && (!Array.isArray(which) || which.length !== n)) {
    throw new RangeError(`${where}: which must hold one boolean per image (${n}), got ${JSON.stringify(which)}`);
  }
  const src = images.data, out = alloc(images, images.size);
  const row = w * c;
  for (let b = 0; b < n; b++) {
    const base = b * h * row;
    const on = which === undefined || which[b];
    for (let y = 0; y < h; y++) {
      const sy = on && axis === "height" ? h - 1 - y : y;
      for (let x = 0; x < w; x++) {
        const sx = on && axis === "width" ? w - 1 - x : x;
        const o = base + y * row + x * c, s = base + sy * row + sx * c;
        for (let k = 0; k < c; k++) out[o + k] = src[s + k];
      }
    }
  }
  return new Tensor(out, images.shape);
}

/** Keras's translation matrix: the image moves by (dx, dy) pixels (right and down for positive values). */
export function translationMatrix(dx: number, dy: number): ProjectiveTransform {
  return [1, 0, -f(dx), 0, 1, -f(dy), 0, 0];
}

/**
 * Keras's zoom matrix for an image of `height` × `width`: input = zoom ·
 * output about the image centre, so zx, zy > 1 zoom out and < 1 zoom in.
 */
export function zoomMatrix(zx: number, zy: number, height: number, width: number): ProjectiveTransform {
  const fx = f(zx), fy = f(zy);
  const xOffset = f(f(f(width - 1) / 2) * f(1 - fx));
  const yOffset = f(f(f(height - 1) / 2) * f(1 - fy));
  return [fx, 0, xOffset, 0, fy, yOffset, 0, 0];
}

/** TF's MapCoordinate for FILL_REFLECT, in float32: [abcd] → [dcba|abcd|dcba], clamped to [0, len - 1]. */
function reflect(coord: number, len: number): number {
  let v = coord;
  if (v < 0) {
    if (len <= 1) return 0;
    const sz2 = 2 * len;
    v = f(sz2 * Math.trunc(f(-v / sz2)) + v);
    v = v < -len ? f(v + sz2) : f(-v - 1);
  } else if (v > len - 1) {
    if (len <= 1) return 0;
    const sz2 = 2 * len;
    v = f(v - sz2 * Math.trunc(f(v / sz2)));
    if (v >= len) v = f(f(sz2 - v) - 1);
  }
  return Math.min(Math.max(v, 0), len - 1);
}

/** TF's MapCoordinate for FILL_WRAP, in float32 (its period arithmetic, then a clamp to [0, len - 1]). */
function wrap(coord: number, len: number): number {
  let v = coord;
  if (v < 0) {
    if (len <= 1) return 0;
    v = f(v + len * (Math.trunc(f(-v / (len - 1))) + 1));
  } else if (v > len - 1) {
    if (len <= 1) return 0;
    v = f(v - len * Math.trunc(f(v / (len - 1))));
  }
  return Math.min(Math.max(v, 0), len - 1);
}

/** C's round(): halves away from zero (Math.round takes -0.5 to -0, C to -1). */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(0.5 - v) : Math.floor(v + 0.5);
}

const MAP_COORDINATE: Record<FillMode, (coord: number, len: number) => number> = {
  reflect,
  wrap,
  constant: (coord) => coord,
  nearest: (coord, len) => Math.min(Math.max(coord, 0), len - 1),
};

function checkTransformOptions(options: TransformOptions): Required<TransformOptions> {
  const { fillMode = "reflect", interpolation = "bilinear", fillValue = 0 } = options;
  if (!FILL_MODES.includes(fillMode)) {
    throw new RangeError(
      `transform: unknown fillMode ${JSON.stringify(fillMode)}; use one of ${FILL_MODES.join(", ")}`,
    );
  }
  if (!INTERPOLATIONS.includes(interpolation)) {
    throw new RangeError(
      `transform: unknown interpolation ${JSON.stringify(interpolation)}; use one of ${INTERPOLATIONS.join(", ")}`,
    );
  }
  if (typeof fillValue !== "number" || Number.isNaN(fillValue)) {
    throw new TypeError(`transform: fillValue must be a number, got ${String(fillValue)}`);
  }
  return { fillMode, interpolation, fillValue };
}

function checkTransforms(transforms: readonly ProjectiveTransform[], n: number): void {
  if (!Array.isArray(transforms) || (transforms.length !== 1 && transforms.length !== n)) {
    throw new RangeError(`transform: give one transform, or one per image (${n}), got ${transforms?.length}`);
  }
  transforms.forEach((t, i) => {
    if (!Array.isArray(t) || t.length !== 8 || !t.every(Number.isFinite)) {
      throw new RangeError(`transform: transforms[${i}] must be 8 finite numbers, got ${JSON.stringify(t)}`);
    }
  });
}

/**
 * Samples every image at the input points its transform gives, as TF's
 * `ImageProjectiveTransformV3` (Keras's `transform`): one transform for
 * every image, or one per image; output of the input's size.
 *
 * @example
 * ```ts
 * import { transform, zoomMatrix } from "./image.ts";
 * import { Tensor } from "./tensor.ts";
 * const x = Tensor.from([[[[0], [1], [2], [3], [4]]]]); // one 1×5 image
 * const y = transform(x, [zoomMatrix(0.5, 1, 1, 5)]); // zoom in 2× about the centre
 * console.log([...y.data]); // [1, 1.5, 2, 2.5, 3]
 * ```
 */
export function transform(
  images: Tensor,
  transforms: readonly ProjectiveTransform[],
  options: TransformOptions = {},
): Tensor {
  const [n, h, w, c] = nhwc(images, "transform");
  checkTransforms(transforms, n);
  const { fillMode, interpolation, fillValue } = checkTransformOptions(options);
  const map = MAP_COORDINATE[fillMode];
  const fill = f(fillValue);
  const src = images.data, out = alloc(images, images.size);
  const read = (base: number, y: number, x: number, k: number) =>
    y >= 0 && y < h && x >= 0 && x < w ? f(src[base + (y * w + x) * c + k]) : fill;
  for (let b = 0; b < n; b++) {
    const t = transforms.length === 1 ? transforms[0] : transforms[b];
    const [a0, a1, a2, b0, b1, b2, c0, c1] = t.map(f);
    const base = b * h * w * c;
    for (let oy = 0; oy < h; oy++) {
      for (let ox = 0; ox < w; ox++) {
        const o = base + (oy * w + ox) * c;
        const k = f(f(f(c0 * ox) + f(c1 * oy)) + 1);
        const x = k === 0 ? NaN : map(f(f(f(f(a0 * ox) + f(a1 * oy)) + a2) / k), w);
        const y = k === 0 ? NaN : map(f(f(f(f(b0 * ox) + f(b1 * oy)) + b2) / k), h);
        // Pixels outside the input read as the fill value: with "constant", points within a pixel of the edge
        // blend it (TF 2.16 has no early out for them); the other modes have mapped (x, y) inside.
        if (Number.isNaN(x) || Number.isNaN(y)) {
          for (let ch = 0; ch < c; ch++) out[o + ch] = fill; // an infinite point
        } else if (interpolation === "nearest") {
          const ry = roundHalfAway(y), rx = roundHalfAway(x);
          for (let ch = 0; ch < c; ch++) out[o + ch] = read(base, ry, rx, ch);
        } else {
          const y0 = Math.floor(y), x0 = Math.floor(x), y1 = y0 + 1, x1 = x0 + 1;
          const wx0 = f(x1 - x), wx1 = f(x - x0), wy0 = f(y1 - y), wy1 = f(y - y0);
          for (let ch = 0; ch < c; ch++) {
            const top = f(f(wx0 * read(base, y0, x0, ch)) + f(wx1 * read(base, y0, x1, ch)));
            const bottom = f(f(wx0 * read(base, y1, x0, ch)) + f(wx1 * read(base, y1, x1, ch)));
            out[o + ch] = f(f(wy0 * top) + f(wy1 * bottom));
          }
        }
      }
    }
  }
  return new Tensor(out, images.shape);
}

function checkSize(size: readonly [number, number], where: string): void {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new RangeError(`${where}: size must be [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
}

/**
 * Resizes every image to `size` ([height, width]) as TF 2's
 * `tf.image.resize(images, size)` (bilinear, half-pixel centres, no
 * antialiasing).
 */
export function resizeBilinear(images: Tensor, size: readonly [number, number]): Tensor {
  const [n, h, w, c] = nhwc(images, "resizeBilinear");
  checkSize(size, "resizeBilinear");
  const [oh, ow] = size;
  const out = alloc(images, n * oh * ow * c);
  for (let b = 0; b < n; b++) {
    const data = images.data.subarray(b * h * w * c, (b + 1) * h * w * c);
    out.set(resizeImage({ height: h, width: w, channels: c, data }, oh, ow).data, b * oh * ow * c);
  }
  return new Tensor(out, [n, oh, ow, c]);
}

/**
 * The window Keras's `smart_resize` keeps of a `height` × `width` image for
 * a target `size`: the largest centred box of the target's aspect ratio
 * (sizes and offsets truncated as Keras computes them, in float32).
 */
export function smartCropBox(
  height: number,
  width: number,
  size: readonly [number, number],
): { top: number; left: number; height: number; width: number } {
  checkSize(size, "smartCropBox");
  const [th, tw] = size;
  const cropHeight = Math.min(height, Math.trunc(f(f(width * th) / tw)));
  const cropWidth = Math.min(width, Math.trunc(f(f(height * tw) / th)));
  return {
    top: Math.trunc(f(height - cropHeight) / 2),
    left: Math.trunc(f(width - cropWidth) / 2),
    height: cropHeight,
    width: cropWidth,
  };
}

/**
 * Keras's `smart_resize(images, size)`: crops the {@link smartCropBox} and
 * resizes it to `size` with {@link resizeBilinear}, so nothing is
 * distorted (what RandomCrop does at inference).
 */
export function smartResize(images: Tensor, size: readonly [number, number]): Tensor {
  const [n, h, w, c] = nhwc(images, "smartResize");
  const box = smartCropBox(h, w, size);
  const cropped = slice(images, [0, box.top, box.left, 0], [n, box.height, box.width, c]);
  return resizeBilinear(cropped, size);
}
