/**
 * Writing Keras files: onebit's .keras, .h5 and weights-only .h5 read back
 * with every weight bit for bit, and have the layout Keras's own writers
 * give the same models (layer and weight names, dataset paths), so
 * tf-keras's readers find everything (checked live by
 * tools/py/keras_files_check.py in `deno task test:interop`); configs in
 * the form tf-keras reads; failed saves leave no file.
 */
import assert from "node:assert/strict";
import { unzipSync } from "../_deps.ts";
import { Conv2D } from "../layers/conv.ts";
import type { Model, ModelConfig } from "../models/model.ts";
import { Sequential } from "../models/sequential.ts";
import { type H5Reader, readH5 } from "./_h5.ts";
import { assertKerasOutputs, fixturePath, kerasFixtures } from "./_test_fixtures.ts";
import { loadKerasModel } from "./load.ts";
import { kerasModelBytes, saveKerasModel, saveWeightsH5, weightsH5Bytes } from "./save.ts";
import { loadWeightsH5 } from "./weights.ts";

const fixtures = kerasFixtures();
const values = (m: Model) => m.weights.map((w) => [w.variable.name, [...w.variable.data]]);

/** Every dataset path of an HDF5 file, with its shape. */
async function datasets(bytes: Uint8Array): Promise<string[]> {
  const walk = (f: H5Reader, path: string): string[] =>
    (f.keys(path) ?? []).flatMap((k) => {
      const p = path ? `${path}/${k}` : k;
      return f.isDataset(p) ? [`${p} [${f.dataset(p).shape}]`] : walk(f, p);
    });
  return (await readH5(bytes, "file", (f) => walk(f, ""))).sort();
}

/** A legacy layout's layer_names and weight_names (layers with weights only, as Keras's reader filters them). */
async function legacyNames(bytes: Uint8Array, root: string): Promise<[string, unknown][]> {
  return await readH5(bytes, "file", (f) => {
    const at = (p: string) => (root ? `${root}/${p}` : p);
    return (f.attr(root, "layer_names") as string[])
      .map((l): [string, unknown] => [l, f.attr(at(l), "weight_names")])
      .filter(([, w]) => Array.isArray(w) && w.length > 0);
  });
}

for (const [name, fixture] of Object.entries(fixtures)) {
  Deno.test(`saveKerasModel / saveWeightsH5: ${name} (${fixture.writer}) written and read back bit for bit`, async () => {
    const model = await loadKerasModel(fixturePath(`${name}.keras`));
    const dir = await Deno.makeTempDir();
    try {
      for (const file of [`${name}.keras`, `${name}.h5`]) {
        await saveKerasModel(model, `${dir}/${file}`);
        const again = await loadKerasModel(`${dir}/${file}`);
        assert.deepEqual(values(again), values(model), file);
        assertKerasOutputs(file, again, fixture);
      }
      await saveWeightsH5(model, `${dir}/${name}_weights.h5`);
      const fresh = await loadKerasModel(fixturePath(`${name}.h5`));
      fresh.weights.forEach((w) => w.variable.assign(new Float32Array(w.variable.size)));
      await loadWeightsH5(fresh, `${dir}/${name}_weights.h5`);
      assert.deepEqual(values(fresh).map((v) => v[1]), values(model).map((v) => v[1]));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`the files onebit writes for ${name} have the layout Keras's writer gave it`, async () => {
    const model = await loadKerasModel(fixturePath(`${name}.keras`));
    // .keras: the same dataset paths and shapes in model.weights.h5 (layers/<class>_n/vars/i).
    const ours = unzipSync(await kerasModelBytes(model, { format: "keras" }));
    const theirs = unzipSync(await Deno.readFile(fixturePath(`${name}.keras`)));
    assert.deepEqual(Object.keys(ours).sort(), ["config.json", "metadata.json", "model.weights.h5"]);
    assert.deepEqual(await datasets(ours["model.weights.h5"]), await datasets(theirs["model.weights.h5"]));
    if (!fixture.writer.startsWith("tf-keras")) return; // Keras 3 names weights by path (cnn/conv2d/kernel)
    // Legacy layouts: the same layer_names and weight_names (weighted layers), datasets at the same paths.
    const h5 = await kerasModelBytes(model, { format: "h5" });
    const kerasH5 = await Deno.readFile(fixturePath(`${name}.h5`));
    assert.deepEqual(await legacyNames(h5, "model_weights"), await legacyNames(kerasH5, "model_weights"));
    const weightsOnly = await weightsH5Bytes(model);
    const kerasWeights = await Deno.readFile(fixturePath(`${name}_weights.h5`));
    assert.deepEqual(await legacyNames(weightsOnly, ""), await legacyNames(kerasWeights, ""));
    assert.deepEqual(await datasets(weightsOnly), await datasets(kerasWeights));
  });
}

Deno.test("config.json as tf-keras reads it: Keras's keys on float layers, x + y as a TFOpLambda call", async () => {
  const model = await loadKerasModel(fixturePath("quicknet_style.keras"));
  const archive = unzipSync(await kerasModelBytes(model, { format: "keras" }));
  const config = JSON.parse(new TextDecoder().decode(archive["config.json"])) as ModelConfig & { module: string };
  assert.equal(config.module, "tf_keras.src.engine.functional");
  const dw = config.config.layers.find((l) => l.class_name === "DepthwiseConv2D")!;
  assert.deepEqual(["pad_values", "input_quantizer", "depthwise_quantizer"].filter((k) => k in dw.config), []);
  assert.ok("pad_values" in config.config.layers.find((l) => l.class_name === "QuantConv2D")!.config);
  const keras = JSON.parse(
    new TextDecoder().decode(unzipSync(await Deno.readFile(fixturePath("quicknet_style.keras")))["config.json"]),
  );
  const add = (c: ModelConfig) =>
    c.config.layers.filter((l) => l.class_name === "TFOpLambda").map((l) => l.inbound_nodes);
  assert.ok(add(config).length > 0);
  assert.deepEqual(add(config), add(keras));
});

Deno.test("saveKerasModel: no format, or an unknown one, is a RangeError and no file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = new Sequential([new Conv2D(4, 3, { padding: "same" })], { inputShape: [5, 5, 2] });
    await assert.rejects(saveKerasModel(model, `${dir}/m.bin`), /m\.bin: give a \.keras or \.h5 path/);
    await assert.rejects(
      kerasModelBytes(model, { format: "tflite" as "keras" }),
      /a Keras file format is "keras" or "h5", got "tflite"/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
