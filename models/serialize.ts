/**
 * Model configs in Keras's JSON format (`model.to_json()`): onebit writes
 * it for checkpoints (`model.toConfig()`), and reads it back — also from
 * larq/Keras, so a larq model's JSON (with its weights) becomes a onebit
 * model. Sequential and functional models; layers through the registry.
 * @module
 */
import { Tensor } from "../graph/tensor.ts";
import { deserializeLayer, type LayerConfig } from "../layers/registry.ts";
import { OperatorAdd } from "../layers/merge.ts";
import { input, type SymbolicTensor } from "../layers/symbolic.ts";
import { Model, type ModelConfig } from "./model.ts";
import { Sequential } from "./sequential.ts";

export type { ModelConfig };

/**
 * A model's config in Keras's JSON format (the same as `model.toConfig()`).
 *
 * @example
 * ```ts
 * import { modelFromConfig, modelToConfig } from "./serialize.ts";
 * import { Sequential } from "./sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * const m = new Sequential([new Dense(3, { name: "d" })], { inputShape: [4] });
 * const again = modelFromConfig(modelToConfig(m)) as Sequential;
 * console.log(again.layers[0].name, again.inputShape); // d [ 4 ]
 * ```
 */
export function modelToConfig(model: Model): ModelConfig {
  return model.toConfig();
}

/** The InputLayer's fixed batch size, or null. */
function batchOf(c: LayerConfig): number | null {
  const shape = (c.config.batch_input_shape ?? c.config.batch_shape) as (number | null)[] | undefined;
  return typeof shape?.[0] === "number" ? shape[0] : null;
}

function inputShapeOf(c: LayerConfig): number[] {
  const shape = (c.config.batch_input_shape ?? c.config.batch_shape) as (number | null)[] | undefined;
  if (!Array.isArray(shape) || shape.slice(1).some((d) => typeof d !== "number" || d < 1)) {
    throw new RangeError(
      `InputLayer "${c.config.name}" needs a static batch_input_shape, got ${JSON.stringify(shape)}`,
    );
  }
  return shape.slice(1) as number[];
}

function sequentialFromConfig(cfg: ModelConfig): Sequential {
  const layers = cfg.config.layers;
  const first = layers[0]?.class_name === "InputLayer" ? layers[0] : null;
  const rest = first ? layers.slice(1) : layers;
  const shape = first ? inputShapeOf(first) : (rest[0]?.config.batch_input_shape as number[] | undefined)?.slice(1);
  const batchSize = first ? batchOf(first) : null;
  const model = new Sequential(rest.map(deserializeLayer), {
    ...(shape ? { inputShape: shape } : {}),
    batchSize,
    name: cfg.config.name,
  });
  if (shape) model.apply(Tensor.zeros([1, ...shape])); // builds the layers
  return model;
}

/**
 * Keras 2 writes a call as a list of [layer, node, tensor, kwargs]; TFOpLambda
 * as the single ref itself, y in its kwargs (older onebit checkpoints wrote
 * it as a list of two refs, which reads the same).
 */
function callArgs(
  name: string,
  call: unknown,
  tensors: Map<string, SymbolicTensor>,
  operator: boolean,
): SymbolicTensor[] {
  if (!Array.isArray(call)) throw new RangeError(`layer "${name}": a call ${JSON.stringify(call)} is not a list`);
  const refs = (typeof call[0] === "string" ? [call] : call) as unknown[][];
  const find = (r: unknown) => {
    const t = tensors.get(refKey(r, `layer "${name}"`));
    if (!t) {
      throw new RangeError(
        `layer "${name}" reads ${JSON.stringify((r as unknown[]).slice(0, 3))}, which is not defined before it`,
      );
    }
    return t;
  };
  const args = refs.map(find);
  // A TFOpLambda's second operand sits in kwargs.y.
  const kwargs = refs[0]?.[3] as { y?: unknown } | undefined;
  if (operator && args.length === 1 && Array.isArray(kwargs?.y)) args.push(find(kwargs!.y));
  return args;
}

