/**
 * Checkpoints restore training exactly (weights and optimizer state, for
 * Adam, SGD with momentum and CaseOptimizer(Bop, Adam)); Keras JSON configs
 * written by larq (tools/py/keras_configs.py) rebuild the same models, and
 * with larq's weights give larq's outputs; configs round-trip; bad files and
 * unknown layers fail with clear errors.
 */
import assert from "node:assert/strict";
import { input, link } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { Sequential } from "../models/sequential.ts";
import { Tensor } from "../graph/tensor.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation, Flatten } from "../layers/core.ts";
import { QuantDense } from "../layers/dense.ts";
import { seededRandom } from "../graph/random.ts";
import { weightClip } from "../layers/layer.ts";
import { OperatorAdd } from "../layers/merge.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import { modelFromConfig, modelToConfig } from "./serialize.ts";
import { loadWeights, saveCheckpoint } from "./checkpoint.ts";
import { loadCheckpoint } from "./load.ts";
import { fitSync as fit } from "../train/fit.ts";
import { Adam, Bop, CaseOptimizer, isBinaryWeight, type Optimizer, SGD } from "../train/optimizers.ts";
import { summary } from "./summary.ts";
import { decodeSafetensors, encodeSafetensors } from "../train/safetensors.ts";

const fixtures = JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/larq/keras_configs.json", import.meta.url)),
);
const f32 = (b64: string) => new Float32Array(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);

function data(n: number, seed: number) {
  const r = seededRandom(seed);
  return {
    x: new Tensor(Float32Array.from({ length: n * 8 * 8 * 3 }, () => r() * 2 - 1), [n, 8, 8, 3]),
    y: Int32Array.from({ length: n }, () => Math.floor(r() * 4)),
  };
}

function smallModel(): Model {
  const bin = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() } as const;
  const x = input([8, 8, 3]);
  let h = link(
    new QuantConv2D(8, 3, { padding: "same", kernelQuantizer: "ste_sign", kernelConstraint: weightClip(1.3) }),
    x,
  );
  h = link(new BatchNormalization(), h);
  const r = h;
  h = link(new QuantConv2D(8, 3, { ...bin, padding: "same", padValues: 1 }), h);
  h = link(new OperatorAdd(), h, r);
  h = link(new MaxPool2D(2), h);
  h = link(new Flatten(), h);
  h = link(new QuantDense(4, bin), h);
  return new Model(x, link(new Activation("softmax"), h));
}

for (
  const [label, make] of [
    ["Adam", () => new Adam(0.01)],
    ["SGD with momentum", () => new SGD(0.05, 0.9)],
    ["CaseOptimizer(Bop, Adam)", () => new CaseOptimizer([[isBinaryWeight, new Bop(1e-6, 1e-3)]], new Adam(0.01))],
  ] as [string, () => Optimizer][]
) {
  Deno.test(`checkpoint: training resumes exactly (${label})`, async () => {
    const { x, y } = data(32, 1);
    const model = smallModel();
    const optimizer = make();
    fit(model, x, y, { optimizer, epochs: 2, batchSize: 8, seed: 3 });
    const path = await Deno.makeTempFile({ suffix: ".safetensors" });
    try {
      await saveCheckpoint(path, model, { optimizer });
      const restored = await loadCheckpoint(path);
      assert.equal(restored.optimizer?.name, optimizer.name);
      // One more epoch on each: bit-identical weights.
      fit(model, x, y, { optimizer, epochs: 1, batchSize: 8, seed: 9 });
      fit(restored.model, x, y, { optimizer: restored.optimizer!, epochs: 1, batchSize: 8, seed: 9 });
      const a = model.weights.map((w) => [...w.variable.data]),
        b = restored.model.weights.map((w) => [...w.variable.data]);
      assert.deepEqual(b, a);
    } finally {
      await Deno.remove(path);
    }
  });
}

