/**
 * Keras 3's model configs to and from Keras 2's form (`to_json()`, what
 * onebit reads and writes).
 *
 * Reading ({@link toKeras2Config}):
 * Keras 3 writes each call of a layer as `{ args, kwargs }` with the input
 * tensors as `__keras_tensor__` objects carrying their `keras_history`
 * (layer, node, tensor), where Keras 2 writes a list of
 * `[layer, node, tensor, kwargs]`; and a model with one input or output may
 * write `input_layers` / `output_layers` as one triple instead of a list of
 * them. Everything else onebit reads is the same (`module`,
 * `registered_name` and `build_config` are ignored; dtype policies too:
 * onebit computes in float32).
 *
 * Writing ({@link toKeras3Config}): Keras 3 reads Keras 2's calls, but finds
 * a functional model's class by Keras 3's path, has no `x + y` layer
 * (TFOpLambda: Keras's Add computes the same), no LocallyConnected layers,
 * no larq-zoo activations — and no larq, which does not run on Keras 3;
 * its RandomCrop does not crop at inference.
 * @module
 */
import type { LayerConfig } from "../layers/registry.ts";
import type { ModelConfig } from "../models/model.ts";

/** A Keras 3 call: positional and keyword arguments. */
interface Keras3Call {
  args: unknown[];
  kwargs?: Record<string, unknown>;
}

type Ref = [string, number, number, Record<string, never>];

function isKerasTensor(v: unknown): v is { config: { keras_history: [string, number, number] } } {
  return typeof v === "object" && v !== null && (v as { class_name?: unknown }).class_name === "__keras_tensor__";
}

/** Every Keras tensor in a call's value (nested lists and dicts included), in order. */
function tensorsIn(v: unknown): [string, number, number][] {
  if (isKerasTensor(v)) return [v.config.keras_history];
  if (Array.isArray(v)) return v.flatMap(tensorsIn);
  if (typeof v === "object" && v !== null) return Object.values(v).flatMap(tensorsIn);
  return [];
}

/** One Keras 3 call as Keras 2's list of references: the tensors of its first argument. */
function callRefs(layer: string, call: Keras3Call): Ref[] {
  const [first, ...rest] = call.args ?? [];
  const more = [...rest, ...Object.values(call.kwargs ?? {})].flatMap(tensorsIn);
  if (more.length > 0) {
    throw new RangeError(
      `layer "${layer}" is called with tensors beyond its first argument (${
        more.map((h) => h[0]).join(", ")
      }); onebit reads calls on one tensor or on a list of tensors`,
    );
  }
  const refs = tensorsIn(first);
  if (refs.length === 0) throw new RangeError(`layer "${layer}" is called on no tensor`);
  return refs.map(([l, n, t]) => [l, n, t, {}]);
}

/** A layer's config with Keras 3 calls rewritten in Keras 2's form (Keras 2 configs unchanged). */
function layerToKeras2(c: LayerConfig): LayerConfig {
  const nodes = c.inbound_nodes as unknown[] | undefined;
  if (!Array.isArray(nodes) || nodes.every(Array.isArray)) return c;
  const name = (c.name ?? c.config?.name) as string;
  return { ...c, inbound_nodes: nodes.map((n) => (Array.isArray(n) ? n : callRefs(name, n as Keras3Call))) };
}

/** `input_layers` / `output_layers` as a list of triples (Keras 3 writes one triple alone). */
function refList(v: unknown[] | undefined): unknown[] | undefined {
  return Array.isArray(v) && typeof v[0] === "string" ? [v] : v;
}

/**
 * A model config in Keras 2's form: Keras 3's calls and single input /
 * output references rewritten; a Keras 2 config comes back unchanged.
 *
 * @example
 * ```ts
 * import { toKeras2Config } from "./keras3_config.ts";
 * const keras3 = JSON.parse(`{"class_name": "Functional", "config": {"layers": [
 *   {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_shape": [null, 3]}, "inbound_nodes": []},
 *   {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2}, "inbound_nodes": [{"args": [
 *     {"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}}], "kwargs": {}}]}],
 *   "input_layers": ["x", 0, 0], "output_layers": ["d", 0, 0]}}`);
 * const keras2 = toKeras2Config(keras3);
 * console.log(JSON.stringify(keras2.config.layers[1].inbound_nodes)); // [[["x",0,0,{}]]]
 * console.log(JSON.stringify(keras2.config.input_layers)); // [["x",0,0]]
 * ```
 */
export function toKeras2Config(cfg: ModelConfig): ModelConfig {
  if (!cfg || typeof cfg !== "object" || !cfg.config || !Array.isArray(cfg.config.layers)) return cfg;
  return {
    ...cfg,
    config: {
      ...cfg.config,
      layers: cfg.config.layers.map(layerToKeras2),
      input_layers: refList(cfg.config.input_layers),
      output_layers: refList(cfg.config.output_layers),
    },
  };
}

/** The Keras version whose file form `{ keras3: true }` follows (checked live against it by `deno task test:interop`). */
export const KERAS3_VERSION = "3.15.1";

/**
 * The layer classes Keras 3 has among those onebit writes
 * (tests/fixtures/keras/layer_keys.json lists them from Keras 3 itself).
 */
