/**
 * Images for model inputs: PNG and JPEG decoding (npm `fast-png` and
 * `jpeg-js`, pure JS), channel conversion, and bilinear resizing with the
 * exact arithmetic of TensorFlow 2's `tf.image.resize(images, size)` default
 * (bilinear, `antialias=False`, half-pixel centers), then `(x * scale - mean) / std`.
 *
 * Decoding follows `tf.io.decode_png` / `tf.io.decode_jpeg` with their
 * default `channels=0`: the file's own channel count (palette PNGs become
 * RGB, or RGBA when they have a tRNS chunk; 1/2/4-bit grayscale is expanded
 * to 8 bits, e.g. 2-bit 3 → 255; color-key tRNS of gray/RGB PNGs is ignored;
 * grayscale JPEGs have 1 channel). PNG pixels are the same as TF's; JPEG
 * pixels can differ by a few levels, because jpeg-js uses another IDCT and
 * nearest-neighbour chroma upsampling where TF's libjpeg-turbo uses its fast
 * integer IDCT and "fancy" upsampling (see tests/runtime_run_cli_test.ts for the
 * measured bounds).
 *
 * @example
 * ```ts
 * import { decodeImage, normalize, resizeBilinear, toChannels } from "./image.ts";
 * const png = await Deno.readFile("tests/fixtures/images/rgb_7x5.png");
 * const img = decodeImage(png); // { width: 7, height: 5, channels: 3, bitDepth: 8, format: "png", data }
 * const x = normalize(resizeBilinear(toChannels(img, 3), 16, 16), { scale: 1 / 255, mean: [0], std: [1] });
 * console.log(x.length); // 768: 16 × 16 × 3 values in [0, 1]
 * ```
 * @module
 */
import { convertIndexedToRgb, decodeJpeg, decodePng } from "../_deps.ts";
import type { FloatImage } from "../kernels/_tf_resize.ts";

export { type FloatImage, type ImageLike, resizeBilinear } from "../kernels/_tf_resize.ts";

/** A decoded image: rows of pixels, channels interleaved (HWC). */
export interface DecodedImage {
  width: number;
  height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** 8 (`data` is a Uint8Array) or 16 (a Uint16Array: 16-bit PNGs). */
  bitDepth: 8 | 16;
  format: "png" | "jpeg";
  data: Uint8Array | Uint16Array;
}

/** An image file that cannot be decoded (bad magic, truncated, corrupt, too large). */
export class ImageError extends Error {
  override name = "ImageError";
}

/** Largest image decoded, in pixels (jpeg-js's own default limit, applied to PNGs too). */
export const MAX_IMAGE_PIXELS = 100_000_000;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The luma weights of `tf.image.rgb_to_grayscale` (ITU-R BT.601, as float32):
 * gray = 0.2989 R + 0.5870 G + 0.1140 B.
 */
export const GRAY_WEIGHTS: readonly [number, number, number] = [
  Math.fround(0.2989),
  Math.fround(0.587),
  Math.fround(0.114),
];

/**
 * Decodes a PNG or JPEG file (chosen by its first bytes, not its name).
 * Throws {@link ImageError} for anything else, and for a truncated or
 * corrupt file (PNG chunk CRCs are checked; JPEG decoding is strict).
 */
export function decodeImage(bytes: Uint8Array): DecodedImage {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) return decodePngImage(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return decodeJpegImage(bytes);
  const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new ImageError(
    bytes.length === 0 ? "is empty, not a PNG or JPEG image" : `is not a PNG or JPEG image (it starts with ${head})`,
  );
}