function functionalFromConfig(cfg: ModelConfig): Model {
  const ins = cfg.config.input_layers ?? [], outs = cfg.config.output_layers ?? [];
  if (!Array.isArray(ins) || !Array.isArray(outs) || ins.length === 0 || outs.length === 0) {
    throw new RangeError("the config lists no input_layers or output_layers");
  }
  const tensors = new Map<string, SymbolicTensor>();
  for (const c of cfg.config.layers) {
    const name = (c.name ?? c.config.name) as string;
    if (c.class_name === "InputLayer") {
      tensors.set(`${name}:0:0`, input(inputShapeOf(c), { name, batchSize: batchOf(c) }));
      continue;
    }
    const layer = deserializeLayer(c);
    const calls = c.inbound_nodes ?? [];
    if (!Array.isArray(calls)) {
      throw new RangeError(`layer "${name}": inbound_nodes ${JSON.stringify(calls)} is not a list`);
    }
    calls.forEach((call, k) => {
      const args = callArgs(name, call, tensors, layer instanceof OperatorAdd);
      const outputs = layer.applyOutputs(args.length === 1 ? args[0] : args);
      outputs.forEach((t, i) => tensors.set(`${name}:${k}:${i}`, t));
    });
  }
  const find = (ref: unknown) => {
    const t = tensors.get(refKey(ref, "input_layers/output_layers"));
    if (!t) throw new RangeError(`the config's input or output ${JSON.stringify(ref)} is not defined by its layers`);
    return t;
  };
  return new Model(ins.map(find), outs.map(find), { name: cfg.config.name });
}

/** The key of a tensor reference `[layer, node, tensor, ...]`; a RangeError naming `where` when it is not one. */
function refKey(ref: unknown, where: string): string {
  if (!Array.isArray(ref) || typeof ref[0] !== "string" || !Number.isInteger(ref[1]) || !Number.isInteger(ref[2])) {
    throw new RangeError(`${where}: ${JSON.stringify(ref)} is not a tensor reference [layer, node, tensor]`);
  }
  return ref.slice(0, 3).join(":");
}

/** Every entry of `config.layers` is `{ class_name, config }` (else a TypeError naming it). */
function checkLayerEntries(layers: unknown[]): void {
  layers.forEach((c, i) => {
    const e = c as { class_name?: unknown; config?: unknown } | null;
    if (!e || typeof e !== "object" || typeof e.class_name !== "string" || !e.config || typeof e.config !== "object") {
      throw new TypeError(`config.layers[${i}] is ${JSON.stringify(c)?.slice(0, 60)}, not { class_name, config }`);
    }
  });
}

/** Config text as JSON; a RangeError (not a SyntaxError) when it is not. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RangeError(`the model config is not JSON (${(e as Error).message})`, { cause: e });
  }
}

/**
 * A model from its Keras JSON config (a string or the parsed object), as
 * `model.to_json()` writes it in larq/Keras 2 or `model.toConfig()` does.
 * The layers are built (weights initialised); load weights after.
 */
export function modelFromConfig(json: string | ModelConfig): Model {
  const cfg = (typeof json === "string" ? parseJson(json) : json) as ModelConfig;
  if (!cfg || typeof cfg !== "object" || !cfg.config || !Array.isArray(cfg.config.layers)) {
    throw new TypeError("a model config is { class_name, config: { layers: [...] } } (Keras's to_json())");
  }
  checkLayerEntries(cfg.config.layers);
  if (cfg.class_name === "Sequential") return sequentialFromConfig(cfg);
  if (cfg.class_name !== "Functional" && cfg.class_name !== "Model") {
    throw new RangeError(`model class ${cfg.class_name} is not supported; onebit reads Sequential and Functional`);
  }
  return functionalFromConfig(cfg);
}
