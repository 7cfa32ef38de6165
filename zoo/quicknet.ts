/**
 * QuickNet (Bannink et al. 2021, "Larq Compute Engine", larq-zoo's sota
 * models), rebuilt with onebit's layers: the same layers, shapes and
 * parameter counts as larq-zoo's QuickNet, QuickNetSmall and QuickNetLarge.
 * @module
 */
import { input, link, type SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { Tensor } from "../graph/tensor.ts";
import { seededRandom } from "../graph/random.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation, Flatten } from "../layers/core.ts";
import { QuantDense } from "../layers/dense.ts";
import { DepthwiseConv2D, QuantDepthwiseConv2D } from "../layers/depthwise.ts";
import type { Layer } from "../layers/layer.ts";
import { weightClip } from "../layers/layer.ts";
import { OperatorAdd } from "../layers/merge.ts";
import { AveragePooling2D, MaxPool2D } from "../layers/pooling.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import { withWeightsH5 } from "../keras/weights.ts";

/**
 * The QuickNet variants, by larq-zoo's model names: `quicknet_small` (32-64-256-512 filters, 4 blocks per stage),
 * `quicknet` (64-128-256-512, 4 per stage) and `quicknet_large` (64-128-256-512, 6-8-12-6 blocks).
 */
export type QuickNetVariant = "quicknet_small" | "quicknet" | "quicknet_large";

const VARIANTS = {
  quicknet_small: { blocks: [4, 4, 4, 4], filters: [32, 64, 256, 512] },
  quicknet: { blocks: [4, 4, 4, 4], filters: [64, 128, 256, 512] },
  quicknet_large: { blocks: [6, 8, 12, 6], filters: [64, 128, 256, 512] },
} as const satisfies Record<QuickNetVariant, { blocks: readonly number[]; filters: readonly number[] }>;

/** The fixed anti-aliasing kernel outer([1,2,1],[1,2,1])/16 per channel (Zhang 2019, blur pooling). */
function blurPool(shape: readonly number[]): Tensor {
  const k = [1, 2, 1], [kh, kw, c, m] = shape;
  const t = Tensor.zeros(shape);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < c * m; i++) t.data[(y * kw + x) * c * m + i] = (k[y] * k[x]) / 16;
    }
  }
  return t;
}

/** Options of {@link quickNet}. */
export interface QuickNetOptions {
  /** Input shape without the batch axis, HWC; default [224, 224, 3]. */
  inputShape?: number[];
  /** Classes of the final dense layer; default 1000 (ImageNet). */
  numClasses?: number;
  /** Seed of the weight initializers; default 0 (the same weights on every call). */
  seed?: number;
  /**
   * Keras weights to load (a path or the bytes of an .h5 file, as larq-zoo's
   * pretrained weights are saved; see loadWeightsH5): the builder then
   * returns a promise.
   */
  weights?: string | Uint8Array;
}

/**
 * A QuickNet with random weights (seeded), or with the weights of a Keras
 * file of the same architecture (`weights`, e.g. larq-zoo's
 * `quicknet_small_weights.h5`; then a promise).
 *
 * @example
 * ```ts
 * import { quickNet } from "./quicknet.ts";
 * const m = quickNet("quicknet_small", { inputShape: [32, 32, 3], numClasses: 10 });
 * console.log(m.output.shape); // [10]
 * // const pretrained = await quickNet("quicknet", { weights: "quicknet_weights.h5" });
 * ```
 */
export function quickNet(
  variant: QuickNetVariant,
  options: QuickNetOptions & { weights: string | Uint8Array },
): Promise<Model>;
/** A QuickNet with random weights (no `weights` option): returns the model itself. */
export function quickNet(variant?: QuickNetVariant, options?: QuickNetOptions & { weights?: undefined }): Model;
/** A QuickNet: a promise when `weights` is given, else the model. */
export function quickNet(variant?: QuickNetVariant, options?: QuickNetOptions): Model | Promise<Model>;
export function quickNet(
  variant: QuickNetVariant = "quicknet",
  options: QuickNetOptions = {},
): Model | Promise<Model> {
  const spec = VARIANTS[variant];
  if (!spec) {
    throw new RangeError(
      `unknown QuickNet variant ${JSON.stringify(variant)}; use ${Object.keys(VARIANTS).join(", ")}`,
    );
  }
  const random = seededRandom(options.seed ?? 0);
  const L = <T extends Layer>(layer: T): T => layer.seed(random);
  const binary = () => ({
    inputQuantizer: new SteSign({ clipValue: 1.25 }),
    kernelQuantizer: new SteSign({ clipValue: 1.25 }),
    kernelConstraint: weightClip(1.25),
  });
  const x0 = input(options.inputShape ?? [224, 224, 3]);
  const f0 = spec.filters[0];
  let x: SymbolicTensor = link(
    L(new QuantConv2D(f0 / 4, 3, { kernelInitializer: "he_normal", padding: "same", strides: 2, useBias: false })),
    x0,
  );
  x = link(L(new BatchNormalization()), x);
  x = link(new Activation("relu"), x);
  x = link(L(new QuantDepthwiseConv2D(3, { padding: "same", strides: 2, useBias: false })), x);
  x = link(L(new BatchNormalization({ scale: false, center: false })), x);
  x = link(L(new QuantConv2D(f0, 1, { kernelInitializer: "he_normal", useBias: false })), x);
  x = link(L(new BatchNormalization()), x);
  spec.blocks.forEach((blocks, section) => {
    const filters = spec.filters[section];
    for (let b = 0; b < blocks; b++) {
      if (filters !== x.shape[2]) {
        // Transition: ReLU, max pool 2 stride 1, fixed blur-pool depthwise stride 2, 1×1 float conv, BN.
        x = link(new Activation("relu"), x);
        x = link(new MaxPool2D(2, { strides: 1 }), x);
        x = link(
          new DepthwiseConv2D(3, {
            depthwiseInitializer: blurPool,
            padding: "same",
            strides: 2,
            trainable: false,
            useBias: false,
          }),
          x,
        );
        x = link(L(new QuantConv2D(filters, 1, { kernelInitializer: "glorot_normal", useBias: false })), x);
        x = link(L(new BatchNormalization({ momentum: 0.9, epsilon: 1e-5 })), x);
      }
      // Residual block: binary 3×3 conv with same-one padding and ReLU, BN, add.
      const residual = x;
      x = link(
        L(
          new QuantConv2D(filters, 3, {
            ...binary(),
            activation: "relu",
            kernelInitializer: "glorot_normal",
            padding: "same",
            padValues: 1,
            useBias: false,
          }),
        ),
        x,
      );
      x = link(L(new BatchNormalization({ momentum: 0.9, epsilon: 1e-5 })), x);
      x = link(new OperatorAdd(), x, residual); // larq-zoo writes x + residual
    }
  });
  x = link(new Activation("relu"), x);
  x = link(new AveragePooling2D([x.shape[0], x.shape[1]]), x);
  x = link(new Flatten(), x);
  x = link(L(new QuantDense(options.numClasses ?? 1000, { kernelInitializer: "glorot_normal" })), x);
  x = link(new Activation("softmax"), x);
  const model = new Model(x0, x, { name: variant });
  return options.weights === undefined ? model : withWeightsH5(model, options.weights);
}
