/**
 * Keras 3 configs in Keras 2's form: calls on one tensor, on a list, with
 * non-tensor keyword arguments; single input/output triples; a Keras 2
 * config unchanged; tensors beyond the first argument refused by name.
 * And the HDF5 signature found where HDF5 looks for it.
 */
import assert from "node:assert/strict";
import type { ModelConfig } from "../models/model.ts";
import { isHdf5 } from "./_h5.ts";
import { toKeras2Config } from "./keras3_config.ts";

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
