/**
 * The layer registry: Keras class names (and aliases) → onebit layer
 * classes, read from the classes exported by `layers/all.ts`, and layers to
 * and from Keras's `{ class_name, config }`.
 * @module
 */
import * as all from "./all.ts";
import { type Config, kerasClassName, Layer, type LayerClass } from "./layer.ts";

/** A layer as Keras serialises it. */
export interface LayerConfig {
  /** Keras's class name (`QuantConv2D`, `BatchNormalization`, …). */
  class_name: string;
  /** The layer's constructor arguments, snake_case (its `getConfig()`). */
  config: Config;
  /** The layer's name (functional models write it beside the config). */
  name?: string;
  /** Functional models: per call, the [layer, node index, tensor index, kwargs] it reads. */
  inbound_nodes?: unknown[][];
  /** Where Keras 3 finds the class (`keras.layers`); ignored when reading. */
  module?: string;
  /** The class's name in Keras 3's registry of custom objects (null: a built-in class); ignored when reading. */
  registered_name?: string | null;
}

function isLayerClass(v: unknown): v is LayerClass {
  return typeof v === "function" && v.prototype instanceof Layer &&
    (v as unknown as LayerClass).fromConfig !== Layer.fromConfig;
}

const BY_NAME = new Map<string, LayerClass>();
for (const cls of (Object.values(all) as unknown[]).filter(isLayerClass)) {
  for (const name of [kerasClassName(cls), ...(Object.hasOwn(cls, "aliases") ? cls.aliases ?? [] : [])]) {
    if (BY_NAME.has(name)) throw new Error(`two layer classes claim the Keras name ${name}`);
    BY_NAME.set(name, cls);
  }
}

/** The registered layer classes (each once). */
export function layerClasses(): LayerClass[] {
  return [...new Set(BY_NAME.values())];
}

/** The Keras class names (and aliases) onebit reads. */
export function layerNames(): string[] {
  return [...BY_NAME.keys()];
}

/** The class registered under a Keras class name; a RangeError names the supported ones. */
export function layerClass(name: string, layer?: string): LayerClass {
  const cls = BY_NAME.get(name);
  if (!cls) {
    const which = layer === undefined ? "" : ` ("${layer}")`;
    throw new RangeError(
      `layer class ${name}${which} is not supported; onebit reads ${layerNames().join(", ")}`,
    );
  }
  return cls;
}

/** A layer as `{ class_name, config }` (its config plus `trainable`). */
export function serializeLayer(layer: Layer): LayerConfig {
  return {
    class_name: kerasClassName(layer.constructor as unknown as LayerClass),
    config: { ...layer.getConfig(), trainable: layer.trainable },
  };
}

/**
 * A layer from `{ class_name, config }` (Keras's or onebit's).
 *
 * @example
 * ```ts
 * import { deserializeLayer, serializeLayer } from "./registry.ts";
 * const layer = deserializeLayer({ class_name: "QuantDense", config: { name: "qd", units: 4, kernel_quantizer: "ste_sign", kernel_constraint: "weight_clip" } });
 * console.log(serializeLayer(layer).config.kernel_quantizer); // { class_name: "SteSign", config: { clip_value: 1 } }
 * ```
 */
export function deserializeLayer(c: LayerConfig): Layer {
  if (c === null || typeof c !== "object" || typeof c.class_name !== "string") {
    throw new TypeError(`a layer config is { class_name, config }, got ${JSON.stringify(c)?.slice(0, 80)}`);
  }
  const cls = layerClass(c.class_name, c.config?.name as string | undefined);
  const layer = cls.fromConfig(c.config ?? {});
  if (c.config?.trainable === false) layer.trainable = false;
  return layer;
}
