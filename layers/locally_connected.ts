/**
 * larq's QuantLocallyConnected1D and QuantLocallyConnected2D (Keras's
 * LocallyConnected layers, implementation 1, without quantizers): a
 * convolution whose weights are not shared between positions — kernel
 * [positions, window·channels, filters], bias [positions…, filters].
 * Trainable here; the converter refuses them (TFLite has no such op).
 * @module
 */
import { locallyConnected1d, locallyConnected2d } from "../graph/locally_connected.ts";
import type { Tensor, Variable } from "../graph/tensor.ts";
import { tfAxis } from "../kernels/geometry.ts";
import { ConfigReader } from "./config_reader.ts";
import type { Config } from "./layer.ts";
import { type KernelOptions, perAxis, positive, QuantLayer, type QuantLayerOptions } from "./quant_layer.ts";

/** larq QuantLocallyConnected1D/2D's options (Keras's implementation 1, "valid" padding only). */
export interface QuantLocallyConnectedOptions extends QuantLayerOptions, KernelOptions<"kernel"> {
  /** Keras's `strides`: one number or one per spatial axis (default 1). */
  strides?: number | number[];
  /** Keras's `padding`: only "valid" (the default). */
  padding?: "valid";
  /** Keras's implementation; onebit has 1 (the kernel layout of the default). */
  implementation?: 1;
}

/** What both locally connected layers share: options, checks, config. */
export abstract class LocallyConnected extends QuantLayer {
  /** The converter refuses locally connected layers: TFLite has no such op. */
  static override conversionRefusal: string =
    "TFLite and Larq Compute Engine have no locally connected op (unshared weights per position); " +
    "use a (Quant)Conv layer in models you convert";
  /** Keras's `filters`: output channels. */
  readonly filters: number;
  /** Keras's `kernel_size`, one per spatial axis. */
  readonly kernelSize: number[];
  /** Keras's `strides`, one per spatial axis. */
  readonly strides: number[];
  /** Keras's `padding`: always "valid". */
  readonly padding = "valid" as const;
  /** The latent kernel [positions, window·channels, filters], once built. */
  kernel!: Variable;

  /**
   * `rank`: 1 or 2 spatial axes. Sizes are positive integers; padding "valid"
   * and implementation 1 only (else a RangeError).
   */
  constructor(filters: number, kernelSize: number | number[], options: QuantLocallyConnectedOptions, rank: 1 | 2) {
    super(options as QuantLocallyConnectedOptions & Config, ["kernel"]);
    this.filters = positive("filters", filters);
    this.kernelSize = perAxis("kernel_size", kernelSize, rank);
    this.strides = perAxis("strides", options.strides, rank);
    if ((options.padding ?? "valid") !== "valid") {
      throw new RangeError(
        `padding must be "valid" (Keras's implementation 1), got ${JSON.stringify(options.padding)}`,
      );
    }
    if ((options.implementation ?? 1) !== 1) {
      throw new RangeError(`implementation ${options.implementation} is not supported; onebit has implementation 1`);
    }
  }

  /** Output positions per spatial axis of an input of `shape`. */
  protected positions(shape: readonly number[]): number[] {
    return this.kernelSize.map((k, i) => {
      const n = tfAxis(shape[1 + i], k, this.strides[i], 1, "valid").out;
      if (n < 1) throw new RangeError(`kernel_size [${this.kernelSize}] is larger than the input [${shape}]`);
      return n;
    });
  }

  /**
   * Creates the kernel [positions, window·channels, filters] and a bias per
   * position and filter for [batch, …spatial, channels] inputs.
   */
  protected build(shape: readonly number[]): void {
    if (shape.length !== this.kernelSize.length + 2) {
      const axes = this.kernelSize.length === 1 ? "steps" : "height, width";
      throw new RangeError(`expects [batch, ${axes}, channels], got [${shape}]`);
    }
    const pos = this.positions(shape), channels = shape[shape.length - 1];
    const window = this.kernelSize.reduce((a, b) => a * b, 1);
    this.kernel = this.addKernel("kernel", [pos.reduce((a, b) => a * b, 1), window * channels, this.filters]);
    this.addBias([...pos, this.filters]);
  }

