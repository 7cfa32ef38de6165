/**
 * Keras model files into onebit models: `.keras` archives (a zip of
 * `config.json`, `metadata.json` and `model.weights.h5`, as tf-keras 2.16
 * and Keras 3 write them) and legacy full-model `.h5` files (Keras 2 /
 * tf-keras, or Keras 3's legacy writer: the config in the `model_config`
 * attribute, the weights in `model_weights`). The kind is told by the
 * content (zip or HDF5 signature), not the file name.
 *
 * The model is rebuilt from its config through the layer registry (larq's
 * layers, quantizers and constraints as larq serializes them; an unknown
 * class fails with its name and the supported list), then every weight is
 * checked against it before any is assigned: a file that does not fit, or
 * that is truncated or corrupt, is a RangeError, and no model comes back.
 * @module
 */
import { unzipSync } from "../_deps.ts";
import type { LayerConfig } from "../layers/registry.ts";
import type { Model, ModelConfig } from "../models/model.ts";
import { modelFromConfig } from "../models/serialize.ts";
import { type H5Reader, isHdf5, readH5 } from "./_h5.ts";
import { toKeras2Config } from "./keras3_config.ts";
import {
  assignPairs,
  type KerasV3Entry,
  kerasV3Paths,
  pairByName,
  readKerasV3Weights,
  readLegacyWeights,
  readSource,
} from "./weights.ts";

/** The zip local-file-header signature a `.keras` archive starts with. */
function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** A config from JSON text, with its source named when it is not JSON or not a model config. */
function parseConfig(text: string, where: string): ModelConfig {
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch (e) {
    throw new RangeError(`${where} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const c = cfg as ModelConfig;
  if (!c || typeof c !== "object" || !c.config || !Array.isArray(c.config.layers)) {
    throw new RangeError(`${where} is not a Keras model config ({ class_name, config: { layers } })`);
  }
  return toKeras2Config(c);
}

/** A legacy full-model .h5: the config attribute and the `model_weights` group. */
async function fromH5(bytes: Uint8Array, label: string): Promise<Model> {
  const { config, file } = await readH5(bytes, label, (f: H5Reader) => {
    const config = f.attr("", "model_config");
    if (typeof config !== "string") {
      const hint = f.attr("", "layer_names") !== undefined || f.keys("layers") !== null
        ? ": it holds weights only (save_weights); build the model, then loadWeightsH5"
        : "";
      throw new RangeError(`${label} has no model_config attribute, so it is not a Keras model file${hint}`);
    }
    return { config, file: f.keys("model_weights") === null ? [] : readLegacyWeights(f, "model_weights") };
  });
  const model = modelFromConfig(parseConfig(config, `${label}: model_config`));
  assignPairs(label, pairByName(label, model.layers, file));
  return model;
}

/** The files of a zip archive by name; a RangeError when it is not one. */
function unzip(bytes: Uint8Array, label: string): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes);
  } catch (e) {
    throw new RangeError(`${label} is not a readable zip archive (truncated or corrupt?): ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** The layers of a config with weights in a Keras v3 file, and their group paths (class names, numbered). */
function keras3Entries(cfg: ModelConfig, model: Model): KerasV3Entry[] {
  const listed = cfg.config.layers.filter((c) => cfg.class_name !== "Sequential" || c.class_name !== "InputLayer");
  const paths = kerasV3Paths(listed.map((c: LayerConfig) => c.class_name));
  const weighted = new Set(model.layers.filter((l) => l.weights.length > 0).map((l) => l.name));
  return listed.map((c, i) => ({ name: (c.config?.name ?? c.name) as string, path: paths[i] }))
    .filter((e) => weighted.has(e.name));
}

/** A `.keras` archive: config.json and model.weights.h5. */
async function fromArchive(bytes: Uint8Array, label: string): Promise<Model> {
  const files = unzip(bytes, label);
  for (const name of ["config.json", "model.weights.h5"]) {
    if (!files[name]) throw new RangeError(`${label} has no ${name}, so it is not a .keras archive`);
  }
  const cfg = parseConfig(new TextDecoder().decode(files["config.json"]), `${label}: config.json`);
  const model = modelFromConfig(cfg);
  const weightsLabel = `${label}: model.weights.h5`;
  const file = await readH5(files["model.weights.h5"], weightsLabel, (f) => {
    return readKerasV3Weights(f, keras3Entries(cfg, model));
  });
  assignPairs(weightsLabel, pairByName(weightsLabel, model.layers, file));
  return model;
}

/**
 * A Keras model file (a path or its bytes) as an onebit model with the
 * file's weights: a `.keras` archive (tf-keras 2.16 with larq's layers, or
 * Keras 3) or a legacy full-model `.h5`, told apart by content.
 *
 * @example
 * ```ts
 * import { loadKerasModel } from "./load.ts";
 * const model = await loadKerasModel("tests/fixtures/keras_files/two_inputs.keras");
 * console.log(model.inputs.length, model.outputs.length); // 2 2
 * ```
 */
export async function loadKerasModel(source: string | Uint8Array): Promise<Model> {
  const [bytes, label] = await readSource(source, "Keras model");
  if (isZip(bytes)) return await fromArchive(bytes, label);
  if (isHdf5(bytes)) return await fromH5(bytes, label);
  throw new RangeError(`${label} is neither a .keras archive (zip) nor an .h5 model (HDF5)`);
}
