/**
 * Keras model files (tools/py/keras_files_fixtures.py: larq models saved by
 * tf-keras 2.16 and float models saved by Keras 3, each as .keras and
 * legacy .h5) load as onebit models with Keras's parameter counts and
 * outputs; bad files fail with RangeErrors that name what is wrong.
 */
import assert from "node:assert/strict";
import { unzipSync, zipSync } from "../_deps.ts";
import type { ModelConfig } from "../models/model.ts";
import { assertKerasOutputs, fixturePath, kerasFixtures } from "./_test_fixtures.ts";
import { loadKerasModel } from "./load.ts";

const fixtures = kerasFixtures();

for (const [name, fixture] of Object.entries(fixtures)) {
  for (const file of fixture.files.filter((f) => !f.includes("weights"))) {
    Deno.test(`loadKerasModel: ${file} (${fixture.writer}) gives Keras's parameter count and outputs`, async () => {
      const model = await loadKerasModel(fixturePath(file));
      assert.equal(model.weights.reduce((n, w) => n + w.variable.size, 0), fixture.params);
      assertKerasOutputs(file, model, fixture);
    });
  }
  void name;
}

Deno.test("loadKerasModel tells the kind by content: bytes of a .keras and of an .h5, whatever their name", async () => {
  for (const file of ["two_inputs.keras", "two_inputs.h5"]) {
    const model = await loadKerasModel(await Deno.readFile(fixturePath(file)));
    assertKerasOutputs(`${file} as bytes`, model, fixtures.two_inputs);
  }
  const renamed = await Deno.makeTempFile({ suffix: ".h5" });
  try {
    await Deno.copyFile(fixturePath("k3_cnn.keras"), renamed);
    assertKerasOutputs("a .keras named .h5", await loadKerasModel(renamed), fixtures.k3_cnn);
  } finally {
    await Deno.remove(renamed);
  }
});

/** A fixture .keras archive with its config.json changed by `edit`. */
async function editedArchive(file: string, edit: (c: ModelConfig) => void): Promise<Uint8Array> {
  const files = unzipSync(await Deno.readFile(fixturePath(file)));
  const cfg = JSON.parse(new TextDecoder().decode(files["config.json"]));
  edit(cfg);
  return zipSync({ ...files, "config.json": new TextEncoder().encode(JSON.stringify(cfg)) });
}

const layerOf = (c: ModelConfig, cls: string) => c.config.layers.find((l) => l.class_name === cls)!;

Deno.test("loadKerasModel: unknown layers, quantizers and constraints are named with what onebit reads", async () => {
  const lstm = await editedArchive("quicknet_style.keras", (c) => {
    layerOf(c, "Flatten").class_name = "LSTM";
  });
  await assert.rejects(
    loadKerasModel(lstm),
    /layer class LSTM \("flatten\w*"\) is not supported; onebit reads .*QuantConv2D/,
  );
  const quantizer = await editedArchive("quicknet_style.keras", (c) => {
    (layerOf(c, "QuantDense").config as { kernel_quantizer: unknown }).kernel_quantizer = {
      module: "larq.quantizers",
      class_name: "FancySign",
      config: {},
      registered_name: "FancySign",
    };
  });
  await assert.rejects(loadKerasModel(quantizer), /unknown quantizer "FancySign"; known: ste_sign, SteSign/);
  const constraint = await editedArchive("two_inputs.keras", (c) => {
    layerOf(c, "QuantConv2D").config.kernel_constraint = { class_name: "UnitNorm", config: {} };
  });
  await assert.rejects(loadKerasModel(constraint), /unknown constraint .*UnitNorm.*; onebit knows weight_clip/);
});

Deno.test("loadKerasModel: weights that do not fit name the layer and both shapes", async () => {
  const wider = await editedArchive("k3_functional.keras", (c) => {
    c.config.layers.find((l) => l.config.name === "head")!.config.units = 5;
  });
  await assert.rejects(
    loadKerasModel(wider),
    /model\.weights\.h5: weight "dense_1\/vars\/0" of layer "head" is \[16, 3\] in the file; the model's "head\/kernel" is \[16, 5\]/,
  );
  const noBias = await editedArchive("larq_mnist.keras", (c) => {
    c.config.layers.find((l) => l.class_name === "QuantDense")!.config.use_bias = true;
  });
  await assert.rejects(
    loadKerasModel(noBias),
    /layer "quant_dense\w*" has 1 weights \(quant_dense\/vars\/0\), the model's layer "quant_dense\w*" has 2/,
  );
});

Deno.test("loadKerasModel: truncated, corrupt, weights-only and foreign files are RangeErrors", async () => {
  const keras = await Deno.readFile(fixturePath("quicknet_style.keras"));
  const h5 = await Deno.readFile(fixturePath("quicknet_style.h5"));
  const cases: [Uint8Array | string, RegExp][] = [
    [keras.subarray(0, keras.length - 200), /is not a readable zip archive \(truncated or corrupt\?\)/],
    [keras.subarray(0, 3000), /is not a readable zip archive/],
    [h5.subarray(0, h5.length - 200), /is not a readable HDF5 file \(truncated or corrupt\?\): .*truncated file/],
    [new TextEncoder().encode('{"class_name": "Sequential"}'), /neither a \.keras archive \(zip\) nor an \.h5 model/],
    [
      fixturePath("quicknet_style_weights.h5"),
      /has no model_config attribute.*weights only \(save_weights\); build the model, then loadWeightsH5/,
    ],
    [fixturePath("k3_cnn.weights.h5"), /weights only/],
    [fixturePath("not_keras.h5"), /not_keras\.h5 has no model_config attribute, so it is not a Keras model file$/],
    [zipSync({ "config.json": new Uint8Array(2) }), /has no model\.weights\.h5, so it is not a \.keras archive/],
    [zipSync({ "config.json": new TextEncoder().encode("{"), "model.weights.h5": h5 }), /config\.json is not JSON/],
  ];
  for (const [source, message] of cases) {
    await assert.rejects(loadKerasModel(source), (e: Error) => {
      assert.ok(e instanceof RangeError, `${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
  // The archive's weights file corrupted: HDF5's complaint, named as the archive's.
  const files = unzipSync(keras);
  const bad = files["model.weights.h5"].slice();
  bad.fill(0x55, 200, 1200);
  await assert.rejects(
    loadKerasModel(zipSync({ ...files, "model.weights.h5": bad })),
    /the Keras model bytes: model\.weights\.h5 is not a readable HDF5 file/,
  );
});
