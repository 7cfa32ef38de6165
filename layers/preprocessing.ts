/**
 * Keras's (tf-keras 2.16) preprocessing and augmentation layers:
 * Rescaling, RandomFlip, RandomTranslation, RandomCrop, RandomZoom. Images
 * are NHWC batches or single HWC images.
 *
 * - Rescaling applies always, and is differentiable.
 * - The random layers augment only when called with `training: true`; at
 *   inference they pass images through, except RandomCrop, which then
 *   resizes as Keras does (`smart_resize`: the largest centred crop of the
 *   target's aspect ratio, resized bilinearly) — as it also does in
 *   training for images smaller than the target.
 * - Their geometry is Keras's exactly (factor forms, the transform matrix,
 *   TF's fill modes and sampling: see graph/image.ts), but not their random
 *   numbers: TensorFlow's generators cannot be reproduced. A `seed` (or
 *   `layer.seed(random)`) makes the sequence of augmentations repeat: the
 *   same seed and inputs give the same outputs, call after call.
 * - Translation, zoom, flips and RandomCrop's resize are not differentiable
 *   (gradients stop at them, see graph/image.ts); RandomCrop's training
 *   crop is a differentiable slice.
 *
 * @example
 * ```ts
 * import { RandomFlip, Rescaling } from "./preprocessing.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const images = Tensor.fill([2, 4, 4, 3], 255);
 * const x = new Rescaling(1 / 127.5, { offset: -1 }).apply(images);
 * const y = new RandomFlip("horizontal", { seed: 7 }).apply(x, { training: true });
 * console.log(y.shape, y.data[0]); // [2, 4, 4, 3] 1
 * ```
 * @module
 */
import * as ops from "../graph/ops.ts";
import { slice } from "../graph/nn.ts";
import {
  FILL_MODES,
  type FillMode,
  flipLeftRight,
  flipUpDown,
  type Interpolation,
  INTERPOLATIONS,
  type ProjectiveTransform,
  smartResize,
  transform,
  translationMatrix,
  zoomMatrix,
} from "../graph/image.ts";
import type { Tensor } from "../graph/tensor.ts";
import { seededRandom } from "../graph/random.ts";
import { Layer } from "./layer.ts";

export type { FillMode, Interpolation, ProjectiveTransform };

/**
 * A Keras factor: a number f for the range [-f, f], or a [lower, upper]
 * range; fractions of the image height or width.
 */
export type Factor = number | readonly [number, number];

const f = Math.fround;

/** [lower, upper] of a factor, as Keras reads it (a number f is [-f, f]). */
function factorRange(factor: Factor, where: string): [number, number] {
  if (typeof factor === "number" && Number.isFinite(factor)) return [-factor, factor];
  if (Array.isArray(factor) && factor.length === 2 && factor.every((v) => typeof v === "number" && isFinite(v))) {
    return [factor[0], factor[1]];
  }
  throw new TypeError(`${where} must be a number or [lower, upper], got ${JSON.stringify(factor)}`);
}

/** The factor as given, for configs (a tuple becomes a list, as Keras writes it). */
function factorConfig(factor: Factor | null): number | number[] | null {
  return factor === null ? null : typeof factor === "number" ? factor : [...factor];
}

function checkOneOf<T extends string>(value: T, accepted: readonly T[], where: string): T {
  if (!accepted.includes(value)) {
    throw new RangeError(`${where} ${JSON.stringify(value)} is unknown; use one of ${accepted.join(", ")}`);
  }
  return value;
}

/**
 * Runs `op` on `x` as an NHWC batch: a single HWC image becomes a batch of
 * one and comes back as an image. Other ranks throw a RangeError.
 */
function onBatch(x: Tensor, op: (images: Tensor) => Tensor): Tensor {
  checkImages(x);
  if (x.rank === 4) return op(x);
  const y = op(ops.reshape(x, [1, ...x.shape]));
  return ops.reshape(y, y.shape.slice(1));
}

