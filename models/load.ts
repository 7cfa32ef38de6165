/**
 * Loading checkpoints (Keras's `load_model`): the model rebuilt from its
 * config with its weights, and the optimizer with its state, so training
 * continues exactly where it stopped.
 * @module
 */
import type { Tensor, Variable } from "../graph/tensor.ts";
import { type OptimizerConfig, optimizerFromConfig, type OptimizerState } from "../train/optimizers.ts";
import type { Optimizer } from "../train/optimizers.ts";
import { decodeSafetensors } from "../train/safetensors.ts";
import { CHECKPOINT_FORMAT, loadWeights } from "./checkpoint.ts";
import type { Model, ModelConfig } from "./model.ts";
import { modelFromConfig } from "./serialize.ts";

function restoreState(
  live: OptimizerState,
  path: string,
  tensors: ReadonlyMap<string, Tensor>,
  steps: Record<string, number>,
  variables: ReadonlyMap<string, Variable>,
): OptimizerState {
  const slots: OptimizerState["slots"] = {};
  for (const slot of Object.keys(live.slots)) {
    const map = new Map<Variable, Tensor>();
    const prefix = `optimizer/${path}/${slot}/`;
    for (const [name, t] of tensors) {
      if (!name.startsWith(prefix)) continue;
      const v = variables.get(name.slice(prefix.length));
      if (!v) throw new RangeError(`optimizer slot ${name} names no variable of the model`);
      map.set(v, t);
    }
    slots[slot] = map;
  }
  return {
    step: steps[path] ?? 0,
    slots,
    children: live.children?.map((c, i) => restoreState(c, `${path}.${i}`, tensors, steps, variables)),
  };
}

/** A JSON object in the checkpoint's metadata; a RangeError naming the file and the key when it is not one. */
function metadataJson(path: string, metadata: Record<string, string>, key: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(metadata[key]);
  } catch (e) {
    throw new RangeError(`${path}: metadata "${key}" is not JSON (${(e as Error).message})`, { cause: e });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new RangeError(`${path}: metadata "${key}" is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Reads a checkpoint written by {@link saveCheckpoint}: the model (weights loaded) and the optimizer (state restored). */
export async function loadCheckpoint(path: string): Promise<{
  model: Model;
  optimizer: Optimizer | null;
  metadata: Record<string, string>;
}> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path));
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new RangeError(
      `${path} is not a onebit checkpoint (format ${metadata.format ?? "missing"}); use loadWeights for weights only`,
    );
  }
  const model = modelFromConfig(metadataJson(path, metadata, "model") as unknown as ModelConfig);
  loadWeights(model, tensors, { allowExtra: true });
  let optimizer: Optimizer | null = null;
  if (metadata.optimizer) {
    const { config, steps } = metadataJson(path, metadata, "optimizer") as {
      config: OptimizerConfig;
      steps: Record<string, number>;
    };
    optimizer = optimizerFromConfig(config);
    const variables = new Map(model.weights.map((w) => [w.variable.name, w.variable]));
    optimizer.setState(restoreState(optimizer.getState(), "0", tensors, steps, variables));
  }
  return { model, optimizer, metadata };
}

/**
 * The model of a checkpoint written by `model.save` (Keras's
 * `load_model`); its optimizer, when saved, is on the result of
 * {@link loadCheckpoint}. A `.keras`/`.h5` path is a RangeError pointing to
 * `loadKerasModel`; a file that is not a onebit checkpoint, a RangeError
 * naming its format.
 *
 * @example
 * ```ts
 * import { loadModel } from "./load.ts";
 * import { Sequential } from "./sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const m = new Sequential([new Dense(2)], { inputShape: [3], seed: 1 });
 * const dir = await Deno.makeTempDir();
 * await m.save(`${dir}/model.safetensors`);
 * const back = await loadModel(`${dir}/model.safetensors`);
 * await Deno.remove(dir, { recursive: true });
 * const x = Tensor.fill([1, 3], 1);
 * console.log(back.apply(x).toArray(), m.apply(x).toArray()); // the same values
 * ```
 */
export async function loadModel(path: string): Promise<Model> {
  if (/\.(keras|h5|hdf5)$/i.test(path)) {
    throw new RangeError(
      `${path}: loadModel reads onebit checkpoints (.safetensors); for a Keras file use loadKerasModel`,
    );
  }
  return (await loadCheckpoint(path)).model;
}
