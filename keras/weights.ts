/**
 * Keras weights in HDF5, into an onebit model of the same architecture.
 *
 * Two layouts, told apart by what the file holds:
 * - **legacy** (Keras 2 / tf-keras `save_weights("x.h5")`, larq-zoo's
 *   pretrained files, and the `model_weights` group of a full-model `.h5`):
 *   the attribute `layer_names` lists the layers in the model's order; each
 *   layer's group lists its `weight_names`, each a dataset under the group.
 * - **Keras v3** (`model.weights.h5` inside a `.keras` archive, and
 *   `save_weights("x.weights.h5")`): `layers/<path>/vars/0, 1, …` where the
 *   path is the layer's class name in snake_case, numbered `_1`, `_2`, … in
 *   the model's layer order (not the layer's name).
 *
 * As Keras's `load_weights` does, layers with weights are paired in order
 * (legacy files also by name on request), each layer's weights in Keras's
 * order: trainable ones first. Every pair is checked before anything is
 * assigned, so a file that does not fit changes nothing.
 * @module
 */
import type { Variable } from "../graph/tensor.ts";
import { kerasClassName, type Layer, type LayerClass } from "../layers/layer.ts";
import type { Model } from "../models/model.ts";
import { type H5Reader, type H5Tensor, readH5 } from "./_h5.ts";

/** One layer's weights as a file holds them, in the file's order. */
export interface FileLayer {
  /** The layer's name (a legacy file's, or the model layer's a Keras v3 group belongs to). */
  name: string;
  /** Its weights in the file's order: the name the file gives each, and its value. */
  weights: { name: string; value: H5Tensor }[];
}

/** Options of {@link loadWeightsH5}. */
export interface LoadWeightsH5Options {
  /**
   * Pair layers by name instead of by order (Keras's `by_name=True`; legacy
   * files only). Every model layer with weights must be in the file, and
   * every file layer with weights in the model.
   */
  byName?: boolean;
}

/** A layer group's list attribute (`layer_names`, `weight_names`): h5py writes an empty one as float64[]. */
function names(f: H5Reader, path: string, attr: string): string[] {
  const v = f.attr(path, attr);
  if (v === undefined) throw new RangeError(`${f.label}: ${path || "the root"} has no ${attr} attribute`);
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x): x is string => typeof x === "string");
}

/** The legacy layout under `root` ("" or "model_weights"): every listed layer, in the file's order. */
export function readLegacyWeights(f: H5Reader, root: string): FileLayer[] {
  const at = (p: string) => (root ? `${root}/${p}` : p);
  const extra = f.keys(at("top_level_model_weights")) ?? [];
  if (extra.length > 0) {
    throw new RangeError(`${f.label} has model-level weights (top_level_model_weights), which onebit does not read`);
  }
  return names(f, root, "layer_names").map((layer) => ({
    name: layer,
    weights: names(f, at(layer), "weight_names").map((w) => ({ name: w, value: f.dataset(at(`${layer}/${w}`)) })),
  }));
}

