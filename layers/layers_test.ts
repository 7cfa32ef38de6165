/**
 * The layer protocol: every registered class round-trips its Keras config
 * (same config, same outputs with the same weights), larq's new layers
 * (QuantSeparableConv1D, QuantConv3D, QuantConv3DTranspose,
 * QuantLocallyConnected1D/2D) train — their gradients for input, kernels and
 * bias against central finite differences — and the converter refuses the
 * 3-D and locally connected ones with the reason; layers called on
 * symbolic tensors build functional models; bad configs name the layer.
 */
import assert from "node:assert/strict";
import { noGrad, valueAndGrads } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import * as ops from "../graph/ops.ts";
import { seededRandom } from "../graph/random.ts";
import type { Layer } from "./layer.ts";
import * as all from "./all.ts";
import { deserializeLayer, layerClasses, layerNames, serializeLayer } from "./registry.ts";
import { QuantLayer } from "./quant_layer.ts";
import { input } from "./symbolic.ts";
import { Model } from "../models/model.ts";
import { convert } from "../convert/convert.ts";
import { Interpreter } from "../runtime/interpreter.ts";

const bin = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" } as const;
const binSep = {
  inputQuantizer: "ste_sign",
  depthwiseQuantizer: "ste_sign",
  depthwiseConstraint: "weight_clip",
  pointwiseQuantizer: "ste_sign",
  pointwiseConstraint: "weight_clip",
} as const;