interface Data {
  shape: number[];
  data: string;
}
for (
  const [name, entry] of Object.entries<
    { json: string; params: number; summary: string; weights: Record<string, Data>; inputs: Data[]; outputs: Data[] }
  >(fixtures.models)
) {
  Deno.test(`Keras config import: larq's ${name} rebuilds with larq's summary and, with its weights, its outputs`, () => {
    const model = modelFromConfig(entry.json);
    const params = model.weights.reduce((n, w) => n + w.variable.size, 0);
    assert.equal(params, entry.params);
    loadWeights(model, new Map(Object.entries(entry.weights).map(([k, v]) => [k, new Tensor(f32(v.data), v.shape)])));
    const xs = entry.inputs.map((d) => new Tensor(f32(d.data), d.shape));
    const ys = model.applyAll(xs);
    assert.equal(ys.length, entry.outputs.length);
    ys.forEach((y, k) => {
      const want = f32(entry.outputs[k].data);
      for (let i = 0; i < want.length; i++) {
        assert.ok(
          Math.abs(y.data[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])),
          `output ${k}[${i}]: ${y.data[i]} vs larq's ${want[i]}`,
        );
      }
    });
    // larq's own summary of it, byte for byte; and our own config of it reads back into the same summary.
    const name = JSON.parse(entry.json).config.name;
    assert.equal(summary(model, { name }).trimEnd(), entry.summary.trimEnd());
    const again = modelFromConfig(JSON.stringify(modelToConfig(model)));
    assert.equal(summary(again, { name }), summary(model, { name }));
  });
}

Deno.test("configs and files: clear errors for unknown layers, missing weights and bad files", () => {
  assert.throws(
    () =>
      modelFromConfig({
        class_name: "Sequential",
        config: { layers: [{ class_name: "LSTM", config: { name: "lstm" } }] },
      }),
    /layer class LSTM \("lstm"\) is not supported/,
  );
  assert.throws(() => modelFromConfig("{}"), /a model config is/);
  const m = new Sequential([new QuantDense(2, { name: "qd" })], { inputShape: [3] });
  m.apply(Tensor.zeros([1, 3]));
  assert.throws(() => loadWeights(m, new Map()), /no weight "qd\/kernel"/);
  assert.throws(
    () => loadWeights(m, new Map([["qd/kernel:0", Tensor.zeros([2, 2])], ["qd/bias:0", Tensor.zeros([2])]])),
    /weight "qd\/kernel" is \[2,2\] in the file, the model's is \[3,2\]/,
  );
  assert.throws(() => decodeSafetensors(new Uint8Array(4)), /not a valid safetensors file/);
  const bytes = encodeSafetensors({ a: Tensor.from([1, 2, 3]) });
  bytes[8] = 0x20; // break the JSON header
  assert.throws(() => decodeSafetensors(bytes.slice(0, 12)), /not a valid safetensors file/);
});

Deno.test("latent and quantized weights: getWeights({ quantized }) on layers and models", () => {
  const m = new Sequential([
    new QuantDense(3, {
      name: "q",
      kernelQuantizer: "magnitude_aware_sign",
      kernelConstraint: weightClip(),
      useBias: false,
    }),
  ], { inputShape: [2] });
  m.apply(Tensor.zeros([1, 2]));
  (m.layers[0] as QuantDense).kernel.assign(Float32Array.from([0.5, -1, 0.25, -0.5, 0.5, 0.75]));
  assert.deepEqual([...m.getWeights().get("q/kernel")!.data], [0.5, -1, 0.25, -0.5, 0.5, 0.75]);
  // magnitude_aware_sign: per output column, mean |w| times sign(w).
  assert.deepEqual([...m.getWeights({ quantized: true }).get("q/kernel")!.data], [0.5, -0.75, 0.5, -0.5, 0.75, 0.5]);
});

Deno.test("a shared layer (one Dense on two inputs) round-trips through the config, checkpoints and the converter", async () => {
  const a = input([4], { name: "a" }), b = input([4], { name: "b" });
  const shared = new QuantDense(3, { name: "shared", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() });
  shared.seed(seededRandom(3));
  const sum = link(new OperatorAdd({ name: "sum" }), link(shared, a), link(shared, b));
  const model = new Model([a, b], sum, { name: "siamese" });
  const xs = [Tensor.from([[0.5, -1, 2, 0.1]]), Tensor.from([[-0.3, 0.2, 0.9, -2]])];
  const want = model.applyAll(xs)[0];
  assert.equal(model.weights.length, 2, "the shared layer's weights appear once");
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await saveCheckpoint(path, model);
    const { model: again } = await loadCheckpoint(path);
    assert.deepEqual([...(again as Model).applyAll(xs)[0].data], [...want.data]);
  } finally {
    await Deno.remove(path);
  }
  const { convert } = await import("../convert/convert.ts");
  const { Interpreter } = await import("../runtime/interpreter.ts");
  const y = Interpreter.fromBytes(convert(model).bytes, { backend: "reference" }).invoke(
    xs.map((t) => t.data as Float32Array),
  )[0] as Float32Array;
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i] - want.data[i]) < 1e-5);
});
