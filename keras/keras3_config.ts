/**
 * Keras 3's model configs in the form onebit reads (Keras 2's `to_json()`).
 *
 * Keras 3 writes each call of a layer as `{ args, kwargs }` with the input
 * tensors as `__keras_tensor__` objects carrying their `keras_history`
 * (layer, node, tensor), where Keras 2 writes a list of
 * `[layer, node, tensor, kwargs]`; and a model with one input or output may
 * write `input_layers` / `output_layers` as one triple instead of a list of
 * them. Everything else onebit reads is the same (`module`,
 * `registered_name` and `build_config` are ignored; dtype policies too:
 * onebit computes in float32).
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
