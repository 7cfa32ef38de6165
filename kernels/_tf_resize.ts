/**
 * TensorFlow 2's bilinear `tf.image.resize` on one HWC image, stated once
 * for the interpreter's image inputs (runtime/image.ts) and the training
 * image ops (graph/image.ts).
 * @module
 */

/** An image of float samples (HWC), as {@link resizeBilinear} (and runtime/image.ts's `toChannels`) return. */
export interface FloatImage {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** Samples per pixel. */
  channels: number;
  /** height × width × channels samples, row by row. */
  data: Float32Array;
}

/** Any HWC image {@link resizeBilinear} can read: its samples are read as numbers. */
export interface ImageLike {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** Samples per pixel. */
  channels: number;
  /** height × width × channels samples, row by row. */
  data: ArrayLike<number>;
}

/** Source rows (or columns) and weights of one output axis: TF's `compute_interpolation_weights`. */
function axisWeights(inSize: number, outSize: number): { lower: Int32Array; upper: Int32Array; lerp: Float32Array } {
  const f = Math.fround;
  const scale = f(inSize / outSize);
  const lower = new Int32Array(outSize), upper = new Int32Array(outSize), lerp = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const x = f(f(f(i + 0.5) * scale) - 0.5); // HalfPixelScaler, in float32
    const floor = Math.floor(x);
    lower[i] = Math.max(floor, 0);
    upper[i] = Math.min(Math.ceil(x), inSize - 1);
    lerp[i] = f(x - floor);
  }
  return { lower, upper, lerp };
}

/**
 * Resizes to `height` × `width` exactly as TensorFlow 2's
 * `tf.image.resize(image, [height, width])` does by default (the
 * `ResizeBilinear` kernel with `half_pixel_centers=True`, no antialiasing,
 * also when downscaling): source coordinate `(i + 0.5) · in/out − 0.5`,
 * clamped to the edge, and TF's float32 interpolation
 * `top + (bottom − top) · dy` with `top = tl + (tr − tl) · dx`.
 */
export function resizeBilinear(image: ImageLike, height: number, width: number): FloatImage {
  for (const [name, v] of [["height", height], ["width", width]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`resize ${name} must be a positive integer, got ${v}`);
  }
  const { channels: c, data } = image;
  const ys = axisWeights(image.height, height), xs = axisWeights(image.width, width);
  const out = new Float32Array(height * width * c);
  const f = Math.fround;
  const rowLen = image.width * c;
  for (let y = 0; y < height; y++) {
    const top = ys.lower[y] * rowLen, bottom = ys.upper[y] * rowLen, dy = ys.lerp[y];
    for (let x = 0; x < width; x++) {
      const left = xs.lower[x] * c, right = xs.upper[x] * c, dx = xs.lerp[x];
      const o = (y * width + x) * c;
      for (let k = 0; k < c; k++) {
        const tl = f(data[top + left + k]), tr = f(data[top + right + k]);
        const bl = f(data[bottom + left + k]), br = f(data[bottom + right + k]);
        const t = f(tl + f(f(tr - tl) * dx));
        const b = f(bl + f(f(br - bl) * dx));
        out[o + k] = f(t + f(f(b - t) * dy));
      }
    }
  }
  return { width, height, channels: c, data: out };
}