/** One instance of every registered class, with the input shape it takes (batch axis first). */
const CASES: Record<string, [() => Layer, number[]] | [() => Layer, number[], number[]]> = {
  QuantDense: [() => new all.QuantDense(3, { ...bin, biasRegularizer: "l2" }), [2, 5]],
  Dense: [() => new all.Dense(3, { activation: "relu", kernelRegularizer: "l1" }), [2, 5]],
  QuantConv2D: [() => new all.QuantConv2D(4, 3, { ...bin, padding: "same", padValues: 1, strides: 2 }), [1, 6, 5, 2]],
  Conv2D: [() => new all.Conv2D(4, [2, 3], { dilationRate: 2, groups: 2, biasConstraint: "weight_clip" }), [
    1,
    7,
    8,
    2,
  ]],
  QuantDepthwiseConv2D: [() => new all.QuantDepthwiseConv2D(3, { padding: "same", depthMultiplier: 2 }), [1, 5, 5, 3]],
  DepthwiseConv2D: [() => new all.DepthwiseConv2D(2, { strides: 2 }), [1, 6, 6, 2]],
  QuantConv1D: [() => new all.QuantConv1D(3, 3, { ...bin, padding: "same", padValues: 1 }), [2, 7, 4]],
  Conv1D: [() => new all.Conv1D(3, 2, { strides: 2 }), [2, 7, 4]],
  QuantConv2DTranspose: [() => new all.QuantConv2DTranspose(2, 3, { ...bin, strides: 2, outputPadding: 1 }), [
    1,
    3,
    3,
    2,
  ]],
  Conv2DTranspose: [() => new all.Conv2DTranspose(2, 2, { padding: "same" }), [1, 3, 3, 2]],
  QuantSeparableConv2D: [() => new all.QuantSeparableConv2D(4, 3, { ...binSep, padding: "same" }), [1, 5, 5, 3]],
  SeparableConv2D: [() => new all.SeparableConv2D(4, 2, { depthMultiplier: 2 }), [1, 5, 5, 3]],
  QuantSeparableConv1D: [() => new all.QuantSeparableConv1D(4, 3, { ...binSep, padding: "same", padValues: 1 }), [
    2,
    6,
    3,
  ]],
  SeparableConv1D: [() => new all.SeparableConv1D(4, 2, { dilationRate: 2, depthMultiplier: 2 }), [2, 7, 3]],
  QuantConv3D: [() => new all.QuantConv3D(3, 2, { ...bin, padding: "same", padValues: 1 }), [1, 3, 4, 4, 2]],
  Conv3D: [() => new all.Conv3D(3, [2, 1, 2], { strides: [1, 2, 1] }), [1, 3, 4, 4, 2]],
  QuantConv3DTranspose: [() => new all.QuantConv3DTranspose(2, 2, { ...bin, strides: 2 }), [1, 2, 2, 3, 2]],
  Conv3DTranspose: [() => new all.Conv3DTranspose(2, 3, { padding: "same", strides: 2, outputPadding: 1 }), [
    1,
    2,
    2,
    2,
    1,
  ]],
  QuantLocallyConnected1D: [() => new all.QuantLocallyConnected1D(3, 2, { ...bin, strides: 2 }), [2, 7, 3]],
  LocallyConnected1D: [() => new all.LocallyConnected1D(3, 3), [2, 6, 2]],
  QuantLocallyConnected2D: [() => new all.QuantLocallyConnected2D(3, 2, bin), [1, 4, 5, 2]],
  LocallyConnected2D: [() => new all.LocallyConnected2D(2, [2, 3], { strides: [2, 1] }), [1, 5, 5, 2]],
  BatchNormalization: [() => new all.BatchNormalization({ momentum: 0.9, center: false }), [2, 3, 3, 4]],
  MaxPooling2D: [() => new all.MaxPool2D(2, { strides: 1, padding: "same" }), [1, 4, 4, 2]],
  AveragePooling2D: [() => new all.AveragePooling2D(3, { strides: 2 }), [1, 7, 7, 2]],
  GlobalAveragePooling2D: [() => new all.GlobalAveragePooling2D(), [2, 3, 3, 4]],
  Activation: [() => new all.Activation("hard_tanh"), [2, 5]],
  Flatten: [() => new all.Flatten(), [2, 3, 2]],
  Reshape: [() => new all.Reshape([3, 2]), [2, 6]],
  Dropout: [() => new all.Dropout(0.3), [2, 5]],
  ReLU: [() => new all.ReLU({ maxValue: 6, negativeSlope: 0.1 }), [2, 5]],
  ZeroPadding2D: [() => new all.ZeroPadding2D([[1, 0], [2, 1]]), [1, 3, 3, 2]],
  Add: [() => new all.Add(), [2, 4], [2, 4]],
  TFOpLambda: [() => new all.OperatorAdd(), [2, 4], [2, 4]],
  Concatenate: [() => new all.Concatenate({ axis: 1 }), [2, 3], [2, 4]],
  Rescaling: [() => new all.Rescaling(1 / 127.5, { offset: -1 }), [1, 3, 3, 2]],
  RandomFlip: [() => new all.RandomFlip("horizontal", { seed: 3 }), [1, 3, 3, 2]],
  RandomTranslation: [() => new all.RandomTranslation(0.2, 0.1, { seed: 3 }), [1, 4, 4, 1]],
  RandomZoom: [() => new all.RandomZoom(0.2, undefined, { seed: 3 }), [1, 4, 4, 1]],
  RandomCrop: [() => new all.RandomCrop(2, 3, { seed: 3 }), [1, 4, 4, 1]],
  Multiply: [() => new all.Multiply(), [2, 3, 3, 4], [2, 1, 1, 4]],
  Split: [() => new all.Split([1, 3], { axis: 3 }), [1, 2, 3, 4]],
  PReLU: [() => new all.PReLU({ alphaInitializer: "glorot_uniform", sharedAxes: [1], alphaRegularizer: "l2" }), [
    1,
    3,
    2,
    4,
  ]],
  Softmax: [() => new all.Softmax(), [2, 5]],
  Identity: [() => new all.Identity(), [2, 5]],
  AddToLastChannels: [() => new all.AddToLastChannels(), [1, 2, 2, 5], [1, 2, 2, 3]],
};

function sample(shape: readonly number[], seed: number): Tensor {
  const r = seededRandom(seed);
  return new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape);
}

Deno.test("registry: every registered Keras class name has a round-trip case here", () => {
  const named = new Set(layerNames());
  for (const name of Object.keys(CASES)) assert.ok(named.has(name), `${name} is not registered`);
  for (const cls of layerClasses()) {
    const own = Object.hasOwn(cls, "className") ? cls.className! : cls.name;
    assert.ok(CASES[own], `no round-trip case for ${own}`);
  }
});

