/**
 * onebit models as Keras files that tf-keras (2.16, what larq runs on)
 * loads with `tf.keras.models.load_model(path, custom_objects=...)` or
 * `model.load_weights(path)`, so training can continue in larq and come
 * back: `.keras` archives (config.json, metadata.json, model.weights.h5 in
 * the Keras v3 layout), legacy full-model `.h5` files, and weights-only
 * `.h5` files (the `save_weights` layout larq-zoo's weights use). HDF5 is
 * written by HDF5 itself (h5wasm), the zip by fflate; files are written
 * atomically, so a failed save leaves nothing behind. With `keras3: true`,
 * float models are written as Keras 3's `load_model` reads them instead.
 * @module
 */
import { zipSync } from "../_deps.ts";
import { writeFileAtomic } from "../_fs.ts";
import type { Variable } from "../graph/tensor.ts";
import { kerasClassName, type Layer, type LayerClass } from "../layers/layer.ts";
import type { Model } from "../models/model.ts";
import { type H5Node, writeH5 } from "./_h5.ts";
import { KERAS3_VERSION, toKeras3Config } from "./keras3_config.ts";
import { builtLayers, kerasOrder, kerasV3Paths } from "./weights.ts";

/** The Keras whose file layout and config form these files follow. */
const KERAS_VERSION = "2.16.0";

/** Where tf-keras's `.keras` reader finds the model classes (it needs `module` at the top of config.json). */
const TF_KERAS_CLASS: Record<string, { module: string; registered_name: string | null }> = {
  Sequential: { module: "keras", registered_name: null },
  Functional: { module: "tf_keras.src.engine.functional", registered_name: "Functional" },
};

/** The file kinds {@link saveKerasModel} writes. */
export type KerasFileFormat = "keras" | "h5";

/** Options of {@link saveKerasModel} and {@link kerasModelBytes}. */
export interface KerasFileOptions {
  /** `"keras"` (a .keras archive) or `"h5"` (a legacy full-model .h5); saveKerasModel takes it from the path. */
  format?: KerasFileFormat;
  /**
   * Write for Keras 3 instead of tf-keras 2.16 (larq's Keras): Keras 3's
   * class paths, `x + y` as Keras's Add. For float models only: larq's
   * layers, and layers or activations Keras 3 lacks, are a RangeError.
   */
  keras3?: boolean;
}

type Group = H5Node & { kind: "group" };

const group = (attrs: Record<string, string | string[]> = {}): Group => ({ kind: "group", attrs, children: {} });

/** Puts a dataset at a slash-separated path under `root`, making the groups on the way. */
function put(root: Group, path: string, v: Variable): void {
  const parts = path.split("/");
  let g = root;
  for (const part of parts.slice(0, -1)) {
    const next = g.children[part] ??= group();
    if (next.kind !== "group") throw new RangeError(`weight path ${path} runs through a dataset`);
    g = next;
  }
  g.children[parts.at(-1)!] = {
    kind: "dataset",
    attrs: {},
    shape: [...v.shape],
    data: Float32Array.from(v.data),
    dtype: "<f",
  };
}

/**
 * The legacy weights layout (save_weights, and `model_weights` of a .h5
 * model): `layer_names` lists the layers with weights in Keras's order;
 * each layer's group lists its `weight_names` (`layer/kernel:0`, trainable
 * ones first) and holds them at those paths.
 */
function legacyWeights(layers: readonly Layer[]): Group {
  const weighted = layers.filter((l) => l.weights.length > 0);
  const root = group({ backend: "tensorflow", keras_version: KERAS_VERSION, layer_names: weighted.map((l) => l.name) });
  for (const layer of weighted) {
    const vars = kerasOrder(layer);
    const g = root.children[layer.name] = group({ weight_names: vars.map((v) => `${v.name}:0`) });
    for (const v of vars) put(g, `${v.name}:0`, v);
  }
  return root;
}

