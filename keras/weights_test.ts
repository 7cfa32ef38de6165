/**
 * Weights-only Keras files (tools/py/keras_files_fixtures.py: tf-keras's
 * save_weights .h5, Keras 3's .weights.h5) into onebit models of the same
 * architecture reproduce Keras's outputs; files that do not fit, and
 * truncated or corrupt ones, are RangeErrors that change nothing.
 */
import assert from "node:assert/strict";
import { seededRandom } from "../graph/random.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Dense } from "../layers/dense.ts";
import { kerasClassName, type LayerClass, weightClip } from "../layers/layer.ts";
import { layerClasses } from "../layers/registry.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import type { Model, ModelConfig } from "../models/model.ts";
import { modelFromConfig } from "../models/serialize.ts";
import { Sequential } from "../models/sequential.ts";
import { larqMnistCnn } from "../zoo/larq_mnist.ts";
import { readH5 } from "./_h5.ts";
import { assertKerasOutputs, fixturePath, kerasFixtures } from "./_test_fixtures.ts";
import { toKeras2Config } from "./keras3_config.ts";
import { kerasV3Paths, loadWeightsH5, readLegacyWeights, snakeCase } from "./weights.ts";

const fixtures = kerasFixtures();
const weightsFile = (name: string) => fixtures[name].files.find((f) => f.includes("weights"))!;
const fullH5 = (name: string) => fixtures[name].files.find((f) => f.endsWith(".h5") && !f.includes("weights"))!;

/** The model config stored in a fixture's full-model .h5 (Keras 2's form). */
async function configOf(name: string): Promise<ModelConfig> {
  const bytes = await Deno.readFile(fixturePath(fullH5(name)));
  const json = await readH5(bytes, name, (f) => f.attr("", "model_config")) as string;
  return toKeras2Config(JSON.parse(json));
}

/** A model of the fixture's architecture with onebit's own random weights. */
async function freshModel(name: string, edit?: (c: ModelConfig) => void): Promise<Model> {
  const cfg = await configOf(name);
  edit?.(cfg);
  return modelFromConfig(cfg);
}

const snapshot = (m: Model) => m.weights.map((w) => Float32Array.from(w.variable.data));

/** True when the model's outputs already equal Keras's (then a loading test could not fail). */
function matchesAlready(label: string, m: Model, name: string): boolean {
  try {
    assertKerasOutputs(label, m, fixtures[name]);
    return true;
  } catch {
    return false;
  }
}

Deno.test("larqMnistCnn({ weights }): larq's save_weights file, by path and by bytes, gives Keras's outputs", async () => {
  const path = fixturePath("larq_mnist_weights.h5");
  assert.ok(!matchesAlready("random", larqMnistCnn(), "larq_mnist"));
  assertKerasOutputs("path", await larqMnistCnn({ weights: path }), fixtures.larq_mnist);
  assertKerasOutputs("bytes", await larqMnistCnn({ weights: await Deno.readFile(path) }), fixtures.larq_mnist);
});

for (const name of Object.keys(fixtures)) {
  Deno.test(`loadWeightsH5: ${weightsFile(name)} (${fixtures[name].writer}) into the same architecture gives Keras's outputs`, async () => {
    const model = await freshModel(name);
    assert.ok(!matchesAlready("random", model, name), "random weights already give Keras's outputs");
    await loadWeightsH5(model, fixturePath(weightsFile(name)));
    assertKerasOutputs(name, model, fixtures[name]);
    // A full-model .h5's weights load the same way (Keras's load_weights takes them too).
    const again = await freshModel(name);
    await loadWeightsH5(again, fixturePath(fullH5(name)));
    assertKerasOutputs(`${name} from ${fullH5(name)}`, again, fixtures[name]);
  });
}

Deno.test("loadWeightsH5 byName: layers found by name wherever they are; a name the file lacks is an error", async () => {
  const model = await freshModel("two_inputs");
  await loadWeightsH5(model, fixturePath("two_inputs_weights.h5"), { byName: true });
  assertKerasOutputs("byName", model, fixtures.two_inputs);
  const renamed = await freshModel("two_inputs", (c) => {
    const aux = c.config.layers.find((l) => l.config.name === "aux")!;
    aux.config.name = aux.name = "other";
    c.config.output_layers![1] = ["other", 0, 0];
  });
  const before = snapshot(renamed);
  await assert.rejects(
    loadWeightsH5(renamed, fixturePath("two_inputs_weights.h5"), { byName: true }),
    /two_inputs_weights\.h5 has no weights for layer "other"/,
  );
  assert.deepEqual(snapshot(renamed), before);
  await assert.rejects(
    loadWeightsH5(await freshModel("k3_cnn"), fixturePath("k3_cnn.weights.h5"), { byName: true }),
    /byName needs a legacy \.h5 file/,
  );
});

