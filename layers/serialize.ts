/**
 * Model configs in Keras's JSON format (`model.to_json()`): onebit writes
 * it for checkpoints, and reads it back — also from larq/Keras, so a larq
 * model's JSON (with its weights) becomes a onebit model. Sequential and
 * functional models; the layers onebit has, under their Keras class names
 * (MaxPooling2D, TFOpLambda for `x + y`, InputLayer).
 * @module
 */
import { input, link, Model, type SymbolicTensor } from "../graph/functional.ts";
import { Sequential } from "../graph/sequential.ts";
import { Tensor } from "../graph/tensor.ts";
import { BatchNormalization } from "./batch_norm.ts";
import { QuantConv2D } from "./conv.ts";
import { Activation, type ActivationName, Dropout, Flatten, ReLU, Reshape, ZeroPadding2D } from "./core.ts";
import { QuantConv1D, QuantConv2DTranspose, QuantSeparableConv2D } from "./conv_variants.ts";
import { QuantDense } from "./dense.ts";
import { QuantDepthwiseConv2D } from "./depthwise.ts";
import { getConstraint, type Layer } from "./layer.ts";
import { Add, Concatenate, OperatorAdd } from "./merge.ts";
import { AveragePooling2D, GlobalAveragePooling2D, MaxPool2D } from "./pooling.ts";
import type { QuantizerConfig } from "../quantizers/quantizer.ts";

/** A layer as Keras serialises it. */
export interface LayerConfig {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
  /** Functional models: per call, the [layer, node index, tensor index, kwargs] it reads. */
  inbound_nodes?: unknown[][];
}

/** A model as Keras's `to_json()` writes it. */
export interface ModelConfig {
  class_name: "Sequential" | "Functional" | "Model";
  config: {
    name?: string;
    layers: LayerConfig[];
    input_layers?: unknown[];
    output_layers?: unknown[];
  };
}

type Cfg = Record<string, unknown>;
const pair = (v: unknown) => (Array.isArray(v) ? [Number(v[0]), Number(v[1])] as [number, number] : Number(v));
/** Keras writes 1-D sizes as one-element lists. */
const first = (
  v: unknown,
  d: number,
) => (Array.isArray(v) ? Number(v[0]) : v === undefined || v === null ? d : Number(v));
const quantizer = (v: unknown) => (v ?? null) as string | QuantizerConfig | null;
const activation = (v: unknown) => (v === "linear" || v === undefined ? null : v) as ActivationName | null;

function check(cls: string, c: Cfg): void {
  if (c.data_format !== undefined && c.data_format !== "channels_last") {
    throw new RangeError(`${cls} "${c.name}": data_format ${c.data_format} is not supported; onebit is NHWC`);
  }
  const axis = c.axis;
  if (cls === "BatchNormalization" && axis !== undefined && !(axis === -1 || axis === 3 || Array.isArray(axis))) {
    throw new RangeError(
      `BatchNormalization "${c.name}": axis ${JSON.stringify(axis)}; onebit normalises the last axis`,
    );
  }
}

/** The options every (quantized) conv and dense layer shares, from Keras's keys. */
function weighted(c: Cfg) {
  return {
    name: c.name as string,
    activation: activation(c.activation),
    useBias: c.use_bias !== false,
    inputQuantizer: quantizer(c.input_quantizer),
    kernelQuantizer: quantizer(c.kernel_quantizer),
    kernelConstraint: getConstraint(c.kernel_constraint),
  };
}

