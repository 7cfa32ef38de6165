/**
 * Keras files for Keras 3 (`keras3: true`): the float models Keras 3 wrote
 * (tests/fixtures/keras_files/k3_*), read by onebit and written again, have
 * the class paths, layer keys, version and weight layout of Keras 3's own
 * files and read back with Keras 3's outputs; x + y is written as Add; a
 * larq model is refused by name and leaves no file. (Keras 3 itself loads
 * these files and reproduces onebit's outputs in `deno task test:interop`:
 * tools/py/keras_files_check.py --keras3.)
 */
import assert from "node:assert/strict";
import { unzipSync } from "../_deps.ts";
import { Tensor } from "../graph/tensor.ts";
import { Dense } from "../layers/dense.ts";
import { OperatorAdd } from "../layers/merge.ts";
import { input } from "../layers/symbolic.ts";
import type { LayerConfig } from "../layers/registry.ts";
import { Model, type ModelConfig } from "../models/model.ts";
import { assertKerasOutputs, fixturePath, kerasFixtures } from "./_test_fixtures.ts";
import { loadKerasModel } from "./load.ts";
import { kerasModelBytes, saveKerasModel } from "./save.ts";

/** Where Keras 3 finds a class: a layer's or the model's. */
type Keras3Entry = Pick<LayerConfig, "module" | "class_name" | "registered_name">;

/** config.json and metadata.json of a .keras archive. */
function archiveJson(bytes: Uint8Array): { config: ModelConfig & Keras3Entry; metadata: { keras_version: string } } {
  const files = unzipSync(bytes);
  const json = (name: string) => JSON.parse(new TextDecoder().decode(files[name]));
  return { config: json("config.json"), metadata: json("metadata.json") };
}

const where = (e: Keras3Entry) => [e.module, e.class_name, e.registered_name ?? null];

const keras3Fixtures = Object.entries(kerasFixtures()).filter(([, f]) => f.writer.startsWith("keras 3"));

Deno.test("the Keras 3 fixtures are here (k3_cnn, a Sequential; k3_functional, two inputs and outputs, Add)", () => {
  assert.deepEqual(keras3Fixtures.map(([name]) => name).sort(), ["k3_cnn", "k3_functional"]);
});

for (const [name, fixture] of keras3Fixtures) {
  Deno.test(`{ keras3: true }: ${name} written again as Keras 3 wrote it, and read back with its outputs`, async () => {
    const model = await loadKerasModel(fixturePath(`${name}.keras`));
    const ours = await kerasModelBytes(model, { format: "keras", keras3: true });
    const mine = archiveJson(ours), theirs = archiveJson(await Deno.readFile(fixturePath(`${name}.keras`)));
    assert.equal(mine.metadata.keras_version, theirs.metadata.keras_version);
    assert.deepEqual(where(mine.config), where(theirs.config));
    const keras = new Map(theirs.config.config.layers.map((l) => [l.name ?? l.config.name, l]));
    for (const layer of mine.config.config.layers) {
      const k = keras.get(layer.name ?? layer.config.name as string);
      if (!k) {
        assert.equal(
          layer.class_name,
          "InputLayer",
          "a Sequential's input: Keras 3 names it input_layer, onebit input_1",
        );
        continue;
      }
      assert.deepEqual(where(layer), where(k), `${layer.name}`);
      const extra = Object.keys(layer.config).filter((key) => !(key in k.config) && key !== "batch_input_shape");
      assert.deepEqual(extra, [], `${layer.name}: keys Keras 3 does not write`);
    }
    assertKerasOutputs(`${name}.keras (keras3)`, await loadKerasModel(ours), fixture);
    const h5 = await kerasModelBytes(model, { format: "h5", keras3: true });
    assertKerasOutputs(`${name}.h5 (keras3)`, await loadKerasModel(h5), fixture);
  });
}

Deno.test("{ keras3: true }: x + y is Keras's Add on [x, y], and reads back as the same sum", async () => {
  const a = input([3], { name: "a" }), b = input([3], { name: "b" });
  const model = new Model([a, b], new OperatorAdd({ name: "sum" }).apply([new Dense(3, { name: "d" }).apply(a), b]));
  const { config } = archiveJson(await kerasModelBytes(model, { format: "keras", keras3: true }));
  const sum = config.config.layers.find((l) => l.name === "sum")!;
  assert.equal(sum.class_name, "Add");
  assert.deepEqual(sum.inbound_nodes, [[["d", 0, 0, {}], ["b", 0, 0, {}]]]);
  const again = await loadKerasModel(await kerasModelBytes(model, { format: "keras", keras3: true }));
  const xs = [Tensor.from([[1, -2, 3]]), Tensor.from([[0.5, 0.25, -1]])];
  assert.deepEqual([...again.applyAll(xs)[0].data], [...model.applyAll(xs)[0].data]);
});

Deno.test("{ keras3: true }: a larq model is a RangeError naming its first larq layer, and no file", async () => {
  const model = await loadKerasModel(fixturePath("larq_mnist.keras"));
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      saveKerasModel(model, `${dir}/m.keras`, { keras3: true }),
      /layer "quant_conv2d\w*" \(QuantConv2D\) cannot be written for Keras 3: larq's layers run on tf-keras 2 only/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
