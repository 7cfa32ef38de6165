/**
 * Keras 3 configs in Keras 2's form: calls on one tensor, on a list, with
 * non-tensor keyword arguments; single input/output triples; a Keras 2
 * config unchanged; tensors beyond the first argument refused by name.
 * And the HDF5 signature found where HDF5 looks for it. Written for Keras
 * 3: the classes and activations Keras 3 itself lists
 * (tests/fixtures/keras/layer_keys.json), x + y as its Add.
 */
import assert from "node:assert/strict";
import type { ModelConfig } from "../models/model.ts";
import { isHdf5 } from "./_h5.ts";
import type { ActivationName } from "../layers/core.ts";
import { layerNames } from "../layers/registry.ts";
import { KERAS3_VERSION, toKeras2Config, toKeras3Config } from "./keras3_config.ts";

const tensor = (layer: string) => ({ class_name: "__keras_tensor__", config: { keras_history: [layer, 0, 0] } });
const k3 = (calls: unknown[]) =>
  ({
    class_name: "Functional",
    config: {
      layers: [{ class_name: "Add", name: "add", config: { name: "add" }, inbound_nodes: calls }],
      input_layers: ["a", 0, 0],
      output_layers: [["add", 0, 0]],
    },
  }) as unknown as ModelConfig;

Deno.test("toKeras2Config: Keras 3 calls become Keras 2 references; Keras 2 configs are unchanged", () => {
  const list = toKeras2Config(k3([{ args: [[tensor("a"), tensor("b")]], kwargs: { training: false } }]));
  assert.deepEqual(list.config.layers[0].inbound_nodes, [[["a", 0, 0, {}], ["b", 0, 0, {}]]]);
  assert.deepEqual(list.config.input_layers, [["a", 0, 0]]);
  assert.deepEqual(list.config.output_layers, [["add", 0, 0]]);
  const twice = toKeras2Config(k3([{ args: [tensor("a")] }, { args: [tensor("b")], kwargs: {} }]));
  assert.deepEqual(twice.config.layers[0].inbound_nodes, [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]);
  const keras2 = k3([[["a", 0, 0, {}], ["b", 0, 0, {}]]]);
  keras2.config.input_layers = [["a", 0, 0]];
  assert.deepEqual(toKeras2Config(keras2), keras2);
});

Deno.test("toKeras2Config: tensors beyond the first argument, or no tensor, are refused naming the layer", () => {
  assert.throws(
    () => toKeras2Config(k3([{ args: [tensor("a")], kwargs: { mask: tensor("m") } }])),
    /layer "add" is called with tensors beyond its first argument \(m\); onebit reads calls on one tensor or on a list/,
  );
  assert.throws(() => toKeras2Config(k3([{ args: [tensor("a"), tensor("b")] }])), /beyond its first argument \(b\)/);
  assert.throws(() => toKeras2Config(k3([{ args: [3], kwargs: {} }])), /layer "add" is called on no tensor/);
});

Deno.test("isHdf5: the signature at 0 or after a user block of 512, 1024, … bytes; nothing else", () => {
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  const at = (offset: number, size = 4096) => {
    const b = new Uint8Array(size);
    b.set(signature, offset);
    return b;
  };
  assert.ok(isHdf5(at(0)));
  assert.ok(isHdf5(at(512)));
  assert.ok(isHdf5(at(2048)));
  assert.ok(!isHdf5(at(100)));
  assert.ok(!isHdf5(at(0).subarray(0, 7)));
  assert.ok(!isHdf5(new Uint8Array(0)));
});

/** Keras 3's own classes and activations (tools/py/keras_layer_keys.py, from Keras 3 itself). */
const KERAS3 = JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/keras/layer_keys.json", import.meta.url)),
).keras3 as { version: string; layers: Record<string, string[] | null>; activations: string[] };