function checkImages(x: Tensor): void {
  if (x.rank !== 3 && x.rank !== 4) {
    throw new RangeError(
      `expects images [height, width, channels] or [batch, height, width, channels], got shape [${x.shape}]`,
    );
  }
}

/**
 * A uniform draw from [lower, upper) as TF's `random_uniform` computes it in
 * float32 (`u · (upper − lower) + lower`): a one-point range gives exactly
 * its value.
 */
function uniform(random: () => number, lower: number, upper: number): number {
  const lo = f(lower);
  return f(f(random() * f(f(upper) - lo)) + lo);
}

/**
 * Keras's BaseRandomLayer: a layer without weights whose random numbers
 * come from its `seed` (or `layer.seed(random)`; Math.random otherwise).
 */
export abstract class BaseRandomLayer extends Layer {
  /** The `seed` option (Keras's config `seed`): null when the layer draws from Math.random. */
  readonly seedValue: number | null;

  /** `seed`: an integer (else a TypeError), or null for Math.random. */
  constructor(options: { seed?: number | null; name?: string }) {
    super(options.name);
    const seed = options.seed ?? null;
    if (seed !== null && !Number.isInteger(seed)) {
      throw new TypeError(`${this.constructor.name}: seed must be an integer or null, got ${String(seed)}`);
    }
    this.seedValue = seed;
    if (seed !== null) this.random = seededRandom(seed);
  }

  /** No weights to create. */
  protected build(): void {}
}

/**
 * `x · scale + offset`, in training and at inference (Keras's Rescaling):
 * `scale: 1 / 255` maps [0, 255] to [0, 1], `scale: 1 / 127.5, offset: -1`
 * to [-1, 1]. Any input shape; differentiable.
 */
export class Rescaling extends Layer {
  /** The factor. */
  readonly scale: number;
  /** Added after scaling. */
  readonly offset: number;

  /** `scale` and `offset` (default 0) are finite numbers, else a TypeError. */
  constructor(scale: number, options: { offset?: number; name?: string } = {}) {
    super(options.name);
    const offset = options.offset ?? 0;
    for (const [key, v] of [["scale", scale], ["offset", offset]] as const) {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new TypeError(`Rescaling: ${key} must be a finite number, got ${String(v)}`);
      }
    }
    this.scale = scale;
    this.offset = offset;
  }

  /** From Keras's config (`scale`, `offset`, `name`). */
  static override fromConfig(config: Record<string, unknown>): Rescaling {
    return new Rescaling(config.scale as number, {
      offset: (config.offset ?? 0) as number,
      name: config.name as string | undefined,
    });
  }

  /** No weights to create. */
  protected build(): void {}

  /** x · scale + offset (the constants in x's dtype). */
  protected call(x: Tensor): Tensor {
    return ops.add(ops.mul(x, this.scale), this.offset);
  }

  /** Keras's keys: `name`, `scale`, `offset`. */
  getConfig(): Record<string, unknown> {
    return { name: this.name, scale: this.scale, offset: this.offset };
  }
}

/** RandomFlip's modes. */
export type FlipMode = "horizontal" | "vertical" | "horizontal_and_vertical";
const FLIP_MODES: readonly FlipMode[] = ["horizontal", "vertical", "horizontal_and_vertical"];

/**
 * Flips each image left-right ("horizontal") and/or up-down ("vertical")
 * with probability 1/2 each, in training; identity at inference.
 */
export class RandomFlip extends BaseRandomLayer {
  /** Which flips are drawn. */
  readonly mode: FlipMode;

  /** `mode` (default "horizontal_and_vertical"): another string is a RangeError. */
  constructor(mode: FlipMode = "horizontal_and_vertical", options: { seed?: number | null; name?: string } = {}) {
    super(options);
    this.mode = checkOneOf(mode, FLIP_MODES, "RandomFlip: mode");
  }

  /** From Keras's config (`mode`, `seed`, `name`). */
  static override fromConfig(config: Record<string, unknown>): RandomFlip {
    return new RandomFlip((config.mode ?? "horizontal_and_vertical") as FlipMode, configOptions(config));
  }