function decodePngImage(bytes: Uint8Array): DecodedImage {
  if (bytes.length < 24) throw new ImageError("is a truncated PNG image (it ends inside its header)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkPixels(view.getUint32(16), view.getUint32(20));
  let png;
  let rgb: Uint8Array | undefined;
  try {
    png = decodePng(bytes, { checkCrc: true });
    if (png.palette) rgb = convertIndexedToRgb(png);
  } catch (e) {
    throw new ImageError(`is a truncated or corrupt PNG image (${detail(e)})`);
  }
  const { width, height } = png;
  if (rgb !== undefined) {
    const channels = png.palette![0].length as 3 | 4;
    return checkedLength({ width, height, channels, bitDepth: 8, format: "png", data: rgb });
  }
  const channels = png.channels as 1 | 2 | 3 | 4;
  if (png.depth === 16) {
    const data = png.data instanceof Uint16Array ? png.data : new Uint16Array(0);
    return checkedLength({ width, height, channels, bitDepth: 16, format: "png", data });
  }
  const data = png.depth < 8
    ? unpackGray(png.data as Uint8Array, width, height, png.depth)
    : new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length);
  return checkedLength({ width, height, channels, bitDepth: 8, format: "png", data });
}

/** A decoder's message, without trailing punctuation. */
function detail(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/[\s:.;]+$/, "");
}

function checkPixels(width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new ImageError(`is ${width}×${height}, past the ${MAX_IMAGE_PIXELS / 1e6}-megapixel limit; resize it first`);
  }
}

/** A decoder that stopped early returns too few samples: that is a truncated file. */
function checkedLength(img: DecodedImage): DecodedImage {
  const want = img.width * img.height * img.channels;
  if (img.data.length !== want || want === 0) {
    throw new ImageError(
      `is a truncated or corrupt ${img.format.toUpperCase()} image (${img.data.length} samples decoded for ` +
        `${img.width}×${img.height}×${img.channels})`,
    );
  }
  return img;
}

/** 1/2/4-bit grayscale rows (packed, MSB first, each row byte-aligned) → 8 bits, like libpng's expansion. */
function unpackGray(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const rowBytes = Math.ceil(width * depth / 8);
  if (packed.length < rowBytes * height) return new Uint8Array(0); // reported as truncated
  const out = new Uint8Array(width * height);
  const max = (1 << depth) - 1;
  const factor = 255 / max;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * rowBytes + (bit >> 3)];
      out[y * width + x] = ((byte >> (8 - depth - (bit & 7))) & max) * factor;
    }
  }
  return out;
}

function decodeJpegImage(bytes: Uint8Array): DecodedImage {
  const info = jpegInfo(bytes);
  const libjpeg = info !== null && libjpegYcc(info);
  let jpg;
  try {
    jpg = decodeJpeg(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      colorTransform: libjpeg ? false : undefined, // raw Y, Cb, Cr: converted below as libjpeg does
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
    });
  } catch (e) {
    throw new ImageError(`is a truncated or corrupt JPEG image (${detail(e)})`);
  }
  const { width, height } = jpg;
  const img = checkedLength({ width, height, channels: 3, bitDepth: 8, format: "jpeg", data: jpg.data });
  if (libjpeg) return { ...img, data: yccToRgb(jpg.data, width, height, info!.components[0]) };
  if (info?.components.length !== 1) return img;
  // jpeg-js writes a grayscale JPEG as R = G = B; TF's decode_jpeg gives it 1 channel.
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = jpg.data[3 * i];
  return { ...img, channels: 1, data: gray };
}

interface JpegInfo {
  /** Component id and sampling factors, from the frame header (SOFn). */
  components: { id: number; h: number; v: number }[];
  /** Has an Adobe APP14 marker (its transform flag decides the color space). */
  adobe: boolean;
}

/** The frame header and markers before the first scan, or null when they cannot be read (the decoder says why). */
function jpegInfo(bytes: Uint8Array): JpegInfo | null {
  let adobe = false;
  for (let i = 2; i + 4 <= bytes.length;) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    if (marker === 0xee && String.fromCharCode(...bytes.subarray(i + 4, i + 9)) === "Adobe") adobe = true;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      const n = bytes[i + 9] ?? 0;
      if (i + 10 + 3 * n > bytes.length) return null;
      const components = Array.from({ length: n }, (_, k) => {
        const at = i + 10 + 3 * k;
        return { id: bytes[at], h: bytes[at + 1] >> 4, v: bytes[at + 1] & 15 };
      });
      return { components, adobe };
    }
    if (marker === 0xda) return null; // a scan before the frame header
    i += 2 + length;
  }
  return null;
}