const KERAS3_LAYERS = new Set([
  "InputLayer",
  "Dense",
  "Conv1D",
  "Conv2D",
  "Conv3D",
  "Conv2DTranspose",
  "Conv3DTranspose",
  "DepthwiseConv2D",
  "SeparableConv1D",
  "SeparableConv2D",
  "BatchNormalization",
  "MaxPooling2D",
  "AveragePooling2D",
  "GlobalAveragePooling2D",
  "Activation",
  "Flatten",
  "Reshape",
  "Dropout",
  "ReLU",
  "ZeroPadding2D",
  "Add",
  "Concatenate",
  "Multiply",
  "Rescaling",
  "RandomFlip",
  "RandomTranslation",
  "RandomZoom",
  "RandomCrop",
  "PReLU",
  "Softmax",
  "Identity",
]);

/** Classes Keras 3 has but computes otherwise at inference, with the reason (checked live by `deno task test:interop`). */
const KERAS3_DIFFERS: Record<string, string> = {
  RandomCrop: "Keras 3's RandomCrop returns its input uncropped at inference, where tf-keras and onebit center-crop",
};

/** The activations Keras 3 knows among onebit's (`leaky_tanh` is larq's, `clip_by_value_activation` larq-zoo's). */
const KERAS3_ACTIVATIONS = new Set(["linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "hard_tanh"]);

/** Where Keras 3 finds the model classes (the top of its config.json). */
const KERAS3_MODEL: Record<string, { module: string; registered_name: string | null }> = {
  Sequential: { module: "keras", registered_name: null },
  Functional: { module: "keras.src.models.functional", registered_name: "Functional" },
};

/** One layer as Keras 3 reads it: `x + y` as Add, every class in `keras.layers`; what Keras 3 lacks refused. */
function layerToKeras3(c: LayerConfig): LayerConfig {
  const name = (c.name ?? c.config?.name) as string;
  const cls = c.class_name === "TFOpLambda" ? "Add" : c.class_name;
  if (!KERAS3_LAYERS.has(cls)) {
    const why = cls.startsWith("Quant") ? "larq's layers run on tf-keras 2 only" : "Keras 3 has no such layer";
    throw new RangeError(
      `layer "${name}" (${cls}) cannot be written for Keras 3: ${why}; save without keras3 for tf-keras and larq`,
    );
  }
  if (KERAS3_DIFFERS[cls]) {
    throw new RangeError(`layer "${name}" (${cls}) cannot be written for Keras 3: ${KERAS3_DIFFERS[cls]}`);
  }
  const act = c.config?.activation;
  if (typeof act === "string" && !KERAS3_ACTIVATIONS.has(act)) {
    throw new RangeError(
      `layer "${name}" (${cls}) has activation ${act}, which Keras 3 does not know; ` +
        `Keras 3 knows ${[...KERAS3_ACTIVATIONS].join(", ")}`,
    );
  }
  const keras3: LayerConfig = { module: "keras.layers", ...c, class_name: cls, registered_name: null };
  return cls === c.class_name ? keras3 : { ...keras3, ...addOf(c) };
}

/**
 * A TFOpLambda `x + y` as Keras's Add: its config's name, and each call
 * `[x, node, tensor, { y }]` on the list [x, y] (a call already on a list,
 * as older onebit checkpoints write it, stays).
 */
function addOf(c: LayerConfig): Pick<LayerConfig, "config" | "inbound_nodes"> {
  const onList = (call: unknown[]) => {
    if (typeof call[0] !== "string") return call;
    const [layer, node, tensor, { y }] = call as [string, number, number, { y: unknown[] }];
    return [[layer, node, tensor, {}], [...y.slice(0, 3), {}]];
  };
  return {
    config: { name: c.config.name, trainable: c.config.trainable },
    inbound_nodes: (c.inbound_nodes ?? []).map(onList),
  };
}

/**
 * A Keras 2 model config (onebit's `model.toConfig()`) as Keras 3's
 * `load_model` reads it: Keras 3's class paths, `x + y` as Keras's Add, a
 * single input or output as its triple alone.
 * A layer or activation Keras 3 lacks (larq's layers among them) is a
 * RangeError naming the layer.
 *
 * @example
 * ```ts
 * import { toKeras3Config } from "./keras3_config.ts";
 * import { Sequential } from "../models/sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * const config = toKeras3Config(new Sequential([new Dense(2, { name: "d" })], { inputShape: [3] }).toConfig());
 * console.log(config.module, config.config.layers[1].module); // keras keras.layers
 * ```
 */
export function toKeras3Config(cfg: ModelConfig): ModelConfig & { module: string } {
  const where = KERAS3_MODEL[cfg.class_name];
  if (!where) throw new RangeError(`model class ${cfg.class_name} cannot be written for Keras 3`);
  const { input_layers, output_layers } = cfg.config;
  const config = { ...cfg.config, layers: cfg.config.layers.map(layerToKeras3) };
  if (input_layers) config.input_layers = single(input_layers);
  if (output_layers) config.output_layers = single(output_layers);
  return { ...where, ...cfg, config };
}

/** One input or output as Keras 3 writes it: the triple alone (a list of one makes Keras 3 expect a list). */
function single(refs: unknown[]): unknown[] {
  return refs.length === 1 ? refs[0] as unknown[] : refs;
}