  /** Per image, a draw for each flip of the mode (all left-right draws first), in training. */
  protected call(x: Tensor, training: boolean): Tensor {
    checkImages(x);
    if (!training) return x;
    return onBatch(x, (images) => {
      const draw = () => Array.from({ length: images.shape[0] }, () => this.random() < 0.5);
      let y = images;
      if (this.mode !== "vertical") y = flipLeftRight(y, draw());
      if (this.mode !== "horizontal") y = flipUpDown(y, draw());
      return y;
    });
  }

  /** Keras's keys: `name`, `mode`, `seed`. */
  getConfig(): Record<string, unknown> {
    return { name: this.name, mode: this.mode, seed: this.seedValue };
  }
}

/** Options of RandomTranslation and RandomZoom. */
export interface AffineAugmentOptions {
  /** How points from outside the image are filled (default "reflect"). */
  fillMode?: FillMode;
  /** Default "bilinear". */
  interpolation?: Interpolation;
  /** Seeds the layer's random numbers (default: Math.random). */
  seed?: number | null;
  /** The value outside the image with fillMode "constant" (default 0). */
  fillValue?: number;
  /** The layer name. */
  name?: string;
}

/** The base of RandomTranslation and RandomZoom: a random affine transform per image (graph/image.ts's transform). */
export abstract class AffineAugment extends BaseRandomLayer {
  /** The height factor as given. */
  readonly heightFactor: Factor;
  /** How points from outside the image are filled. */
  readonly fillMode: FillMode;
  /** How points between pixels are read. */
  readonly interpolation: Interpolation;
  /** The value outside the image with fillMode "constant". */
  readonly fillValue: number;

  /** Checks the options (RangeError for unknown names, TypeError for a fillValue that is no finite number). */
  constructor(heightFactor: Factor, options: AffineAugmentOptions) {
    super(options);
    const where = this.constructor.name;
    this.heightFactor = heightFactor;
    this.fillMode = checkOneOf(options.fillMode ?? "reflect", FILL_MODES, `${where}: fillMode`);
    this.interpolation = checkOneOf(options.interpolation ?? "bilinear", INTERPOLATIONS, `${where}: interpolation`);
    this.fillValue = options.fillValue ?? 0;
    if (typeof this.fillValue !== "number" || !Number.isFinite(this.fillValue)) {
      throw new TypeError(`${where}: fillValue must be a finite number, got ${String(this.fillValue)}`);
    }
  }

  /** The transform of each image of a [batch, height, width] batch, drawn from the layer's random numbers. */
  protected abstract matrices(batch: number, height: number, width: number): ProjectiveTransform[];

  /** The width factor for configs. */
  protected abstract get widthConfig(): Factor | null;

  /** Each image sampled through its drawn transform, in training. */
  protected call(x: Tensor, training: boolean): Tensor {
    checkImages(x);
    if (!training) return x;
    return onBatch(x, (images) => {
      const [n, h, w] = images.shape;
      const { fillMode, interpolation, fillValue } = this;
      return transform(images, this.matrices(n, h, w), { fillMode, interpolation, fillValue });
    });
  }

  /** Keras's keys: `name`, `height_factor`, `width_factor`, `fill_mode`, `fill_value`, `interpolation`, `seed`. */
  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      height_factor: factorConfig(this.heightFactor),
      width_factor: factorConfig(this.widthConfig),
      fill_mode: this.fillMode,
      fill_value: this.fillValue,
      interpolation: this.interpolation,
      seed: this.seedValue,
    };
  }
}

/** The options of a config's snake_case keys. */
function configOptions(config: Record<string, unknown>): AffineAugmentOptions {
  return {
    fillMode: config.fill_mode as FillMode | undefined,
    interpolation: config.interpolation as Interpolation | undefined,
    seed: config.seed as number | null | undefined,
    fillValue: config.fill_value as number | undefined,
    name: config.name as string | undefined,
  };
}