/**
 * A YCbCr JPEG whose chroma TF's libjpeg-turbo upsamples with its "fancy" filters (4:4:4, 4:2:2, 4:4:0,
 * 4:2:0), which {@link yccToRgb} reproduces. Others (Adobe, RGB ids, CMYK, rarer samplings) keep jpeg-js's
 * own conversion.
 */
function libjpegYcc(info: JpegInfo): boolean {
  const [y, cb, cr] = info.components;
  if (info.components.length !== 3 || info.adobe) return false;
  if (y.id === 0x52 && cb.id === 0x47 && cr.id === 0x42) return false; // "R", "G", "B": stored as RGB
  const chroma11 = cb.h === 1 && cb.v === 1 && cr.h === 1 && cr.v === 1;
  return chroma11 && (y.h === 1 || y.h === 2) && (y.v === 1 || y.v === 2);
}

/**
 * jpeg-js's raw Y, Cb, Cr (chroma repeated by nearest neighbour) → RGB as TF's libjpeg-turbo makes it:
 * the subsampled chroma planes recovered, upsampled with libjpeg's fancy (triangle) filters and their
 * rounding (jdsample.c), then libjpeg's fixed-point YCbCr → RGB (jdcolor.c).
 */
function yccToRgb(raw: Uint8Array, width: number, height: number, y: { h: number; v: number }): Uint8Array {
  const cw = Math.ceil(width / y.h), ch = Math.ceil(height / y.v);
  // libjpeg filters h2 only when the subsampled plane is wider than 2 samples; else it repeats, as jpeg-js does.
  const fancy = y.h === 2 ? cw > 2 : y.v === 2;
  const cb = new Uint8Array(width * height), cr = new Uint8Array(width * height);
  for (const [k, out] of [[1, cb], [2, cr]] as const) {
    if (!fancy) {
      for (let p = 0; p < width * height; p++) out[p] = raw[3 * p + k];
      continue;
    }
    const plane = new Uint8Array(cw * ch);
    for (let j = 0; j < ch; j++) {
      for (let i = 0; i < cw; i++) plane[j * cw + i] = raw[((j * y.v) * width + i * y.h) * 3 + k];
    }
    upsampleFancy(plane, cw, ch, y, out, width, height);
  }
  const rgb = new Uint8Array(width * height * 3);
  const clamp = (v: number) => v < 0 ? 0 : v > 255 ? 255 : v;
  for (let p = 0; p < width * height; p++) {
    const l = raw[3 * p], b = cb[p] - 128, r = cr[p] - 128;
    rgb[3 * p] = clamp(l + ((FIX_R * r + HALF) >> 16));
    rgb[3 * p + 1] = clamp(l + ((-FIX_GB * b + HALF - FIX_GR * r) >> 16));
    rgb[3 * p + 2] = clamp(l + ((FIX_B * b + HALF) >> 16));
  }
  return rgb;
}

/** libjpeg's `FIX(x)`: x in 16-bit fixed point. */
const FIX_R = Math.round(1.402 * 65536), FIX_B = Math.round(1.772 * 65536);
const FIX_GB = Math.round(0.34414 * 65536), FIX_GR = Math.round(0.71414 * 65536), HALF = 1 << 15;

/**
 * libjpeg-turbo's h2v1, h1v2 and h2v2 fancy upsampling (edge samples repeated), cropped to width × height:
 * vertically 3 × the nearest chroma row + the next nearest (above for even rows, below for odd ones),
 * horizontally 3 × the nearest column + the next nearest, each with libjpeg's alternating rounding biases.
 */