/** A functional config of one layer of class `cls` (and config `config`). */
const oneLayer = (cls: string, config: Record<string, unknown> = {}) =>
  ({
    class_name: "Functional",
    config: { layers: [{ class_name: cls, name: "l", config: { name: "l", ...config }, inbound_nodes: [] }] },
  }) as unknown as ModelConfig;

Deno.test("toKeras3Config writes exactly the classes and activations Keras 3 has (x + y as its Add); the rest is refused", () => {
  const writes = (cls: string, config?: Record<string, unknown>) => {
    try {
      return toKeras3Config(oneLayer(cls, config)).config.layers[0].class_name;
    } catch (e) {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, /^layer "l" \(\w+\) (cannot be written for Keras 3|has activation)/);
      return null;
    }
  };
  assert.equal(writes("InputLayer"), "InputLayer");
  for (const name of layerNames()) {
    // RandomCrop: Keras 3 has it, but returns its input uncropped at inference (refused with that reason).
    const want = name === "TFOpLambda" ? "Add" : KERAS3.layers[name] && name !== "RandomCrop" ? name : null;
    assert.equal(writes(name), want, name);
  }
  const activations: ActivationName[] = [
    "linear",
    "relu",
    "relu6",
    "sigmoid",
    "tanh",
    "softmax",
    "hard_tanh",
    "leaky_tanh",
    "clip_by_value_activation",
  ];
  for (const a of activations) {
    assert.equal(writes("Dense", { activation: a }), KERAS3.activations.includes(a) ? "Dense" : null, a);
  }
  assert.equal(KERAS3_VERSION, KERAS3.version, "the Keras 3 the fixtures come from");
  assert.throws(
    () => toKeras3Config(oneLayer("QuantConv2D")),
    /layer "l" \(QuantConv2D\) cannot be written for Keras 3: larq's layers run on tf-keras 2 only; save without keras3/,
  );
  assert.throws(
    () => toKeras3Config({ ...oneLayer("Dense"), class_name: "Model" }),
    /model class Model cannot be written for Keras 3/,
  );
});

Deno.test("toKeras3Config: Keras 3's class paths; x + y becomes Add on the list [x, y]; one output alone", () => {
  const cfg = {
    class_name: "Functional",
    config: {
      layers: [
        {
          class_name: "TFOpLambda",
          name: "s",
          config: { name: "s", function: "__operators__.add", trainable: true },
          inbound_nodes: [["a", 0, 0, { y: ["b", 0, 0], name: null }]],
        },
        {
          class_name: "TFOpLambda",
          name: "t",
          config: { name: "t", function: "__operators__.add", trainable: true },
          inbound_nodes: [[["s", 0, 0, {}], ["b", 0, 0, {}]]],
        },
      ],
    },
  } as unknown as ModelConfig;
  const k3 = toKeras3Config(cfg);
  assert.deepEqual([k3.module, k3.class_name, (k3 as { registered_name?: unknown }).registered_name], [
    "keras.src.models.functional",
    "Functional",
    "Functional",
  ]);
  assert.deepEqual(k3.config.layers[0], {
    module: "keras.layers",
    class_name: "Add",
    name: "s",
    config: { name: "s", trainable: true },
    registered_name: null,
    inbound_nodes: [[["a", 0, 0, {}], ["b", 0, 0, {}]]],
  });
  assert.deepEqual(k3.config.layers[1].inbound_nodes, [[["s", 0, 0, {}], ["b", 0, 0, {}]]]);
  // One input or output: the triple alone, as Keras 3 writes it; several: the list.
  const io = toKeras3Config({
    ...cfg,
    config: { ...cfg.config, input_layers: [["a", 0, 0], ["b", 0, 0]], output_layers: [["t", 0, 0]] },
  });
  assert.deepEqual([io.config.input_layers, io.config.output_layers], [[["a", 0, 0], ["b", 0, 0]], ["t", 0, 0]]);
  assert.deepEqual(toKeras2Config(io).config.output_layers, [["t", 0, 0]]);
});
