/**
 * Checkpoints: one safetensors file with the model's Keras JSON config and
 * the optimizer's config and step counts in its metadata, and as tensors
 * every weight (by variable name, e.g. `quant_conv2d/kernel`) and every
 * optimizer slot (`optimizer/<path>/<slot>/<variable>`). Written atomically;
 * loading rebuilds the model and the optimizer so training continues
 * exactly where it stopped.
 *
 * The same reader takes weights exported from larq/Keras (names such as
 * `quant_conv2d/kernel:0`): {@link loadWeights}.
 * @module
 */
import type { Tensor } from "../graph/tensor.ts";
import type { Weight } from "../layers/layer.ts";
import { writeFileAtomic } from "../_fs.ts";
import type { Optimizer, OptimizerState } from "../train/optimizers.ts";
import { encodeSafetensors } from "../train/safetensors.ts";
import type { ModelConfig } from "./model.ts";

/** What a checkpoint needs of a model: its weights and its Keras config. */
export interface Checkpointable {
  /** The weights to save, by variable name. */
  readonly weights: readonly Weight[];
  /** The Keras `to_json()` config saved beside them. */
  toConfig(): ModelConfig;
}

/** The `format` metadata of a onebit checkpoint. */
export const CHECKPOINT_FORMAT = "onebit-checkpoint-1";

/** Keras names weights `layer/kernel:0`; onebit `layer/kernel`. */
function baseName(name: string): string {
  return name.replace(/:\d+$/, "");
}

/**
 * Assigns weights by variable name (Keras's `:0` suffixes accepted). Every
 * model weight must be present with its shape; extra tensors are an error
 * unless `allowExtra` (an optimizer's slots, say).
 */
export function loadWeights(
  model: { readonly weights: readonly Weight[] },
  tensors: ReadonlyMap<string, Tensor>,
  options: { allowExtra?: boolean } = {},
): void {
  const byName = new Map<string, Tensor>();
  for (const [name, t] of tensors) byName.set(baseName(name), t);
  const used = new Set<string>();
  for (const { variable } of model.weights) {
    const t = byName.get(variable.name);
    if (!t) {
      throw new RangeError(
        `no weight "${variable.name}" in the file; it has ${[...byName.keys()].slice(0, 8).join(", ")}…`,
      );
    }
    if (t.shape.join() !== variable.shape.join()) {
      throw new RangeError(`weight "${variable.name}" is [${t.shape}] in the file, the model's is [${variable.shape}]`);
    }
    variable.assign(Float32Array.from(t.data));
    used.add(variable.name);
  }
  if (!options.allowExtra) {
    const extra = [...byName.keys()].filter((n) => !used.has(n));
    if (extra.length) throw new RangeError(`the file has weights the model does not: ${extra.slice(0, 8).join(", ")}`);
  }
}

/** The optimizer state as tensors (`optimizer/<path>/<slot>/<variable>`) and step counts by path. */
function flattenState(
  state: OptimizerState,
  path: string,
  tensors: Record<string, Tensor>,
  steps: Record<string, number>,
) {
  steps[path] = state.step;
  for (const [slot, map] of Object.entries(state.slots)) {
    for (const [v, t] of map) tensors[`optimizer/${path}/${slot}/${v.name}`] = t;
  }
  state.children?.forEach((c, i) => flattenState(c, `${path}.${i}`, tensors, steps));
}

/**
 * Writes a checkpoint of `model` (and `optimizer`) to `path`, atomically.
 *
 * @example
 * ```ts
 * import { saveCheckpoint } from "./checkpoint.ts";
 * import { loadCheckpoint } from "./load.ts";
 * import { Sequential } from "./sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * import { Adam } from "../train/optimizers.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const model = new Sequential([new Dense(2, { name: "d" })], { inputShape: [3], seed: 1 });
 * model.apply(Tensor.zeros([1, 3]));
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveCheckpoint(path, model, { optimizer: new Adam() });
 * const { model: again, optimizer } = await loadCheckpoint(path);
 * console.log(again.weights.length, optimizer?.name); // 2 Adam
 * await Deno.remove(path);
 * ```
 */
export async function saveCheckpoint(
  path: string,
  model: Checkpointable,
  options: { optimizer?: Optimizer; metadata?: Record<string, string> } = {},
): Promise<void> {
  const { tensors, metadata } = checkpointTensors(model, options);
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** What a checkpoint file holds: tensors by name and the metadata strings (for writers other than saveCheckpoint). */
export function checkpointTensors(
  model: Checkpointable,
  options: { optimizer?: Optimizer; metadata?: Record<string, string> } = {},
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const tensors: Record<string, Tensor> = {};
  for (const { variable } of model.weights) {
    if (tensors[variable.name]) {
      throw new RangeError(`two weights are named "${variable.name}"; layer names must be unique`);
    }
    tensors[variable.name] = variable;
  }
  const metadata: Record<string, string> = {
    ...options.metadata,
    format: CHECKPOINT_FORMAT,
    model: JSON.stringify(model.toConfig()),
  };
  if (options.optimizer) {
    const steps: Record<string, number> = {};
    flattenState(options.optimizer.getState(), "0", tensors, steps);
    metadata.optimizer = JSON.stringify({ config: options.optimizer.getConfig(), steps });
  }
  return { tensors, metadata };
}