/** Draws `n` values from [lower, upper) (a one-point range: exactly its value). */
function draws(random: () => number, n: number, [lower, upper]: [number, number]): number[] {
  return Array.from({ length: n }, () => uniform(random, lower, upper));
}

/**
 * Shifts each image by a random fraction of its size in training (Keras's
 * RandomTranslation); identity at inference. `heightFactor` (down for
 * positive values) and `widthFactor` (right) are numbers f for [-f, f] or
 * [lower, upper] ranges within [-1, 1].
 *
 * @example
 * ```ts
 * import { RandomTranslation } from "./preprocessing.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * // [0.25, 0.25]: always 1/4 of the width (one pixel of 4) to the right
 * const shift = new RandomTranslation(0, [0.25, 0.25], { fillMode: "constant" });
 * const y = shift.apply(Tensor.from([[[1], [2], [3], [4]]]), { training: true });
 * console.log([...y.data]); // [0, 1, 2, 3]
 * ```
 */
export class RandomTranslation extends AffineAugment {
  /** The width factor as given. */
  readonly widthFactor: Factor;
  readonly #height: [number, number];
  readonly #width: [number, number];

  /** Factors as Keras checks them: upper ≥ lower, within [-1, 1] (else a RangeError). */
  constructor(heightFactor: Factor, widthFactor: Factor, options: AffineAugmentOptions = {}) {
    super(heightFactor, options);
    this.widthFactor = widthFactor;
    this.#height = translationRange(heightFactor, "heightFactor");
    this.#width = translationRange(widthFactor, "widthFactor");
  }

  /** From Keras's config (`height_factor`, `width_factor`, `fill_mode`, `fill_value`, `interpolation`, `seed`). */
  static override fromConfig(config: Record<string, unknown>): RandomTranslation {
    return new RandomTranslation(config.height_factor as Factor, config.width_factor as Factor, configOptions(config));
  }

  /** The width factor as given. */
  protected get widthConfig(): Factor {
    return this.widthFactor;
  }