/** Keras's snake_case of a class name (both writers agree on onebit's classes: tested). */
export function snakeCase(className: string): string {
  return className.replace(/\W+/g, "").replace(/(.)([A-Z][a-z]+)/g, "$1_$2").replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/** Keras v3 group paths of layers by class name, in the model's layer order: dense, dense_1, … */
export function kerasV3Paths(classNames: readonly string[]): string[] {
  const used = new Map<string, number>();
  return classNames.map((cls) => {
    const base = snakeCase(cls), n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  });
}

/** The datasets under `path` and its subgroups (to find weights nothing reads). */
function datasetsUnder(f: H5Reader, path: string): string[] {
  return (f.keys(path) ?? []).flatMap((k) => {
    const p = `${path}/${k}`;
    return f.isDataset(p) ? [p] : datasetsUnder(f, p);
  });
}

/** A layer with weights and its group path in a Keras v3 file (`dense_1`). */
export interface KerasV3Entry {
  /** The layer's name (in messages and for pairing). */
  name: string;
  /** Its group under `layers/` in the file. */
  path: string;
}

/**
 * The Keras v3 layout: for each layer (by its group path under `layers/`),
 * the datasets `vars/0, 1, …`. Weights anywhere else (a nested object's,
 * the model's own, a layer the list does not name) are an error, not
 * ignored.
 */
export function readKerasV3Weights(f: H5Reader, entries: readonly KerasV3Entry[]): FileLayer[] {
  const read = new Set<string>();
  const layers = entries.map(({ name, path }) => {
    const vars = (f.keys(`layers/${path}/vars`) ?? []).filter((k) => /^\d+$/.test(k)).sort((a, b) => +a - +b);
    const weights = vars.map((k) => {
      read.add(`layers/${path}/vars/${k}`);
      return { name: `${path}/vars/${k}`, value: f.dataset(`layers/${path}/vars/${k}`) };
    });
    return { name, weights };
  });
  const unread = [...datasetsUnder(f, "layers"), ...datasetsUnder(f, "vars")].filter((p) => !read.has(p));
  if (unread.length > 0) {
    throw new RangeError(
      `${f.label} has weights the model has no place for: ${unread.slice(0, 4).join(", ")}` +
        `${unread.length > 4 ? ", …" : ""} (a layer the model lacks, or a nested object's weights)`,
    );
  }
  return layers;
}

/** A layer's variables in Keras's order: trainable first, then the rest (BatchNorm's moving statistics). */
export function kerasOrder(layer: Layer): Variable[] {
  const vs = layer.weights.map((w) => w.variable);
  return [...vs.filter((v) => v.trainable), ...vs.filter((v) => !v.trainable)];
}

const shapeText = (s: readonly number[]) => `[${s.join(", ")}]`;

/** The values for one layer's variables, checked: the weight count and every shape. */
function pairLayer(label: string, layer: Layer, file: FileLayer): [Variable, Float32Array][] {
  const vars = kerasOrder(layer);
  if (vars.length !== file.weights.length) {
    throw new RangeError(
      `${label}: layer "${file.name}" has ${file.weights.length} weights (${
        file.weights.map((w) => w.name).join(", ")
      }), the model's layer "${layer.name}" has ${vars.length} (${vars.map((v) => v.name).join(", ")})`,
    );
  }
  return vars.map((v, i) => {
    const { name, value } = file.weights[i];
    if (value.shape.join() !== v.shape.join()) {
      throw new RangeError(
        `${label}: weight "${name}" of layer "${file.name}" is ${shapeText(value.shape)} in the file; ` +
          `the model's "${v.name}" is ${shapeText(v.shape)}`,
      );
    }
    return [v, value.data];
  });
}

/** A model layer and the file's weights for it. */
export type LayerPair = [Layer, FileLayer];

const withWeights = <T extends { weights: readonly unknown[] }>(list: readonly T[]) =>
  list.filter((l) => l.weights.length > 0);

/** Model layers with weights paired with the file's layers with weights, in order (Keras's rule). */
export function pairByOrder(label: string, layers: readonly Layer[], file: readonly FileLayer[]): LayerPair[] {
  const mine = withWeights(layers), theirs = withWeights(file);
  const counts = `the file has ${theirs.length} layers with weights, the model ${mine.length}`;
  if (theirs.length > mine.length) {
    throw new RangeError(`${label}: layer "${theirs[mine.length].name}" has no model layer to go to (${counts})`);
  }
  if (theirs.length < mine.length) {
    throw new RangeError(`${label} has no weights for layer "${mine[theirs.length].name}" (${counts})`);
  }
  return mine.map((l, i) => [l, theirs[i]]);
}

/** Model layers with weights paired with the file's layers with weights of the same name. */
export function pairByName(label: string, layers: readonly Layer[], file: readonly FileLayer[]): LayerPair[] {
  const mine = withWeights(layers), theirs = new Map(withWeights(file).map((l) => [l.name, l]));
  const missing = mine.find((l) => !theirs.has(l.name));
  if (missing) throw new RangeError(`${label} has no weights for layer "${missing.name}"`);
  const names = new Set(mine.map((l) => l.name));
  const extra = [...theirs.keys()].find((n) => !names.has(n));
  if (extra) throw new RangeError(`${label}: layer "${extra}" has weights but the model has no layer of that name`);
  return mine.map((l) => [l, theirs.get(l.name)!]);
}

/** Assigns paired weights: every count and shape checked first, nothing assigned unless all fit. */
export function assignPairs(label: string, pairs: readonly LayerPair[]): void {
  const values = pairs.flatMap(([layer, file]) => pairLayer(label, layer, file));
  for (const [variable, data] of values) variable.assign(data);
}

/** The layers of a model, built (a Sequential builds its layers when its weights are asked for). */
export function builtLayers(model: Model): readonly Layer[] {
  void model.weights;
  return model.layers;
}

/** Which layout an HDF5 file of weights has: the group holding `layer_names`, or Keras v3's `layers`. */
export function weightsLayout(f: H5Reader): { legacy: string } | "keras_v3" {
  if (f.attr("", "layer_names") !== undefined) return { legacy: "" };
  if (f.attr("model_weights", "layer_names") !== undefined) return { legacy: "model_weights" };
  if (f.keys("layers") !== null) return "keras_v3";
  throw new RangeError(
    `${f.label} holds no Keras weights: no layer_names attribute (save_weights, .h5 models) and no layers group (.weights.h5)`,
  );
}

/** Reads a path or takes bytes; the label names the file in errors. */
export async function readSource(source: string | Uint8Array, what: string): Promise<[Uint8Array, string]> {
  if (typeof source === "string") return [await Deno.readFile(source), source];
  if (source instanceof Uint8Array) return [source, `the ${what} bytes`];
  throw new TypeError(`a ${what} source is a path or a Uint8Array, got ${Object.prototype.toString.call(source)}`);
}

/**
 * Loads Keras weights from an HDF5 file (a path or its bytes) into `model`,
 * which must have the file's architecture: `save_weights("x.h5")` files of
 * Keras 2 / tf-keras (larq-zoo's pretrained weights), full-model `.h5`
 * files, and Keras v3 `.weights.h5` files. Layers with weights are paired in
 * order, as Keras does (or by name: `byName`); a layer without a partner, a
 * weight count or a shape that differs is a RangeError naming the layer
 * (and both shapes), and then nothing is assigned.
 *
 * @example
 * ```ts
 * import { loadWeightsH5 } from "./weights.ts";
 * import { larqMnistCnn } from "../zoo/larq_mnist.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const model = larqMnistCnn();
 * await loadWeightsH5(model, "tests/fixtures/keras_files/larq_mnist_weights.h5");
 * console.log(model.apply(Tensor.zeros([1, 28, 28, 1])).shape); // [1, 10]
 * ```
 */
export async function loadWeightsH5(
  model: Model,
  source: string | Uint8Array,
  options: LoadWeightsH5Options = {},
): Promise<void> {
  const [bytes, label] = await readSource(source, "weights file");
  const layers = builtLayers(model);
  const pairs = await readH5(bytes, label, (f) => {
    const layout = weightsLayout(f);
    if (layout !== "keras_v3") {
      const file = readLegacyWeights(f, layout.legacy);
      return options.byName ? pairByName(label, layers, file) : pairByOrder(label, layers, file);
    }
    if (options.byName) {
      throw new RangeError(`${label}: byName needs a legacy .h5 file (Keras v3 files name no layers)`);
    }
    const paths = kerasV3Paths(layers.map((l) => kerasClassName(l.constructor as unknown as LayerClass)));
    const entries = paths.map((path, i) => ({ name: layers[i].name, path })).filter((_, i) => layers[i].weights.length);
    return pairByOrder(label, layers, readKerasV3Weights(f, entries));
  });
  assignPairs(label, pairs);
}

/**
 * `model` with the weights of an HDF5 file loaded (for builders that take
 * `weights`: `quickNet(variant, { weights })`).
 */
export async function withWeightsH5<M extends Model>(model: M, weights: string | Uint8Array): Promise<M> {
  await loadWeightsH5(model, weights);
  return model;
}