const FACTORIES: Record<string, (c: Cfg) => Layer> = {
  QuantConv2D: (c) =>
    new QuantConv2D(Number(c.filters), pair(c.kernel_size), {
      strides: pair(c.strides ?? 1),
      padding: (c.padding ?? "valid") as "same" | "valid",
      padValues: Number(c.pad_values ?? 0),
      dilationRate: pair(c.dilation_rate ?? 1),
      groups: Number(c.groups ?? 1),
      ...weighted(c),
    }),
  QuantDense: (c) =>
    new QuantDense(Number(c.units), {
      ...weighted(c),
    }),
  QuantDepthwiseConv2D: (c) =>
    new QuantDepthwiseConv2D(pair(c.kernel_size), {
      name: c.name as string,
      strides: pair(c.strides ?? 1),
      padding: (c.padding ?? "valid") as "same" | "valid",
      depthMultiplier: Number(c.depth_multiplier ?? 1),
      activation: activation(c.activation),
      useBias: c.use_bias !== false,
      inputQuantizer: quantizer(c.input_quantizer),
      depthwiseQuantizer: quantizer(c.depthwise_quantizer),
      depthwiseConstraint: getConstraint(c.depthwise_constraint),
      padValues: Number(c.pad_values ?? 0),
      trainable: c.trainable !== false,
    }),
  BatchNormalization: (c) =>
    new BatchNormalization({
      name: c.name as string,
      momentum: Number(c.momentum ?? 0.99),
      epsilon: Number(c.epsilon ?? 1e-3),
      center: c.center !== false,
      scale: c.scale !== false,
    }),
  MaxPooling2D: (c) =>
    new MaxPool2D(pair(c.pool_size ?? 2), {
      name: c.name as string,
      strides: c.strides == null ? undefined : pair(c.strides),
      padding: (c.padding ?? "valid") as "same" | "valid",
    }),
  AveragePooling2D: (c) =>
    new AveragePooling2D(pair(c.pool_size ?? 2), {
      name: c.name as string,
      strides: c.strides == null ? undefined : pair(c.strides),
      padding: (c.padding ?? "valid") as "same" | "valid",
    }),
  GlobalAveragePooling2D: (c) => {
    if (c.keepdims === true) throw new RangeError(`GlobalAveragePooling2D "${c.name}": keepdims is not supported`);
    return new GlobalAveragePooling2D({ name: c.name as string });
  },
  Activation: (c) => new Activation(c.activation as ActivationName, { name: c.name as string }),
  Flatten: (c) => new Flatten({ name: c.name as string }),
  Reshape: (c) => new Reshape((c.target_shape as number[]).map(Number), { name: c.name as string }),
  Dropout: (c) => new Dropout(Number(c.rate), { name: c.name as string }),
  Add: (c) => new Add({ name: c.name as string }),
  Concatenate: (c) => new Concatenate({ name: c.name as string, axis: Number(c.axis ?? -1) }),
  TFOpLambda: (c) => {
    if (c.function !== "__operators__.add") {
      throw new RangeError(`TFOpLambda "${c.name}" computes ${c.function}; onebit reads only x + y`);
    }
    return new OperatorAdd({ name: c.name as string });
  },
};
Object.assign(FACTORIES, {
  QuantConv1D: (c: Cfg) =>
    new QuantConv1D(Number(c.filters), first(c.kernel_size, 1), {
      strides: first(c.strides, 1),
      padding: (c.padding ?? "valid") as "same" | "valid",
      padValues: Number(c.pad_values ?? 0),
      dilationRate: first(c.dilation_rate, 1),
      groups: Number(c.groups ?? 1),
      ...weighted(c),
    }),
  QuantConv2DTranspose: (c: Cfg) =>
    new QuantConv2DTranspose(Number(c.filters), pair(c.kernel_size), {
      strides: pair(c.strides ?? 1),
      padding: (c.padding ?? "valid") as "same" | "valid",
      outputPadding: c.output_padding == null ? null : pair(c.output_padding),
      ...weighted(c),
    }),
  QuantSeparableConv2D: (c: Cfg) =>
    new QuantSeparableConv2D(Number(c.filters), pair(c.kernel_size), {
      name: c.name as string,
      strides: pair(c.strides ?? 1),
      padding: (c.padding ?? "valid") as "same" | "valid",
      padValues: Number(c.pad_values ?? 0),
      dilationRate: pair(c.dilation_rate ?? 1),
      depthMultiplier: Number(c.depth_multiplier ?? 1),
      activation: activation(c.activation),
      useBias: c.use_bias !== false,
      inputQuantizer: quantizer(c.input_quantizer),
      depthwiseQuantizer: quantizer(c.depthwise_quantizer),
      pointwiseQuantizer: quantizer(c.pointwise_quantizer),
      depthwiseConstraint: getConstraint(c.depthwise_constraint),
      pointwiseConstraint: getConstraint(c.pointwise_constraint),
    }),
  ZeroPadding2D: (c: Cfg) =>
    new ZeroPadding2D(c.padding as number | [number, number] | [[number, number], [number, number]], {
      name: c.name as string,
    }),
  ReLU: (c: Cfg) => {
    if (Number(c.threshold ?? 0) !== 0) throw new RangeError(`ReLU "${c.name}": threshold must be 0`);
    return new ReLU({
      name: c.name as string,
      maxValue: c.max_value == null ? null : Number(c.max_value),
      negativeSlope: Number(c.negative_slope ?? 0),
    });
  },
});
// Keras's plain layers are the quantized ones without quantizers.
FACTORIES.Conv1D = FACTORIES.QuantConv1D;
FACTORIES.Conv2DTranspose = FACTORIES.QuantConv2DTranspose;
FACTORIES.SeparableConv2D = FACTORIES.QuantSeparableConv2D;
FACTORIES.Conv2D = FACTORIES.QuantConv2D;
FACTORIES.Dense = FACTORIES.QuantDense;
FACTORIES.DepthwiseConv2D = FACTORIES.QuantDepthwiseConv2D;
FACTORIES.MaxPool2D = FACTORIES.MaxPooling2D;

