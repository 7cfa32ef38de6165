/**
 * A model's config as tf-keras reads it back. `model.toConfig()` is
 * Keras's JSON form, with two habits Keras's own reader rejects: onebit's
 * float kernel layers share larq's quantized base, so their configs carry
 * larq's keys (`input_quantizer: null`, `pad_values: 0`, …), which Keras's
 * `Dense` or `Conv2D` refuse; and `x + y` (a TFOpLambda) is written as a
 * call on two tensors, where Keras writes one tensor with the other as the
 * keyword `y`. Both are rewritten here.
 * @module
 */
import type { LayerConfig } from "../layers/registry.ts";
import type { Model, ModelConfig } from "../models/model.ts";

/** Config keys of larq's quantized layers that Keras's float layers do not take. */
const LARQ_ONLY = ["input_quantizer", "kernel_quantizer", "depthwise_quantizer", "pointwise_quantizer", "pad_values"];

/** A float layer's config without larq's keys (which must hold their neutral values). */
function withoutLarqKeys(c: LayerConfig): LayerConfig {
  if (c.class_name.startsWith("Quant")) return c;
  const config = { ...c.config };
  for (const key of LARQ_ONLY) {
    const v = config[key];
    if (v !== undefined && v !== null && v !== 0) {
      throw new RangeError(
        `layer "${config.name}" (${c.class_name}) has ${key} ${JSON.stringify(v)}, which Keras's ${c.class_name} ` +
          `cannot hold; use larq's Quant${c.class_name}`,
      );
    }
    delete config[key];
  }
  return { ...c, config };
}

/** A TFOpLambda call `x + y` as Keras writes it: x's reference with y in its keyword arguments. */
function operatorCalls(c: LayerConfig): LayerConfig {
  if (c.class_name !== "TFOpLambda" || !c.inbound_nodes) return c;
  const nodes = (c.inbound_nodes as unknown[][][]).map((refs) => {
    if (refs.length !== 2) return refs;
    const [x, y] = refs;
    return [...x.slice(0, 3), { y: y.slice(0, 3), name: null }];
  });
  return { ...c, inbound_nodes: nodes };
}

/**
 * The model's config in the form tf-keras's `model_from_json` and
 * `load_model` read (with larq's custom objects for larq's layers).
 *
 * @example
 * ```ts
 * import { kerasModelConfig } from "./export_config.ts";
 * import { Sequential } from "../models/sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * const config = kerasModelConfig(new Sequential([new Dense(2, { name: "d" })], { inputShape: [3] }));
 * console.log("input_quantizer" in config.config.layers[1].config); // false
 * ```
 */
export function kerasModelConfig(model: Model): ModelConfig {
  const cfg = model.toConfig();
  return { ...cfg, config: { ...cfg.config, layers: cfg.config.layers.map((c) => operatorCalls(withoutLarqKeys(c))) } };
}