function upsampleFancy(
  plane: Uint8Array,
  cw: number,
  ch: number,
  factors: { h: number; v: number },
  out: Uint8Array,
  width: number,
  height: number,
): void {
  const sums = new Int32Array(cw);
  const vertical = factors.v === 2;
  for (let row = 0; row < height; row++) {
    const j = vertical ? row >> 1 : row, odd = row & 1;
    const near = odd ? Math.min(j + 1, ch - 1) : Math.max(j - 1, 0);
    for (let i = 0; i < cw; i++) sums[i] = vertical ? 3 * plane[j * cw + i] + plane[near * cw + i] : plane[j * cw + i];
    if (factors.h === 1) { // h1v2
      for (let i = 0; i < width; i++) out[row * width + i] = (sums[i] + 1 + odd) >> 2;
      continue;
    }
    const [bias0, bias1, shift] = vertical ? [8, 7, 4] : [1, 2, 2]; // h2v2 : h2v1
    for (let i = 0; i < cw; i++) {
      const here = 3 * sums[i], left = sums[Math.max(i - 1, 0)], right = sums[Math.min(i + 1, cw - 1)];
      const x = 2 * i;
      if (x < width) out[row * width + x] = (here + left + bias0) >> shift;
      if (x + 1 < width) out[row * width + x + 1] = (here + right + bias1) >> shift;
    }
  }
}

/**
 * Converts an image to `channels` channels, as float samples in the 8-bit
 * range (16-bit samples are divided by 257, so 65535 → 255 and the same
 * `--scale`/`--mean`/`--std` serve both depths):
 *
 * - 1: gray. RGB(A) becomes `tf.image.rgb_to_grayscale` of the float image
 *   ({@link GRAY_WEIGHTS}, float32, not rounded to integers); alpha is dropped.
 * - 3: RGB. Gray is repeated in R, G and B; alpha is dropped.
 *
 * Other channel counts throw a RangeError.
 */
export function toChannels(image: DecodedImage, channels: number): FloatImage {
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(
      `images convert to 1 (grayscale) or 3 (RGB) channels, not ${channels}; give the input as a .npy file instead`,
    );
  }
  const { width, height, data } = image;
  const n = width * height;
  const src = image.channels;
  const unit = image.bitDepth === 16 ? 257 : 1;
  const out = new Float32Array(n * channels);
  const [wr, wg, wb] = GRAY_WEIGHTS;
  const f = Math.fround;
  for (let p = 0; p < n; p++) {
    const s = p * src;
    if (src <= 2) {
      const v = data[s] / unit;
      for (let c = 0; c < channels; c++) out[p * channels + c] = v;
    } else if (channels === 3) {
      out[3 * p] = data[s] / unit;
      out[3 * p + 1] = data[s + 1] / unit;
      out[3 * p + 2] = data[s + 2] / unit;
    } else {
      const r = f(data[s] / unit), g = f(data[s + 1] / unit), b = f(data[s + 2] / unit);
      out[p] = f(f(f(r * wr) + f(g * wg)) + f(b * wb));
    }
  }
  return { width, height, channels, data: out };
}

/** How pixel values become model input values: `(pixel * scale - mean[c]) / std[c]`. */
export interface Normalization {
  scale: number;
  /** One value, or one per channel. */
  mean: readonly number[];
  /** One value, or one per channel. */
  std: readonly number[];
}

/**
 * `(x * scale - mean[c]) / std[c]` for every sample (computed in float64,
 * stored as float32). `mean` and `std` hold one value or one per channel.
 */
export function normalize(image: FloatImage, n: Normalization): Float32Array {
  const c = image.channels;
  for (const [name, v] of [["mean", n.mean], ["std", n.std]] as const) {
    if (v.length !== 1 && v.length !== c) {
      throw new RangeError(`--${name} has ${v.length} values; give one, or one per channel (${c})`);
    }
  }
  const mean = Array.from({ length: c }, (_, k) => n.mean[n.mean.length === 1 ? 0 : k]);
  const std = Array.from({ length: c }, (_, k) => n.std[n.std.length === 1 ? 0 : k]);
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) {
    const k = i % c;
    out[i] = (image.data[i] * n.scale - mean[k]) / std[k];
  }
  return out;
}