for (const [name, [make, ...shapes]] of Object.entries(CASES)) {
  Deno.test(`${name}: config round trip (same config, same inference output with the same weights)`, () => {
    const layer = make().seed(seededRandom(1));
    const xs = shapes.map((s, i) => sample(s, 10 + i));
    const run = (l: Layer) => noGrad(() => l.applyOutputs(xs.length === 1 ? xs[0] : xs));
    const y = run(layer);
    const config = serializeLayer(layer);
    assert.equal(config.class_name, name);
    const again = deserializeLayer(JSON.parse(JSON.stringify(config)));
    assert.equal(again.constructor, layer.constructor);
    run(again);
    assert.deepEqual(serializeLayer(again), config);
    again.setWeights(layer.weights.map((w) => w.variable));
    const y2 = run(again);
    assert.deepEqual(y2.map((t) => t.shape), y.map((t) => t.shape));
    assert.deepEqual(y2.map((t) => [...t.data]), y.map((t) => [...t.data]));
  });
}

/**
 * Central differences of L = Σ layer(x)·r for a few entries of x and of
 * every weight, against the tape's gradients (float32 values: h = 1e-2
 * with a quadratic-free loss keeps the truncation error at rounding level).
 */
function checkLayerGradients(layer: Layer, shape: number[]): void {
  const x = sample(shape, 21), y0 = noGrad(() => layer.apply(x));
  const r = sample(y0.shape, 22);
  const loss = () => ops.sum(ops.mul(layer.apply(x, { training: true }), r));
  const vars = [x, ...layer.weights.map((w) => w.variable)];
  const { grads } = valueAndGrads(loss, vars);
  const value = () => noGrad(() => loss()).item();
  vars.forEach((v, k) => {
    const picks = [0, Math.floor(v.size / 2), v.size - 1, Math.floor(v.size / 3)];
    for (const i of picks) {
      const keep = v.data[i], h = 1e-2;
      v.data[i] = keep + h;
      const up = value();
      v.data[i] = keep - h;
      const down = value();
      v.data[i] = keep;
      const numeric = (up - down) / (2 * h), analytic = grads[k].data[i];
      assert.ok(
        Math.abs(numeric - analytic) <= 2e-3 * (1 + Math.abs(numeric)),
        `${layer.name} ${k === 0 ? "input" : layer.weights[k - 1].variable.name}[${i}]: ${analytic} vs ${numeric}`,
      );
    }
  });
}

const NEW: [string, () => Layer, number[]][] = [
  ["SeparableConv1D", () => new all.SeparableConv1D(3, 3, { padding: "same", depthMultiplier: 2 }), [2, 5, 2]],
  ["Conv3D", () => new all.Conv3D(2, [2, 2, 1], { padding: "same", strides: [1, 2, 1], groups: 2 }), [1, 3, 4, 3, 2]],
  ["Conv3DTranspose", () => new all.Conv3DTranspose(2, 2, { strides: 2, outputPadding: 1 }), [1, 2, 2, 2, 2]],
  ["LocallyConnected1D", () => new all.LocallyConnected1D(2, 2, { strides: 2 }), [2, 5, 3]],
  ["LocallyConnected2D", () => new all.LocallyConnected2D(2, [2, 1]), [1, 3, 3, 2]],
];

for (const [name, make, shape] of NEW) {
  Deno.test(`${name}: gradients for input, kernels and bias match central differences`, () => {
    const layer = make().seed(seededRandom(4));
    noGrad(() => layer.apply(sample(shape, 1)));
    // A non-zero bias, so its gradient is checked away from the initial zeros too.
    layer.weights.at(-1)!.variable.assign(sample(layer.weights.at(-1)!.variable.shape, 5).data);
    checkLayerGradients(layer, shape);
  });
}

Deno.test("larq's new layers train: binary QuantConv3D and QuantLocallyConnected2D reduce a loss with STE", () => {
  for (
    const [layer, shape] of [
      [new all.QuantConv3D(2, 2, bin), [4, 3, 3, 3, 2]],
      [new all.QuantLocallyConnected2D(2, 2, bin), [4, 4, 4, 2]],
      [new all.QuantSeparableConv1D(2, 2, binSep), [4, 6, 2]],
    ] as [Layer, number[]][]
  ) {
    layer.seed(seededRandom(2));
    const x = sample(shape, 3);
    const target = ops.mul(noGrad(() => layer.apply(x)), -1);
    const loss = () => ops.mean(ops.square(ops.sub(layer.apply(x, { training: true }), target)));
    const first = noGrad(loss).item();
    for (let step = 0; step < 30; step++) {
      const { grads } = valueAndGrads(loss, layer.weights.map((w) => w.variable));
      layer.weights.forEach((w, i) => w.variable.assign(ops.sub(w.variable, ops.mul(grads[i], 0.05))));
    }
    assert.ok(noGrad(loss).item() < first, `${layer.name}: ${noGrad(loss).item()} vs ${first}`);
  }
});

