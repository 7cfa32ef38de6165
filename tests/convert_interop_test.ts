/**
 * The same architectures built in larq/Keras and converted by LCE's
 * converter (tests/fixtures/lce, tools/py/lce_fixtures.py, with each
 * layer's weights in weights.json) and built here with those weights and
 * converted by onebit: the two files decode into the same graph (ops in
 * order, output shapes, options, bitpacked filters and thresholds exactly,
 * multipliers and biases to float rounding), and onebit's file gives LCE's
 * interpreter outputs.
 */
import assert from "node:assert/strict";
import { input, link } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { Sequential } from "../models/sequential.ts";
import { Tensor } from "../graph/tensor.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D, type QuantConv2DOptions } from "../layers/conv.ts";
import { Activation } from "../layers/core.ts";
import { Dense } from "../layers/dense.ts";
import { DepthwiseConv2D } from "../layers/depthwise.ts";
import { weightClip } from "../layers/layer.ts";
import { Add } from "../layers/merge.ts";
import { GlobalAveragePooling2D, MaxPool2D } from "../layers/pooling.ts";
import { convert } from "../convert/convert.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { readFlexMap } from "../tflite/flexbuffer.ts";
import type { TfliteModel } from "../tflite/model.ts";
import { readModel } from "../tflite/reader.ts";
import { builtinName } from "../tflite/schema.ts";

// ONEBIT_FIXTURES (tools/interop.sh) points at freshly regenerated fixtures.
const fixtures = Deno.env.get("ONEBIT_FIXTURES");
const dir = fixtures ? new URL(`file://${fixtures}/`) : new URL("./fixtures/lce/", import.meta.url);
const manifest = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", dir)));
const weights = JSON.parse(Deno.readTextFileSync(new URL("weights.json", dir)));

function f32(b64: string): Float32Array {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

const q = (filters: number, k: number, o: QuantConv2DOptions = {}) =>
  new QuantConv2D(filters, k, {
    inputQuantizer: "ste_sign",
    kernelQuantizer: "ste_sign",
    kernelConstraint: weightClip(),
    useBias: false,
    ...o,
  });
const sameOne: QuantConv2DOptions = { padding: "same", padValues: 1 };
const bn = () => new BatchNormalization({ momentum: 0.9 });

/** The architectures of lce_fixtures.py's models(), layer for layer. */
const ARCHITECTURES: Record<string, () => Sequential | Model> = {
  bconv_same_one: () => new Sequential([q(32, 3, sameOne), bn()]),
  bconv_same_zero: () => new Sequential([q(16, 3, { padding: "same" }), bn()]),
  bconv_valid_odd: () => new Sequential([q(40, 3, { strides: 2 }), bn()]),
  bconv_dilated: () => new Sequential([q(8, 3, { dilationRate: 2, ...sameOne }), bn()]),
  bconv_relu_bn: () => new Sequential([q(24, 3, sameOne), new Activation("relu"), bn()]),
  bconv_chain: () => new Sequential([q(64, 3, sameOne), bn(), q(40, 3, sameOne), bn()]),
  bmaxpool: () => new Sequential([q(64, 3, sameOne), bn(), new MaxPool2D(2), q(32, 3, sameOne), bn()]),
  bconv_grouped: () => new Sequential([q(32, 3, { groups: 2, ...sameOne }), bn()]),
  bconv_magnitude: () =>
    new Sequential([q(16, 1, { kernelQuantizer: "magnitude_aware_sign", kernelConstraint: null })]),
  quicknet_block: () => {
    const inp = input([16, 16, 3]);
    let x = link(new Conv2D(32, 3, { strides: 2, padding: "same", useBias: false }), inp);
    x = link(bn(), x);
    x = link(new Activation("relu"), x);
    for (let i = 0; i < 2; i++) {
      let y = link(q(32, 3, sameOne), x);
      y = link(new Activation("relu"), y);
      y = link(bn(), y);
      x = link(new Add(), x, y);
    }
    x = link(new MaxPool2D(2, { strides: 2 }), x);
    x = link(new DepthwiseConv2D(3, { padding: "same", useBias: false }), x);
    x = link(bn(), x);
    x = link(new Conv2D(64, 1, { useBias: false }), x);
    x = link(bn(), x);
    x = link(new Activation("relu"), x);
    x = link(new GlobalAveragePooling2D(), x);
    x = link(new Dense(10), x);
    return new Model(inp, x);
  },
};

interface OpView {
  op: string;
  outputs: number[][];
  options: Record<string, unknown>;
  constants: { shape: number[]; type: number; data: Uint8Array }[];
}

function view(m: TfliteModel): OpView[] {
  const g = m.subgraphs[0];
  return g.operators.map((o) => {
    const code = m.operatorCodes[o.opcodeIndex];
    return {
      op: code.customCode ?? builtinName(code.builtinCode),
      outputs: o.outputs.map((i) => g.tensors[i].shape),
      options: o.customOptions?.length ? readFlexMap(o.customOptions, "op") : { ...(o.builtinOptions ?? {}) },
      constants: o.inputs.filter((i) => i >= 0 && m.buffers[g.tensors[i].buffer]?.length).map((i) => ({
        shape: g.tensors[i].shape,
        type: g.tensors[i].type,
        data: m.buffers[g.tensors[i].buffer],
      })),
    };
  });
}

function close(a: Float32Array, b: Float32Array, what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= 1e-4 * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs LCE's ${b[i]}`);
  }
}

for (const [name, build] of Object.entries(ARCHITECTURES)) {
  Deno.test(`${name}: onebit's conversion of the larq model decodes into LCE's graph and gives LCE's outputs`, () => {
    const entry = manifest.models[name];
    const shape: number[] = entry.inputs[0].shape;
    const model = build();
    model.apply(Tensor.zeros(shape));
    const layers = model.layers.filter((l) => l.weights.length > 0);
    assert.equal(layers.length, weights[name].length, "layers with weights");
    layers.forEach((l, i) => {
      const ws = weights[name][i].weights;
      assert.equal(l.weights.length, ws.length, `${l.name}: weight count`);
      l.weights.forEach((w, j) => w.variable.assign(f32(ws[j].data)));
    });
    const { bytes } = convert(model, { inputShape: shape.slice(1) });
    const ours = view(readModel(bytes));
    const lce = view(readModel(Deno.readFileSync(new URL(`${name}.tflite`, dir))));
    assert.deepEqual(ours.map((o) => o.op), lce.map((o) => o.op), "op sequence");
    ours.forEach((o, i) => {
      const l = lce[i], where = `op ${i} (${o.op})`;
      assert.deepEqual(o.outputs, l.outputs, `${where}: output shapes`);
      assert.deepEqual(o.options, l.options, `${where}: options`);
      assert.equal(o.constants.length, l.constants.length, `${where}: constant inputs`);
      o.constants.forEach((c, k) => {
        assert.deepEqual(c.shape, l.constants[k].shape, `${where}: constant ${k} shape`);
        if (c.type === 2) {
          assert.deepEqual(c.data, l.constants[k].data, `${where}: int32 constant ${k} (bits, thresholds)`);
        } else {close(
            new Float32Array(c.data.slice().buffer),
            new Float32Array(l.constants[k].data.slice().buffer),
            `${where}: constant ${k}`,
          );}
      });
    });
    const x = f32(entry.inputs[0].data), want = f32(entry.outputs[0].data);
    const got = Interpreter.fromBytes(bytes, { backend: "reference" }).invoke([x])[0] as Float32Array;
    close(got, want, "output");
  });
}