Deno.test("loadWeightsH5: a file layer with no model layer, missing weights, other shapes or counts; nothing assigned", async () => {
  const path = fixturePath("larq_mnist_weights.h5");
  // The first block of larq's MNIST model only: the file has 8 more layers with weights.
  const head = new Sequential([
    new QuantConv2D(32, 3, { kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias: false }),
    new MaxPool2D(2),
    new BatchNormalization({ scale: false }),
  ], { inputShape: [28, 28, 1] });
  await assert.rejects(
    loadWeightsH5(head, path),
    /larq_mnist_weights\.h5: layer "quant_conv2d\w*" has no model layer to go to \(the file has 10 layers with weights, the model 2\)/,
  );
  // One layer more than the file: its weights are missing.
  const longer = larqMnistCnn({ seed: 3 });
  longer.add(new Dense(3, { name: "extra" }));
  const before = snapshot(longer);
  await assert.rejects(
    loadWeightsH5(longer, path),
    /larq_mnist_weights\.h5 has no weights for layer "extra" \(the file has 10 layers with weights, the model 11\)/,
  );
  assert.deepEqual(snapshot(longer), before, "nothing assigned");
  // The last layer's kernel has another shape: the error names the layer and both shapes; nothing assigned.
  const wider = await freshModel("quicknet_style", (c) => {
    c.config.layers.find((l) => l.class_name === "QuantDense")!.config.units = 12;
  });
  const wide = snapshot(wider);
  await assert.rejects(
    loadWeightsH5(wider, fixturePath("quicknet_style_weights.h5")),
    /weight "(quant_dense\w*)\/kernel:0" of layer "\1" is \[16, 10\] in the file; the model's "\1\/kernel" is \[16, 12\]/,
  );
  assert.deepEqual(snapshot(wider), wide, "nothing assigned");
  // No bias in the model: the weight counts differ.
  const noBias = await freshModel("quicknet_style", (c) => {
    c.config.layers.find((l) => l.class_name === "QuantDense")!.config.use_bias = false;
  });
  await assert.rejects(
    loadWeightsH5(noBias, fixturePath("quicknet_style_weights.h5")),
    /layer "(quant_dense\w*)" has 2 weights \(\1\/kernel:0, \1\/bias:0\), the model's layer "\1" has 1 \(\1\/kernel\)/,
  );
});

Deno.test("loadWeightsH5, Keras v3 layout: weights with no place in the model are an error, not dropped", async () => {
  const model = await freshModel("k3_cnn", (c) => {
    c.config.layers = c.config.layers.slice(0, 3); // input, conv2d, batch_normalization
  });
  const before = snapshot(model);
  await assert.rejects(
    loadWeightsH5(model, fixturePath("k3_cnn.weights.h5")),
    /k3_cnn\.weights\.h5 has weights the model has no place for: layers\/batch_normalization_1\/vars\/0/,
  );
  assert.deepEqual(snapshot(model), before);
});

Deno.test("loadWeightsH5: not HDF5, not Keras, truncated, corrupt or endless files are RangeErrors; nothing assigned", async () => {
  const model = larqMnistCnn();
  const before = snapshot(model);
  const bytes = await Deno.readFile(fixturePath("larq_mnist_weights.h5"));
  await assert.rejects(loadWeightsH5(model, new Uint8Array(100)), /the weights file bytes is not an HDF5 file/);
  await assert.rejects(
    loadWeightsH5(model, fixturePath("larq_mnist.keras")),
    /larq_mnist\.keras is not an HDF5 file/,
  );
  await assert.rejects(
    loadWeightsH5(model, fixturePath("not_keras.h5")),
    /not_keras\.h5 holds no Keras weights: no layer_names attribute/,
  );
  await assert.rejects(
    loadWeightsH5(model, bytes.subarray(0, bytes.length - 1000)),
    (e: Error) => e instanceof RangeError && /not a readable HDF5 file .*truncated file: eof = \d+/.test(e.message),
  );
  await assert.rejects(loadWeightsH5(model, 42 as unknown as string), TypeError);
  // Seeded corruption of the file's structure (its first 4 KiB: superblock, root group, attributes). HDF5 loops
  // on some (trials 3 and 21) and, in a wasm instance that read a bad file before, traps: each is a RangeError.
  const random = seededRandom(7);
  const messages: string[] = [];
  for (let trial = 0; trial < 24; trial++) {
    const bad = bytes.slice();
    for (let k = 0; k < 16; k++) bad[8 + Math.floor(random() * 4088)] ^= 1 + Math.floor(random() * 255);
    try {
      await readH5(bad, `trial ${trial}`, (f) => readLegacyWeights(f, ""), { timeoutMs: 5000 });
    } catch (e) {
      assert.ok(e instanceof RangeError, `trial ${trial}: ${e}`);
      messages.push((e as Error).message);
    }
  }
  assert.ok(messages.length >= 20, `only ${messages.length} of 24 corrupted files failed`);
  assert.ok(messages.some((m) => /did not finish in 5\.0 s/.test(m)), "the time limit was tested");
  assert.deepEqual(snapshot(model), before, "nothing assigned by failed loads");
});

Deno.test("Keras v3 weight paths: class names in snake_case, numbered per name in layer order", () => {
  assert.deepEqual(
    kerasV3Paths(["Dense", "Conv2D", "Dense", "BatchNormalization", "Dense", "QuantConv2DTranspose"]),
    ["dense", "conv2d", "dense_1", "batch_normalization", "dense_2", "quant_conv2d_transpose"],
  );
  // tf-keras's to_snake_case (its own regexes) and Keras 3's agree on every class onebit registers.
  const tfKeras = (name: string) =>
    name.replace(/(.)([A-Z][a-z0-9]+)/g, "$1_$2").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  for (const cls of layerClasses()) {
    const name = kerasClassName(cls as LayerClass);
    assert.equal(snakeCase(name), tfKeras(name), name);
  }
  assert.equal(snakeCase("ReLU"), "re_lu");
});
