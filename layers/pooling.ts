/** MaxPool2D, AveragePooling2D, GlobalAveragePooling2D (Keras defaults: strides = pool size, "valid"). @module */
import type { Padding } from "../graph/conv.ts";
import * as nn from "../graph/nn.ts";
import type { Tensor } from "../graph/tensor.ts";
import { Layer } from "./layer.ts";

export interface Pool2DOptions {
  strides?: number | [number, number];
  padding?: Padding;
  name?: string;
}

abstract class Pool2D extends Layer {
  readonly poolSize: number | [number, number];
  readonly options: Pool2DOptions;
  constructor(poolSize: number | [number, number] = 2, options: Pool2DOptions = {}) {
    super(options.name);
    this.poolSize = poolSize;
    this.options = options;
  }
  protected build(): void {}
  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      pool_size: this.poolSize,
      strides: this.options.strides ?? null,
      padding: this.options.padding ?? "valid",
    };
  }
}

export class MaxPool2D extends Pool2D {
  static override kerasName = "max_pooling2d";
  protected call(x: Tensor): Tensor {
    return nn.maxPool2d(x, { poolSize: this.poolSize, strides: this.options.strides, padding: this.options.padding });
  }
}

export class AveragePooling2D extends Pool2D {
  static override kerasName = "average_pooling2d";
  protected call(x: Tensor): Tensor {
    return nn.avgPool2d(x, { poolSize: this.poolSize, strides: this.options.strides, padding: this.options.padding });
  }
}

export class GlobalAveragePooling2D extends Layer {
  static override kerasName = "global_average_pooling2d";
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  protected build(): void {}
  protected call(x: Tensor): Tensor {
    return nn.globalAvgPool2d(x);
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}