/**
 * The Keras v3 weights layout: `layers/<class name in snake_case,
 * numbered>/vars/0, 1, …` in the model's layer order, and the model's own
 * (empty) `vars`.
 */
function kerasV3Weights(layers: readonly Layer[]): Group {
  const root = group();
  const paths = kerasV3Paths(layers.map((l) => kerasClassName(l.constructor as unknown as LayerClass)));
  layers.forEach((layer, i) => {
    if (layer.weights.length === 0) return;
    kerasOrder(layer).forEach((v, k) => put(root, `layers/${paths[i]}/vars/${k}`, v));
  });
  root.children.vars = group();
  return root;
}

/** `date_saved` as Keras writes it: 2024-01-31@12:00:00. */
function dateSaved(): string {
  return new Date().toISOString().slice(0, 19).replace("T", "@");
}

/**
 * A Keras model file's bytes: a `.keras` archive (`format: "keras"`) or a
 * legacy full-model `.h5` (`"h5"`), for tf-keras or, with `keras3`, Keras 3.
 */
export async function kerasModelBytes(
  model: Model,
  options: KerasFileOptions & { format: KerasFileFormat },
): Promise<Uint8Array> {
  if (options.format !== "keras" && options.format !== "h5") {
    throw new RangeError(`a Keras file format is "keras" or "h5", got ${JSON.stringify(options.format)}`);
  }
  const config = options.keras3 ? toKeras3Config(model.toConfig()) : model.toConfig();
  const version = options.keras3 ? KERAS3_VERSION : KERAS_VERSION;
  const layers = builtLayers(model);
  if (options.format === "h5") {
    const root = group({ backend: "tensorflow", keras_version: version, model_config: JSON.stringify(config) });
    root.children.model_weights = legacyWeights(layers);
    return await writeH5(root);
  }
  const text = (s: string) => new TextEncoder().encode(s);
  return zipSync({
    "metadata.json": text(JSON.stringify({ keras_version: version, date_saved: dateSaved() })),
    "config.json": text(JSON.stringify(options.keras3 ? config : { ...TF_KERAS_CLASS[config.class_name], ...config })),
    "model.weights.h5": await writeH5(kerasV3Weights(layers)),
  }, { level: 0 });
}

/**
 * Saves `model` as a Keras file that tf-keras's `load_model` reads (with
 * larq's custom objects for larq's layers), or with `keras3: true` Keras
 * 3's: a `.keras` archive or a legacy `.h5`, by the path's extension (or
 * `format`). Written atomically.
 *
 * @example
 * ```ts
 * import { saveKerasModel } from "./save.ts";
 * import { loadKerasModel } from "./load.ts";
 * import { larqMnistCnn } from "../zoo/larq_mnist.ts";
 * const path = await Deno.makeTempFile({ suffix: ".keras" });
 * await saveKerasModel(larqMnistCnn({ seed: 1 }), path);
 * console.log((await loadKerasModel(path)).layers.length); // 14
 * await Deno.remove(path);
 * ```
 */
export async function saveKerasModel(
  model: Model,
  path: string,
  options: KerasFileOptions = {},
): Promise<void> {
  const format = options.format ?? (path.endsWith(".keras") ? "keras" : path.endsWith(".h5") ? "h5" : undefined);
  if (!format) throw new RangeError(`${path}: give a .keras or .h5 path, or a format ("keras" or "h5")`);
  await writeFileAtomic(path, await kerasModelBytes(model, { ...options, format }));
}

/**
 * The bytes of a weights-only `.h5` in the layout of Keras 2's
 * `save_weights` (larq-zoo's weight files): `model.load_weights` in tf-keras
 * reads it into a model of the same architecture.
 */
export async function weightsH5Bytes(model: Model): Promise<Uint8Array> {
  return await writeH5(legacyWeights(builtLayers(model)));
}

/** Saves `model`'s weights as a weights-only `.h5` ({@link weightsH5Bytes}), atomically. */
export async function saveWeightsH5(model: Model, path: string): Promise<void> {
  await writeFileAtomic(path, await weightsH5Bytes(model));
}