  /** q(input) through the per-position weights q(kernel); then bias and activation. */
  protected call(x: Tensor): Tensor {
    const k = this.quantizeKernel("kernel", this.kernel), xi = this.quantizeInput(x);
    const o = { kernelSize: this.kernelSize, strides: this.strides };
    const y = this.kernelSize.length === 1
      ? locallyConnected1d(xi, k, o as { kernelSize: [number]; strides: [number] })
      : locallyConnected2d(xi, k, o as { kernelSize: [number, number]; strides: [number, number] });
    return this.finish(y);
  }

  /** larq's summary does not count locally connected layers. */
  override macs(): null {
    return null;
  }

  /**
   * Keras's keys: `name`, `filters`, `kernel_size`, `strides`, `padding`,
   * `implementation`, then the quantizers and constraints.
   */
  getConfig(): Config {
    return {
      name: this.name,
      filters: this.filters,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      implementation: 1,
      ...this.quantConfig(),
    };
  }

  /** The options of a Keras config, for the subclasses' fromConfig. */
  protected static lcOptions(r: ConfigReader, rank: number): QuantLocallyConnectedOptions {
    return {
      ...QuantLayer.quantOptions(r, ["kernel"]),
      strides: r.ints("strides", rank, 1),
      padding: r.oneOf("padding", ["valid"] as const, "valid"),
      implementation: r.int("implementation", 1) as 1,
    };
  }
}

/**
 * larq's QuantLocallyConnected1D: input [batch, steps, channels].
 *
 * @example
 * ```ts
 * import { QuantLocallyConnected1D } from "./locally_connected.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new QuantLocallyConnected1D(3, 2).apply(Tensor.fill([2, 5, 4], 1)).shape); // [2, 4, 3]
 * ```
 */
export class QuantLocallyConnected1D extends LocallyConnected {
  /** `filters` and `kernelSize` are positive integers (else a RangeError). */
  constructor(filters: number, kernelSize: number | [number], options: QuantLocallyConnectedOptions = {}) {
    super(filters, kernelSize, options, 1);
  }
  /** A QuantLocallyConnected1D (or LocallyConnected1D) from its Keras config. */
  static override fromConfig<T extends typeof QuantLocallyConnected1D>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    return new this(r.int("filters", 0), r.int("kernel_size", 0), LocallyConnected.lcOptions(r, 1)) as InstanceType<T>;
  }
}

/** Keras LocallyConnected1D: QuantLocallyConnected1D without quantizers. */
export class LocallyConnected1D extends QuantLocallyConnected1D {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
}

/**
 * larq's QuantLocallyConnected2D: input [batch, height, width, channels].
 *
 * @example
 * ```ts
 * import { QuantLocallyConnected2D } from "./locally_connected.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * console.log(new QuantLocallyConnected2D(3, 2).apply(Tensor.fill([1, 4, 5, 2], 1)).shape); // [1, 3, 4, 3]
 * ```
 */
export class QuantLocallyConnected2D extends LocallyConnected {
  /** `filters` and `kernelSize` are positive integers (else a RangeError). */
  constructor(filters: number, kernelSize: number | [number, number], options: QuantLocallyConnectedOptions = {}) {
    super(filters, kernelSize, options, 2);
  }
  /** A QuantLocallyConnected2D (or LocallyConnected2D) from its Keras config. */
  static override fromConfig<T extends typeof QuantLocallyConnected2D>(this: T, config: Config): InstanceType<T> {
    const r = new ConfigReader(this.name, config);
    return new this(r.int("filters", 0), r.pair("kernel_size", 0), LocallyConnected.lcOptions(r, 2)) as InstanceType<T>;
  }
}

/** Keras LocallyConnected2D: QuantLocallyConnected2D without quantizers. */
export class LocallyConnected2D extends QuantLocallyConnected2D {
  /** Keras's float layer: its config has Keras's keys only; larq's options are refused. */
  static override readonly kerasTwin = true;
}