/** Keras's class name of a onebit layer (MaxPool2D → MaxPooling2D, OperatorAdd → TFOpLambda). */
function kerasClass(layer: Layer): string {
  if (layer instanceof OperatorAdd) return "TFOpLambda";
  if (layer instanceof MaxPool2D) return "MaxPooling2D";
  return layer.constructor.name;
}

/** A layer as `{ class_name, config }`. */
export function serializeLayer(layer: Layer): LayerConfig {
  const config = { ...layer.getConfig(), trainable: layer.trainable };
  if (layer instanceof OperatorAdd) Object.assign(config, { function: "__operators__.add" });
  return { class_name: kerasClass(layer), config };
}

/** A layer from `{ class_name, config }` (Keras's or onebit's). */
export function deserializeLayer(c: LayerConfig): Layer {
  const make = FACTORIES[c.class_name];
  if (!make) {
    throw new RangeError(
      `layer class ${c.class_name} ("${c.config?.name}") is not supported; onebit reads ${
        Object.keys(FACTORIES).join(", ")
      }`,
    );
  }
  check(c.class_name, c.config);
  const layer = make(c.config);
  if (c.config.trainable === false) layer.trainable = false;
  return layer;
}

/**
 * A model's config in Keras's JSON format. A Sequential needs its input
 * shape (given at construction or here).
 *
 * @example
 * ```ts
 * import { modelToConfig, modelFromConfig } from "./serialize.ts";
 * import { Sequential } from "../graph/sequential.ts";
import { Tensor } from "../graph/tensor.ts";
 * import { Dense } from "./dense.ts";
 * const m = new Sequential([new Dense(3, { name: "d" })], { inputShape: [4] });
 * const again = modelFromConfig(modelToConfig(m)) as Sequential;
 * console.log(again.layers[0].name, again.inputShape); // d [ 4 ]
 * ```
 */