Deno.test("the converter refuses 3-D and locally connected layers with the reason, and converts QuantSeparableConv1D", () => {
  for (const layer of [new all.QuantConv3D(2, 2, bin), new all.QuantLocallyConnected2D(2, 2, bin)]) {
    const shape = layer instanceof all.QuantConv3D ? [3, 4, 4, 2] : [4, 4, 2];
    const x = input(shape);
    const model = new Model(x, layer.apply(x));
    assert.throws(() => convert(model), /no 3-D convolution|no locally connected op/);
  }
  const x = input([9, 8]);
  const sep = new all.QuantSeparableConv1D(32, 3, { ...binSep, padding: "same", padValues: 1 }).seed(seededRandom(7));
  const model = new Model(x, sep.apply(x));
  const { bytes, report } = convert(model);
  // LCE has no binary depthwise convolution: the layer runs as float ops (as QuantSeparableConv2D does).
  assert.deepEqual(report.layers[0].ops.slice(-2), ["DEPTHWISE_CONV_2D", "CONV_2D"]);
  const xs = sample([1, 9, 8], 8);
  const want = model.apply(xs);
  const got = Interpreter.fromBytes(bytes, { backend: "reference" }).invoke([
    xs.data as Float32Array,
  ])[0] as Float32Array;
  for (let i = 0; i < want.size; i++) {
    assert.ok(Math.abs(got[i] - want.data[i]) < 1e-4, `${i}: ${got[i]} vs ${want.data[i]}`);
  }
});

Deno.test("layers on symbolic tensors build a functional model (layer.apply(x), a list for merge layers)", () => {
  const a = input([4]), b = input([4]);
  const d = new all.Dense(4).seed(seededRandom(1));
  const y = new all.Add().apply([d.apply(a), b]);
  const model = new Model([a, b], y);
  assert.deepEqual(model.layers.map((l) => l.constructor.name), ["Dense", "Add"]);
  const out = model.applyAll([Tensor.fill([2, 4], 1), Tensor.fill([2, 4], 2)])[0];
  assert.deepEqual(out.shape, [2, 4]);
  assert.throws(() => d.apply([a, Tensor.zeros([1, 4]) as never]), /mixes symbolic inputs/);
  assert.throws(() => new all.Add().apply(a), /Add needs at least two inputs/);
});

Deno.test("bad configs and options name the layer, the key and what is accepted", () => {
  assert.throws(
    () => deserializeLayer({ class_name: "QuantDense", config: { name: "qd", units: "8" } }),
    /QuantDense "qd": units must be an integer, got "8"/,
  );
  assert.throws(
    () =>
      deserializeLayer({ class_name: "Conv2D", config: { name: "c", filters: 2, kernel_size: 3, padding: "full" } }),
    /Conv2D "c": padding must be one of same, valid, got "full"/,
  );
  assert.throws(() => deserializeLayer({ class_name: "LSTM", config: { name: "l" } }), /LSTM \("l"\) is not supported/);
  assert.throws(
    () => deserializeLayer({ class_name: "QuantDense", config: { units: 2, kernel_quantizer: "ste_sgn" } }),
    /unknown quantizer "ste_sgn"/,
  );
  assert.throws(
    () => deserializeLayer({ class_name: "QuantDense", config: { units: 2, kernel_constraint: "max_norm" } }),
    /unknown constraint "max_norm"/,
  );
  assert.throws(() => new all.QuantConv3D(2, 2, { strides: 2, dilationRate: 2 }), /strides > 1 together with/);
  assert.throws(() => new all.LocallyConnected2D(2, 2, { padding: "same" as "valid" }), /must be "valid"/);
  assert.throws(() => new all.LocallyConnected1D(2, 9).apply(Tensor.zeros([1, 4, 2])), /larger than the input/);
});

