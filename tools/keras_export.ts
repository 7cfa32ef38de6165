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
 * layer kinds), each saved as NAME.keras, NAME.h5 and NAME_weights.h5 for
 * tf-keras; the float ones (Keras 3's fixtures, and a model of every layer
 * class Keras 3 has, x + y among them) also as NAME.k3.keras and NAME.k3.h5
 * with `keras3: true`, for `keras_files_check.py --keras3`.
 */
import { fixtureTensor } from "../graph/_test_util.ts";
import { seededRandom } from "../graph/random.ts";
import { Tensor } from "../graph/tensor.ts";
import * as L from "../layers/all.ts";
import type { Layer } from "../layers/layer.ts";
import { input, type SymbolicTensor } from "../layers/symbolic.ts";
import { fixturePath, kerasFixtures } from "../keras/_test_fixtures.ts";
import { loadKerasModel } from "../keras/load.ts";
import { saveKerasModel, saveWeightsH5 } from "../keras/save.ts";
import { loadWeights } from "../models/checkpoint.ts";
import { Model } from "../models/model.ts";
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

/**
 * A float functional model of every layer class Keras 3 has (x + y among
 * them; not RandomCrop, which it computes otherwise), with seeded weights.
 */
function keras3Sweep(): Model {
  const x = input([8, 8, 3], { name: "image" });
  const on = (layer: Layer, ...ts: SymbolicTensor[]) => layer.apply(ts.length === 1 ? ts[0] : ts);
  let h = on(new L.RandomFlip("horizontal", { seed: 1 }), x);
  h = on(new L.RandomZoom(0.2, null, { seed: 1 }), on(new L.Rescaling(0.5, { offset: -0.25 }), h));
  h = on(new L.RandomTranslation(0.1, 0.1, { seed: 1 }), h);
  const a = on(new L.BatchNormalization(), on(new L.Conv2D(8, 3, { padding: "same", activation: "relu" }), h));
  const b = on(new L.ReLU({ maxValue: 6 }), on(new L.DepthwiseConv2D(3, { padding: "same" }), a));
  const sum = on(new L.OperatorAdd(), a, b);
  let c = on(new L.Conv2DTranspose(4, 2, { strides: 2 }), on(new L.SeparableConv2D(8, 3, { strides: 2 }), sum));
  c = on(new L.MaxPool2D(2), on(new L.ZeroPadding2D(1), c));
  let m = on(new L.Concatenate(), c, on(new L.AveragePooling2D(2), sum));
  m = on(new L.PReLU(), on(new L.Multiply(), m, m));
  let v = on(new L.Reshape([3, 4]), on(new L.GlobalAveragePooling2D(), m));
  v = on(new L.SeparableConv1D(2, 2), on(new L.Conv1D(4, 2, { padding: "same" }), v));
  v = on(new L.Dense(5, { activation: "hard_tanh" }), on(new L.Flatten(), v));
  v = on(new L.Activation("sigmoid"), on(new L.Identity(), on(new L.Softmax(), on(new L.Dropout(0.3), v))));
  let w = on(new L.Conv3D(2, 2), on(new L.Reshape([4, 4, 3, 4]), m));
  w = on(new L.Flatten(), on(new L.Conv3DTranspose(1, 2), w));
  const model = new Model(x, [v, w], { name: "keras3_sweep" });
  const r = seededRandom(16);
  for (const { variable } of model.weights) {
    const positive = variable.name.endsWith("moving_variance");
    variable.assign(Float32Array.from(variable.data, () => positive ? 0.5 + r() : r() - 0.5));
  }
  return model;
}

/** A batch of seeded inputs of a model's input shape, as the manifest holds them. */
function inputsOf(model: Model, batch: number, seed: number): Data[] {
  const r = seededRandom(seed);
  return model.inputs.map((t) => {
    const shape = [batch, ...t.shape];
    return {
      shape,
      data: b64(new Tensor(Float32Array.from({ length: shape.reduce((p, q) => p * q) }, () => r() * 2 - 1), shape)),
    };
  });
}

/** The models with their inputs, and whether they are written for Keras 3 too. */
async function models(): Promise<[string, Model, Data[], boolean][]> {
  const list: [string, Model, Data[], boolean][] = [];
  for (const [name, f] of Object.entries(kerasFixtures())) {
    list.push([name, await loadKerasModel(fixturePath(`${name}.keras`)), f.inputs, f.writer.startsWith("keras 3")]);
  }
  const configs = JSON.parse(
    Deno.readTextFileSync(new URL("../tests/fixtures/larq/keras_configs.json", import.meta.url)),
  ).models as Record<string, { json: string; weights: Record<string, Data>; inputs: Data[] }>;
  for (const [name, c] of Object.entries(configs)) {
    const model = modelFromConfig(c.json);
    loadWeights(model, new Map(Object.entries(c.weights).map(([k, v]) => [k, fixtureTensor(v)])));
    list.push([`config_${name}`, model, c.inputs, false]);
  }
  const sweep = keras3Sweep();
  list.push(["keras3_sweep", sweep, inputsOf(sweep, 2, 17), true]);
  return list;
}

const manifest: Record<string, unknown> = {};
for (const [name, model, inputs, keras3] of await models()) {
  await saveKerasModel(model, `${out}/${name}.keras`);
  await saveKerasModel(model, `${out}/${name}.h5`);
  await saveWeightsH5(model, `${out}/${name}_weights.h5`);
  if (keras3) {
    await saveKerasModel(model, `${out}/${name}.k3.keras`, { keras3: true });
    await saveKerasModel(model, `${out}/${name}.k3.h5`, { keras3: true });
  }
  const ys = model.applyAll(inputs.map(fixtureTensor));
  manifest[name] = {
    files: [`${name}.keras`, `${name}.h5`, `${name}_weights.h5`],
    keras3_files: keras3 ? [`${name}.k3.keras`, `${name}.k3.h5`] : [],
    inputs,
    outputs: ys.map((y) => ({ shape: y.shape, data: b64(y) })),
  };
  console.log(`${name}: written${keras3 ? " (and for Keras 3)" : ""}`);
}
Deno.writeTextFileSync(
  `${out}/manifest.json`,
  JSON.stringify({ generator: "tools/keras_export.ts", models: manifest }, null, 1) + "\n",
);
