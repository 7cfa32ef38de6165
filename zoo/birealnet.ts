/**
 * Bi-Real Net 18 (Liu et al. 2018, https://arxiv.org/abs/1808.00278) as
 * larq-zoo builds it: approx_sign inputs, magnitude_aware_sign kernels,
 * weight_clip, real-valued shortcuts (average pool + 1×1 conv + BN where
 * the channels change).
 * @module
 */
import { input, link, type SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D } from "../layers/conv.ts";
import { Activation, Flatten } from "../layers/core.ts";
import { Dense } from "../layers/dense.ts";
import { seededRandom } from "../graph/random.ts";
import { type Layer, weightClip } from "../layers/layer.ts";
import { Add } from "../layers/merge.ts";
import { AveragePooling2D, MaxPool2D } from "../layers/pooling.ts";
import { ApproxSign } from "../quantizers/approx_sign.ts";
import { MagnitudeAwareSign } from "../quantizers/magnitude_aware_sign.ts";
import { withWeightsH5 } from "../keras/weights.ts";

/** Options of {@link biRealNet}. */
export interface BiRealNetOptions {
  /** Input shape without the batch axis, HWC; default [224, 224, 3]. */
  inputShape?: number[];
  /** Classes of the final dense layer; default 1000 (ImageNet). */
  numClasses?: number;
  /** Filters of the first stage (doubling at every later stage); default 64. */
  filters?: number;
  /** Seed of the weight initializers; default 0. */
  seed?: number;
  /** Keras weights to load (a path or the bytes of an .h5 file; see loadWeightsH5): the builder then returns a promise. */
  weights?: string | Uint8Array;
}

/**
 * Bi-Real Net 18 with random weights (seeded), or with the weights of a
 * Keras file of the same architecture (`weights`; then a promise).
 *
 * @example
 * ```ts
 * import { biRealNet } from "./birealnet.ts";
 * console.log(biRealNet({ inputShape: [32, 32, 3], numClasses: 10 }).output.shape); // [10]
 * ```
 */
export function biRealNet(options: BiRealNetOptions & { weights: string | Uint8Array }): Promise<Model>;
/** Bi-Real Net with random weights (no `weights` option): returns the model itself. */
export function biRealNet(options?: BiRealNetOptions & { weights?: undefined }): Model;
/** Bi-Real Net: a promise when `weights` is given, else the model. */
export function biRealNet(options?: BiRealNetOptions): Model | Promise<Model>;
export function biRealNet(options: BiRealNetOptions = {}): Model | Promise<Model> {
  const random = seededRandom(options.seed ?? 0);
  const L = <T extends Layer>(layer: T): T => layer.seed(random);
  const block = (x: SymbolicTensor, out: number): SymbolicTensor => {
    const inFilters = x.shape[2];
    let shortcut = x;
    if (inFilters !== out) {
      shortcut = link(new AveragePooling2D(2, { strides: 2, padding: "same" }), shortcut);
      shortcut = link(L(new Conv2D(out, 1, { kernelInitializer: "glorot_normal", useBias: false })), shortcut);
      shortcut = link(L(new BatchNormalization({ momentum: 0.8 })), shortcut);
    }
    let y = link(
      L(
        new QuantConv2D(out, 3, {
          strides: out === inFilters ? 1 : 2,
          padding: "same",
          inputQuantizer: new ApproxSign(),
          kernelQuantizer: new MagnitudeAwareSign(),
          kernelInitializer: "glorot_normal",
          kernelConstraint: weightClip(),
          useBias: false,
        }),
      ),
      x,
    );
    y = link(L(new BatchNormalization({ momentum: 0.8 })), y);
    return link(new Add(), y, shortcut);
  };
  const filters = options.filters ?? 64;
  const x0 = input(options.inputShape ?? [224, 224, 3]);
  let x = link(
    L(new Conv2D(filters, 7, { strides: 2, kernelInitializer: "glorot_normal", padding: "same", useBias: false })),
    x0,
  );
  x = link(L(new BatchNormalization({ momentum: 0.8 })), x);
  x = link(new MaxPool2D(3, { strides: 2, padding: "same" }), x);
  x = block(x, filters);
  for (let i = 0; i < 3; i++) x = block(x, x.shape[2]);
  for (let s = 0; s < 3; s++) {
    x = block(x, 2 * x.shape[2]);
    for (let i = 0; i < 3; i++) x = block(x, x.shape[2]);
  }
  x = link(new AveragePooling2D([x.shape[0], x.shape[1]]), x);
  x = link(new Flatten(), x);
  x = link(L(new Dense(options.numClasses ?? 1000)), x);
  x = link(new Activation("softmax"), x);
  const model = new Model(x0, x, { name: "birealnet18" });
  return options.weights === undefined ? model : withWeightsH5(model, options.weights);
}