Deno.test("initializers by Keras's names, class names and configs; unknown ones list the accepted forms", async () => {
  const { initialize } = await import("./initializers.ts");
  const same = (a: Parameters<typeof initialize>[0], b: Parameters<typeof initialize>[0]) =>
    assert.deepEqual([...initialize(a, [3, 4], seededRandom(9)).data], [
      ...initialize(b, [3, 4], seededRandom(9)).data,
    ]);
  same("glorot_uniform", "GlorotUniform");
  same("he_normal", { class_name: "HeNormal", config: { seed: null } });
  same({ constant: 0.5 }, { class_name: "Constant", config: { value: 0.5 } });
  assert.deepEqual([...initialize("Ones", [2], Math.random).data], [1, 1]);
  assert.throws(() => initialize("orthogonal" as never, [2, 2], Math.random), /unknown initializer "orthogonal"; use/);
  const d = new all.Dense(2, { kernelInitializer: "Zeros" });
  d.apply(Tensor.zeros([1, 3]));
  assert.ok(d.kernel.data.every((v) => v === 0));
});

/** The config keys of Keras's own classes (tools/py/keras_layer_keys.py): tf-keras 2.16 with larq, and Keras 3. */
const KERAS_KEYS = JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/keras/layer_keys.json", import.meta.url)),
) as Record<"tf_keras" | "keras3", { layers: Record<string, string[] | null> }>;

Deno.test("configs have only keys Keras's own class has: float layers tf-keras's and Keras 3's, larq's layers larq's", () => {
  const checked: string[] = [];
  for (const [name, [make]] of Object.entries(CASES)) {
    const written = Object.keys(serializeLayer(make()).config);
    for (const keras of ["tf_keras", "keras3"] as const) {
      const keys = KERAS_KEYS[keras].layers[name];
      if (!keys) continue;
      assert.deepEqual(written.filter((k) => !keys.includes(k)), [], `${name}: keys ${keras} has not`);
      checked.push(name);
    }
  }
  // Every Keras float twin and larq layer was checked (TFOpLambda, Split, AddToLastChannels have no class in Keras).
  const twins = layerClasses().filter((c) => c.prototype instanceof QuantLayer).map((c) => c.name);
  assert.deepEqual(twins.filter((n) => !checked.includes(n)), []);
  assert.ok(checked.length > 50, `${checked.length} checks`);
});

Deno.test("Keras's float layers refuse larq's options by name; their configs read larq's keys at neutral values", () => {
  assert.throws(
    () => new all.Dense(2, { name: "d", inputQuantizer: "ste_sign" } as never),
    /^TypeError: layer "d": Keras's Dense has no quantizers or pad values \(got inputQuantizer "ste_sign"\); use larq's QuantDense$/,
  );
  assert.throws(
    () => new all.Conv2D(2, 3, { name: "c", padding: "same", padValues: 1 } as never),
    /layer "c": Keras's Conv2D has no quantizers or pad values \(got padValues 1\); use larq's QuantConv2D/,
  );
  assert.throws(
    () =>
      deserializeLayer({
        class_name: "SeparableConv2D",
        config: { filters: 2, kernel_size: 1, pointwise_quantizer: "ste_sign" },
      }),
    /Keras's SeparableConv2D has no quantizers or pad values \(got pointwiseQuantizer "ste_sign"\)/,
  );
  // As older onebit checkpoints wrote them: larq's keys with null and 0 read, and are not written again.
  const old = deserializeLayer({
    class_name: "DepthwiseConv2D",
    config: { name: "dw", kernel_size: 3, pad_values: 0, input_quantizer: null, depthwise_quantizer: null },
  });
  assert.equal(old.constructor, all.DepthwiseConv2D);
  assert.deepEqual(Object.keys(serializeLayer(old).config).filter((k) => /quantizer|pad_values/.test(k)), []);
  // larq's layers keep them, neutral or not.
  const quant = serializeLayer(
    new all.QuantDepthwiseConv2D(3, {
      padValues: 1,
      depthwiseQuantizer: "ste_sign",
      depthwiseConstraint: "weight_clip",
    }),
  ).config;
  assert.deepEqual([quant.pad_values, quant.input_quantizer], [1, null]);
});

Deno.test("x + y (TFOpLambda) takes two inputs of one shape", () => {
  const sum = new all.OperatorAdd({ name: "s" });
  assert.throws(
    () => sum.apply([Tensor.zeros([1, 2]), Tensor.zeros([1, 2]), Tensor.zeros([1, 2])]),
    /layer "s": x \+ y takes two inputs, got 3/,
  );
  assert.throws(() => sum.apply([Tensor.zeros([1, 2]), Tensor.zeros([1, 3])]), /shapes \[1,2\] and \[1,3\] differ/);
  assert.deepEqual([...sum.apply([Tensor.from([[1, 2]]), Tensor.from([[10, 20]])]).data], [11, 22]);
});
