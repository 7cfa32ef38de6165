/**
 * Writes onebit models as Keras files, with a manifest of inputs and
 * onebit's outputs, for tools/py/keras_files_check.py to load with tf-keras
 * and larq and compare (the live half of the export check; `deno task
 * test:interop` runs both):
 *
 *     deno run -A tools/keras_export.ts OUT_DIR
 *
 * The models: the Keras file fixtures (tests/fixtures/keras_files) and the
 * larq configs with weights of tests/fixtures/larq/keras_configs.json (more
 * layer kinds), each saved as NAME.keras, NAME.h5 and NAME_weights.h5.
 */
import { fixtureTensor } from "../graph/_test_util.ts";
import type { Tensor } from "../graph/tensor.ts";
import { fixturePath, kerasFixtures } from "../keras/_test_fixtures.ts";
import { loadKerasModel } from "../keras/load.ts";
import { saveKerasModel, saveWeightsH5 } from "../keras/save.ts";
import { loadWeights } from "../models/checkpoint.ts";
import type { Model } from "../models/model.ts";
import { modelFromConfig } from "../models/serialize.ts";

const [out] = Deno.args;
if (!out) throw new TypeError("usage: keras_export.ts OUT_DIR");
Deno.mkdirSync(out, { recursive: true });

interface Data {
  shape: number[];
  data: string;
}

const b64 = (t: Tensor) => {
  const f = Float32Array.from(t.data);
  let s = "";
  for (const b of new Uint8Array(f.buffer)) s += String.fromCharCode(b);
  return btoa(s);
};

/** The models with their inputs. */
async function models(): Promise<[string, Model, Data[]][]> {
  const list: [string, Model, Data[]][] = [];
  for (const [name, f] of Object.entries(kerasFixtures())) {
    list.push([name, await loadKerasModel(fixturePath(`${name}.keras`)), f.inputs]);
  }
  const configs = JSON.parse(
    Deno.readTextFileSync(new URL("../tests/fixtures/larq/keras_configs.json", import.meta.url)),
  ).models as Record<string, { json: string; weights: Record<string, Data>; inputs: Data[] }>;
  for (const [name, c] of Object.entries(configs)) {
    const model = modelFromConfig(c.json);
    loadWeights(model, new Map(Object.entries(c.weights).map(([k, v]) => [k, fixtureTensor(v)])));
    list.push([`config_${name}`, model, c.inputs]);
  }
  return list;
}

const manifest: Record<string, unknown> = {};
for (const [name, model, inputs] of await models()) {
  await saveKerasModel(model, `${out}/${name}.keras`);
  await saveKerasModel(model, `${out}/${name}.h5`);
  await saveWeightsH5(model, `${out}/${name}_weights.h5`);
  const ys = model.applyAll(inputs.map(fixtureTensor));
  manifest[name] = {
    files: [`${name}.keras`, `${name}.h5`, `${name}_weights.h5`],
    inputs,
    outputs: ys.map((y) => ({ shape: y.shape, data: b64(y) })),
  };
  console.log(`${name}: written`);
}
Deno.writeTextFileSync(
  `${out}/manifest.json`,
  JSON.stringify({ generator: "tools/keras_export.ts", models: manifest }, null, 1) + "\n",
);