  /** Translation matrices from a height and a width shift per image. */
  protected matrices(n: number, h: number, w: number): ProjectiveTransform[] {
    // Keras draws every height shift, then every width shift, as fractions of the size (in float32).
    const dy = draws(this.random, n, this.#height).map((v) => f(v * h));
    const dx = draws(this.random, n, this.#width).map((v) => f(v * w));
    return dx.map((x, i) => translationMatrix(x, dy[i]));
  }
}

function translationRange(factor: Factor, name: string): [number, number] {
  const [lower, upper] = factorRange(factor, `RandomTranslation: ${name}`);
  if (upper < lower) {
    throw new RangeError(`RandomTranslation: ${name} cannot have upper < lower, got ${JSON.stringify(factor)}`);
  }
  if (Math.abs(lower) > 1 || Math.abs(upper) > 1) {
    throw new RangeError(`RandomTranslation: ${name} must lie in [-1, 1], got ${JSON.stringify(factor)}`);
  }
  return [lower, upper];
}

/**
 * Zooms each image about its centre by a random factor in training
 * (Keras's RandomZoom); identity at inference. A factor f zooms by 1 + f:
 * positive values zoom out, negative ones in. `heightFactor` lies in
 * [-1, 1]; `widthFactor` (≥ -1) defaults to null: the height's zoom, which
 * keeps the aspect ratio.
 *
 * @example
 * ```ts
 * import { RandomZoom } from "./preprocessing.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const zoomIn = new RandomZoom([-0.5, -0.5], [-0.5, -0.5]); // always 2× in
 * const y = zoomIn.apply(Tensor.from([[[0], [1], [2], [3], [4]]]), { training: true });
 * console.log([...y.data]); // [1, 1.5, 2, 2.5, 3]
 * ```
 */
export class RandomZoom extends AffineAugment {
  /** The width factor as given (null: the height's zoom). */
  readonly widthFactor: Factor | null;
  readonly #height: [number, number];
  readonly #width: [number, number] | null;

  /** Factors as Keras checks them: the height's within [-1, 1], the width's ≥ -1 (else a RangeError). */
  constructor(heightFactor: Factor, widthFactor: Factor | null = null, options: AffineAugmentOptions = {}) {
    super(heightFactor, options);
    this.widthFactor = widthFactor;
    this.#height = factorRange(heightFactor, "RandomZoom: heightFactor");
    if (this.#height.some((v) => Math.abs(v) > 1)) {
      throw new RangeError(`RandomZoom: heightFactor must lie in [-1, 1], got ${JSON.stringify(heightFactor)}`);
    }
    this.#width = widthFactor === null ? null : factorRange(widthFactor, "RandomZoom: widthFactor");
    if (this.#width !== null && this.#width.some((v) => v < -1)) {
      throw new RangeError(`RandomZoom: widthFactor must be ≥ -1, got ${JSON.stringify(widthFactor)}`);
    }
  }

  /** From Keras's config (`height_factor`, `width_factor`, `fill_mode`, `fill_value`, `interpolation`, `seed`). */
  static override fromConfig(config: Record<string, unknown>): RandomZoom {
    return new RandomZoom(
      config.height_factor as Factor,
      (config.width_factor ?? null) as Factor | null,
      configOptions(config),
    );
  }

  /** The width factor as given (null: the height's zoom). */
  protected get widthConfig(): Factor | null {
    return this.widthFactor;
  }

  /** Zoom matrices from a height (and unless widthFactor is null, a width) zoom per image. */
  protected matrices(n: number, h: number, w: number): ProjectiveTransform[] {
    // Keras draws zooms from [1 + lower, 1 + upper), bounds computed in float64 then float32.
    const [hl, hu] = this.#height;
    const zy = draws(this.random, n, [1 + hl, 1 + hu]);
    const zx = this.#width === null ? zy : draws(this.random, n, [1 + this.#width[0], 1 + this.#width[1]]);
    return zx.map((x, i) => zoomMatrix(x, zy[i], h, w));
  }
}

/**
 * Crops a random `height` × `width` window in training, the same window
 * for every image of a batch (Keras's RandomCrop). At inference, and in
 * training for images smaller than the target, it resizes instead as
 * Keras's `smart_resize`: the largest centred crop with the target's aspect
 * ratio, resized bilinearly to `height` × `width`.
 */
export class RandomCrop extends BaseRandomLayer {
  /** Output rows. */
  readonly height: number;
  /** Output columns. */
  readonly width: number;

  /** `height` and `width` are positive integers, else a RangeError. */
  constructor(height: number, width: number, options: { seed?: number | null; name?: string } = {}) {
    super(options);
    for (const [key, v] of [["height", height], ["width", width]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`RandomCrop: ${key} must be a positive integer, got ${v}`);
      }
    }
    this.height = height;
    this.width = width;
  }

  /** From Keras's config (`height`, `width`, `seed`, `name`). */
  static override fromConfig(config: Record<string, unknown>): RandomCrop {
    return new RandomCrop(config.height as number, config.width as number, configOptions(config));
  }

  /** A random window (the top row drawn first) in training when the images are large enough, else smart_resize. */
  protected call(x: Tensor, training: boolean): Tensor {
    return onBatch(x, (images) => {
      const [n, h, w, c] = images.shape;
      const hDiff = h - this.height, wDiff = w - this.width;
      if (!training || hDiff < 0 || wDiff < 0) return smartResize(images, [this.height, this.width]);
      const top = Math.floor(this.random() * (hDiff + 1));
      const left = Math.floor(this.random() * (wDiff + 1));
      return slice(images, [0, top, left, 0], [n, this.height, this.width, c]);
    });
  }

  /** Keras's keys: `name`, `height`, `width`, `seed`. */
  getConfig(): Record<string, unknown> {
    return { name: this.name, height: this.height, width: this.width, seed: this.seedValue };
  }
}