export function modelToConfig(
  model: Model | Sequential,
  options: { inputShape?: readonly number[] } = {},
): ModelConfig {
  if (model instanceof Sequential) {
    const shape = options.inputShape ?? model.inputShape;
    if (!shape) throw new RangeError("a Sequential model needs an input shape to be saved; pass inputShape");
    const inputLayer: LayerConfig = {
      class_name: "InputLayer",
      config: { batch_input_shape: [model.batchSize, ...shape], dtype: "float32", name: "input_1" },
    };
    return {
      class_name: "Sequential",
      config: { name: "sequential", layers: [inputLayer, ...model.layers.map(serializeLayer)] },
    };
  }
  // Functional: every call of a layer is a node; tensors are named by (layer, node index, 0).
  const calls = new Map<Layer, number>(), where = new Map<SymbolicTensor, [string, number, number]>();
  for (const t of model.inputs) where.set(t, [t.name, 0, 0]);
  const entries = new Map<Layer, LayerConfig>();
  for (const node of model.nodes) {
    const k = calls.get(node.layer) ?? 0;
    calls.set(node.layer, k + 1);
    let entry = entries.get(node.layer);
    if (!entry) {
      entry = { ...serializeLayer(node.layer), name: node.layer.name, inbound_nodes: [] };
      entries.set(node.layer, entry);
    }
    entry.inbound_nodes!.push(node.inputs.map((t) => [...where.get(t)!, {}]));
    where.set(node.output, [node.layer.name, k, 0]);
  }
  const inputLayers: LayerConfig[] = model.inputs.map((t) => ({
    class_name: "InputLayer",
    name: t.name,
    config: { batch_input_shape: [t.batchSize, ...t.shape], dtype: "float32", name: t.name },
    inbound_nodes: [],
  }));
  return {
    class_name: "Functional",
    config: {
      name: model.name,
      layers: [...inputLayers, ...entries.values()],
      input_layers: model.inputs.map((t) => [t.name, 0, 0]),
      output_layers: model.outputs.map((t) => where.get(t)!),
    },
  };
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

/**
 * A model from its Keras JSON config (a string or the parsed object), as
 * `model.to_json()` writes it in larq/Keras 2 or {@link modelToConfig}
 * does. The layers are built (weights initialised); load weights after.
 */
export function modelFromConfig(json: string | ModelConfig): Model | Sequential {
  const cfg = (typeof json === "string" ? JSON.parse(json) : json) as ModelConfig;
  if (!cfg || typeof cfg !== "object" || !cfg.config || !Array.isArray(cfg.config.layers)) {
    throw new TypeError("a model config is { class_name, config: { layers: [...] } } (Keras's to_json())");
  }
  const layers = cfg.config.layers;
  if (cfg.class_name === "Sequential") {
    const first = layers[0]?.class_name === "InputLayer" ? layers[0] : null;
    const rest = first ? layers.slice(1) : layers;
    const shape = first ? inputShapeOf(first) : (rest[0]?.config.batch_input_shape as number[] | undefined)?.slice(1);
    const batchSize = first ? batchOf(first) : null;
    const model = new Sequential(rest.map(deserializeLayer), shape ? { inputShape: shape, batchSize } : { batchSize });
    if (shape) model.apply(Tensor.zeros([1, ...shape])); // builds the layers
    return model;
  }
  if (cfg.class_name !== "Functional" && cfg.class_name !== "Model") {
    throw new RangeError(`model class ${cfg.class_name} is not supported; onebit reads Sequential and Functional`);
  }
  const ins = cfg.config.input_layers ?? [], outs = cfg.config.output_layers ?? [];
  if (ins.length === 0 || outs.length === 0) throw new RangeError("the config lists no input_layers or output_layers");
  const tensors = new Map<string, SymbolicTensor>();
  const key = (ref: unknown) => {
    const [layer, node, tensor] = ref as [string, number, number];
    return `${layer}:${node}:${tensor}`;
  };
  for (const c of layers) {
    const name = (c.name ?? c.config.name) as string;
    if (c.class_name === "InputLayer") {
      tensors.set(`${name}:0:0`, input(inputShapeOf(c), { name, batchSize: batchOf(c) }));
      continue;
    }
    const layer = deserializeLayer(c);
    (c.inbound_nodes ?? []).forEach((call, k) => {
      // Keras 2 writes a call as a list of [layer, node, tensor, kwargs]; a TFOpLambda's second operand sits in kwargs.y.
      // (TFOpLambda writes a call as the single ref itself, one list level less.)
      const refs = (typeof (call as unknown[])[0] === "string" ? [call] : call) as unknown[][];
      const args = refs.map((r) => {
        const t = tensors.get(key(r));
        if (!t) {
          throw new RangeError(
            `layer "${name}" reads ${JSON.stringify(r.slice(0, 3))}, which is not defined before it`,
          );
        }
        return t;
      });
      const kwargs = refs[0]?.[3] as { y?: unknown } | undefined;
      if (layer instanceof OperatorAdd && args.length === 1 && Array.isArray(kwargs?.y)) {
        const y = tensors.get(key(kwargs!.y));
        if (!y) {
          throw new RangeError(`layer "${name}" adds ${JSON.stringify(kwargs!.y)}, which is not defined before it`);
        }
        args.push(y);
      }
      tensors.set(`${name}:${k}:0`, link(layer, ...args));
    });
  }
  const find = (ref: unknown) => {
    const t = tensors.get(key(ref));
    if (!t) throw new RangeError(`the config's input or output ${JSON.stringify(ref)} is not defined by its layers`);
    return t;
  };
  return new Model(ins.map(find), outs.map(find), { name: cfg.config.name });
}
