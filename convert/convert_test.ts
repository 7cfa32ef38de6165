/**
 * Round trips: for a sweep of small models covering every layer the
 * converter lowers and every fusion it makes, the TS forward pass and our
 * interpreter on the converted file (TS reference and native kernels)
 * agree within 1e-3 (relative + absolute); the op lists prove which path
 * each model took. Goldens: LCE's FlexBuffer option bytes and threshold
 * vector. Errors: unsupported layers and quantizers name the layer.
 */
import assert from "node:assert/strict";
import { input, link, Model } from "../graph/functional.ts";
import { Sequential } from "../graph/sequential.ts";
import { Tensor } from "../graph/tensor.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D, type QuantConv2DOptions } from "../layers/conv.ts";
import { Activation, Dropout, Flatten, Reshape } from "../layers/core.ts";
import { Dense, QuantDense } from "../layers/dense.ts";
import { DepthwiseConv2D, QuantDepthwiseConv2D } from "../layers/depthwise.ts";
import { seededRandom } from "../layers/initializers.ts";
import { Layer, weightClip } from "../layers/layer.ts";
import { Add, Concatenate } from "../layers/merge.ts";
import { AveragePooling2D, GlobalAveragePooling2D, MaxPool2D } from "../layers/pooling.ts";
import { customQuantizer } from "../quantizers/registry.ts";
import * as ops from "../graph/ops.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { readModel } from "../tflite/reader.ts";
import { thresholds } from "./binary.ts";
import { convert, formatReport, writeFileAtomic } from "./convert.ts";
import { bconvOptions, bmaxpoolOptions } from "./emit.ts";
import { ConversionError } from "./errors.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0").toUpperCase()).join("");
const native = Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1" ? "native" : "auto";

/** Random BatchNorm statistics (γ of both signs), so folding is exercised. */
function randomize(model: Model | Sequential, seed: number): void {
  const r = seededRandom(seed);
  for (const l of model.layers) {
    if (!(l instanceof BatchNormalization)) continue;
    const c = l.movingMean.size;
    const vals = (f: () => number) => Float32Array.from({ length: c }, f);
    l.movingMean.assign(vals(() => r() * 4 - 2));
    l.movingVariance.assign(vals(() => 0.5 + r() * 2));
    l.gamma?.assign(vals(() => (r() < 0.3 ? -1 : 1) * (0.2 + r())));
    l.beta?.assign(vals(() => r() * 2 - 1));
  }
}

function opNames(bytes: Uint8Array): string[] {
  const m = readModel(bytes);
  return m.subgraphs[0].operators.map((o) => {
    const c = m.operatorCodes[o.opcodeIndex];
    return c.customCode ?? Object.entries(BUILTINS).find(([, v]) => v === c.builtinCode)![0];
  });
}
import { Builtin as BUILTINS } from "../tflite/schema.ts";

interface Case {
  name: string;
  model: () => Model | Sequential;
  inputShape: number[];
  batch?: number;
  /** Ops the file must contain, in order of first appearance among them. */
  expect?: string[];
  /** Ops the file must not contain. */
  absent?: string[];
  /** A bitpacked LceBconv2d (threshold input) must be present. */
  bitpacked?: boolean;
}

const bin = (o: QuantConv2DOptions = {}): QuantConv2DOptions => ({
  inputQuantizer: "ste_sign",
  kernelQuantizer: "ste_sign",
  kernelConstraint: weightClip(),
  ...o,
});

const CASES: Case[] = [
  {
    name: "binary chain: conv → BN → conv (bitpacked output), negative γ flips weights",
    model: () =>
      new Sequential([
        new QuantConv2D(40, 3, bin({ useBias: false })),
        new BatchNormalization(),
        new QuantConv2D(16, 3, bin({ padding: "same", padValues: 1 })),
        new BatchNormalization(),
      ]),
    inputShape: [9, 9, 35],
    expect: ["LceQuantize", "LceBconv2d", "LceBconv2d"],
    absent: ["CONV_2D", "LceDequantize", "MUL"],
    bitpacked: true,
  },
  {
    name: "max pool before a binary conv becomes LceBMaxPool2d (bitpacked chain through it)",
    model: () =>
      new Sequential([
        new QuantConv2D(32, 3, bin({ padding: "same", padValues: 1 })),
        new BatchNormalization(),
        new MaxPool2D(2, { strides: 2 }),
        new QuantConv2D(8, 3, bin()),
      ]),
    inputShape: [10, 10, 32],
    expect: ["LceQuantize", "LceBconv2d", "LceBMaxPool2d", "LceBconv2d"],
    absent: ["MAX_POOL_2D"],
    bitpacked: true,
  },
  {
    name: "same-zero padding (float output, correction), stride 2, dilation 2",
    model: () =>
      new Sequential([
        new QuantConv2D(12, 3, bin({ padding: "same", strides: 2 })),
        new BatchNormalization(),
        new QuantConv2D(6, 3, bin({ padding: "same", dilationRate: 2, activation: "relu" })),
      ]),
    inputShape: [11, 9, 20],
    expect: ["LceQuantize", "LceBconv2d", "LceQuantize", "LceBconv2d", "RELU"],
  },
  {
    name: "QuickNet block: same-one conv with fused ReLU, BN folded after it, residual add",
    model: () => {
      const x = input([8, 8, 32]);
      const h = link(
        new QuantConv2D(32, 3, bin({ padding: "same", padValues: 1, activation: "relu", useBias: false })),
        x,
      );
      const b = link(new BatchNormalization(), h);
      return new Model(x, link(new Add(), b, x));
    },
    inputShape: [8, 8, 32],
    expect: ["LceQuantize", "LceBconv2d", "ADD"],
    absent: ["RELU", "MUL"],
  },
  {
    name: "magnitude_aware_sign kernel scales become the multiplier; approx_sign input",
    model: () =>
      new Sequential([
        new QuantConv2D(24, 3, {
          inputQuantizer: "approx_sign",
          kernelQuantizer: "magnitude_aware_sign",
          kernelConstraint: weightClip(),
          padding: "same",
        }),
      ]),
    inputShape: [7, 7, 33],
    expect: ["LceQuantize", "LceBconv2d"],
    absent: ["CONV_2D"],
  },
  {
    name: "binary dense chain as 1×1 binary convs (bitpacked between them), float head",
    model: () =>
      new Sequential([
        new Flatten(),
        new QuantDense(70, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() }),
        new BatchNormalization(),
        new QuantDense(40, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() }),
        new BatchNormalization(),
        new Dense(10, { activation: "softmax" }),
      ]),
    inputShape: [5, 5, 3],
    expect: ["RESHAPE", "LceQuantize", "LceBconv2d", "LceBconv2d", "FULLY_CONNECTED", "SOFTMAX"],
    bitpacked: true,
  },
  {
    name: "ste_heaviside {0,1} activations: valid and zero-padded same (same-one in packed form)",
    model: () =>
      new Sequential([
        new QuantConv2D(16, 3, {
          inputQuantizer: "ste_heaviside",
          kernelQuantizer: "ste_sign",
          kernelConstraint: weightClip(),
          padding: "same",
        }),
        new BatchNormalization(),
        new QuantConv2D(8, 3, {
          inputQuantizer: "ste_heaviside",
          kernelQuantizer: "ste_sign",
          kernelConstraint: weightClip(),
        }),
      ]),
    inputShape: [8, 8, 20],
    expect: ["SUB", "LceQuantize", "LceBconv2d", "LceBconv2d"],
    absent: ["CONV_2D"],
    bitpacked: true,
  },
  {
    name: "1-bit DoReFa activations (x > 0.5) on a dense layer and a conv",
    model: () =>
      new Sequential([
        new QuantConv2D(8, 2, {
          inputQuantizer: { class_name: "DoReFa", config: { k_bit: 1, mode: "activations" } },
          kernelQuantizer: "ste_sign",
          kernelConstraint: weightClip(),
        }),
        new Flatten(),
        new QuantDense(5, {
          inputQuantizer: { class_name: "DoReFa", config: { k_bit: 1, mode: "activations" } },
          kernelQuantizer: { class_name: "DoReFa", config: { k_bit: 1, mode: "weights" } },
          kernelConstraint: weightClip(),
        }),
      ]),
    inputShape: [4, 4, 6],
    expect: ["SUB", "LceQuantize", "LceBconv2d"],
    absent: ["CONV_2D", "FULLY_CONNECTED"],
  },
  {
    name: "grouped binary conv (2 groups of 32) and a grouped conv that must stay float (groups of 8)",
    model: () =>
      new Sequential([
        new QuantConv2D(16, 3, bin({ groups: 2, padding: "same", padValues: 1 })),
        new QuantConv2D(8, 1, bin({ groups: 2 })),
      ]),
    inputShape: [6, 6, 64],
    expect: ["LceQuantize", "LceBconv2d", "LceQuantize", "LceDequantize", "CONV_2D"],
  },
  {
    name: "binary depthwise stays a float depthwise on exact ±1 inputs",
    model: () =>
      new Sequential([
        new QuantDepthwiseConv2D(3, {
          inputQuantizer: "ste_sign",
          depthwiseQuantizer: "ste_sign",
          padding: "same",
          padValues: 1,
        }),
      ]),
    inputShape: [6, 6, 5],
    expect: ["LceQuantize", "LceDequantize", "PADV2", "DEPTHWISE_CONV_2D"],
  },
  {
    name: "float layers: conv+BN+relu6, depthwise, pools, concat, reshape, dense, activations",
    model: () => {
      const x = input([8, 8, 3]);
      let a = link(new Conv2D(8, 3, { padding: "same" }), x);
      a = link(new BatchNormalization(), a);
      a = link(new Activation("relu6"), a);
      let b = link(new DepthwiseConv2D(3, { padding: "same", depthMultiplier: 2, activation: "relu" }), x);
      b = link(new AveragePooling2D(1, { strides: 1 }), b);
      let y = link(new Concatenate(), a, b);
      y = link(new MaxPool2D(2, { padding: "same" }), y);
      y = link(new Activation("hard_tanh"), y);
      const g = link(new GlobalAveragePooling2D(), y);
      let z = link(new Reshape([2, 7]), g);
      z = link(new Dropout(0.5), z);
      z = link(new Dense(3, { activation: "tanh" }), z);
      z = link(new Flatten(), z);
      z = link(new Dense(4, { activation: "sigmoid" }), z);
      return new Model(x, z);
    },
    inputShape: [8, 8, 3],
    expect: ["CONV_2D", "DEPTHWISE_CONV_2D", "CONCATENATION", "MAX_POOL_2D", "MEAN", "FULLY_CONNECTED", "TANH"],
    absent: ["MUL", "RELU6"],
  },
  {
    name: "pad_values=1 on a float conv (no input quantizer) pads with PADV2",
    model: () =>
      new Sequential([
        new QuantConv2D(4, 3, {
          kernelQuantizer: "ste_sign",
          kernelConstraint: weightClip(),
          padding: "same",
          padValues: 1,
        }),
      ]),
    inputShape: [5, 5, 2],
    expect: ["PADV2", "CONV_2D"],
  },
  {
    name: "a custom sign quantizer is recognised by probing; batch 2",
    model: () => {
      const sign = () =>
        customQuantizer((x) => ({ value: ops.where(ops.greaterEqual(x, 0), 1, -1), grad: (dy) => dy }), {
          precision: 1,
          name: "my_sign",
        });
      return new Sequential([
        new QuantConv2D(8, 3, { inputQuantizer: sign(), kernelQuantizer: sign(), kernelConstraint: weightClip() }),
      ]);
    },
    inputShape: [5, 5, 8],
    batch: 2,
    expect: ["LceQuantize", "LceBconv2d"],
  },
];

function check(c: Case) {
  const model = c.model();
  const batch = c.batch ?? 1;
  const r = seededRandom(7);
  const x = new Tensor(Float32Array.from({ length: batch * c.inputShape.reduce((a, b) => a * b) }, () => r() * 2 - 1), [
    batch,
    ...c.inputShape,
  ]);
  model.apply(x); // builds the layers
  randomize(model, 11);
  const want = model.apply(x).data;
  const { bytes, report } = convert(model, { inputShape: c.inputShape, batch });
  const names = opNames(bytes);
  let at = -1;
  for (const e of c.expect ?? []) {
    const i = names.indexOf(e, at + 1);
    assert.ok(i > at, `${e} missing (after position ${at}) in [${names}]`);
    at = i;
  }
  for (const a of c.absent ?? []) assert.ok(!names.includes(a), `${a} present in [${names}]`);
  if (c.bitpacked) {
    const m = readModel(bytes);
    assert.ok(
      m.subgraphs[0].operators.some((o) => o.inputs.length === 5 && o.inputs[4] >= 0),
      "no bitpacked LceBconv2d",
    );
  }
  assert.ok(formatReport(report).includes("Binary MACs"));
  for (const backend of ["reference", native] as const) {
    const got = Interpreter.fromBytes(bytes, { backend }).invoke([x.data as Float32Array])[0] as Float32Array;
    assert.equal(got.length, want.length);
    for (let i = 0; i < got.length; i++) {
      const tol = 1e-3 + 1e-3 * Math.abs(want[i]);
      if (!(Math.abs(got[i] - want[i]) <= tol)) {
        assert.fail(`${backend}: output ${i} is ${got[i]}, the TS forward pass gives ${want[i]}`);
      }
    }
  }
}

for (const c of CASES) Deno.test(`convert round trip: ${c.name}`, () => check(c));

Deno.test("convert: LceBconv2d and LceBMaxPool2d options are LCE's bytes (lce-compat.md goldens)", () => {
  assert.equal(
    hex(
      bconvOptions({ channelsIn: 3, dilations: [1, 1], act: "none", padValues: 0, padding: "valid", strides: [1, 1] }),
    ),
    "6368616E6E656C735F696E0064696C6174696F6E5F6865696768745F666163746F720064696C6174696F6E5F77696474685F666163746F72" +
      "0066757365645F61637469766174696F6E5F66756E6374696F6E007061645F76616C7565730070616464696E67007374726964655F68656967" +
      "6874007374726964655F776964746800088277614C3329221508010803010100000101010404040404040404102401",
  );
  assert.equal(
    hex(bmaxpoolOptions({ padding: "same", strides: [2, 2], pool: [2, 2] })),
    "70616464696E67007374726964655F7769647468007374726964655F6865696768740066696C7465725F77696474680066696C7465725F6865" +
      "6967687400050F1D412D3B050105020200020204040404040A2401",
  );
});

Deno.test("convert: thresholds match LCE's golden vector; clamps pin or pass", () => {
  const { threshold, flip } = thresholds(
    Float32Array.from([-4, -3, -2, -1, 0, 1, 2, 3]),
    Float32Array.from([-10, 8, 0.4, 1, -0.01, 0.5, -1, 2.71]),
    4,
    "none",
  );
  assert.deepEqual([...threshold], [0, 3, 2, 2, -2147483648, 2, 1, 2]);
  assert.deepEqual(flip, [true, true, true, true, false, false, false, false]);
  // ReLU clamps raw to [0, ∞): with γ > 0 and β > 0 the output is never negative.
  assert.deepEqual([...thresholds(Float32Array.of(1, -1), Float32Array.of(0.5, 0.5), 9, "relu").threshold], [
    2147483647,
    4,
  ]);
  // Exhaustive check against the float definition on small K.
  const r = seededRandom(5);
  for (const act of ["none", "relu", "relu6", "relu_n1_to_1"] as const) {
    for (let trial = 0; trial < 50; trial++) {
      const K = 1 + Math.floor(r() * 12), g = Math.fround(r() * 4 - 2), b = Math.fround(r() * 8 - 4);
      const { threshold: [t], flip: [f] } = thresholds(Float32Array.of(g), Float32Array.of(b), K, act);
      const [lo, hi] = act === "none"
        ? [-Infinity, Infinity]
        : act === "relu"
        ? [0, Infinity]
        : act === "relu6"
        ? [0, 6]
        : [-1, 1];
      for (let acc = 0; acc <= K; acc++) {
        const raw = K - 2 * acc;
        const negative = Math.min(Math.max(raw, lo), hi) * g + b < 0;
        const accFlipped = f ? K - acc : acc;
        assert.equal(accFlipped > t, negative, `K=${K} γ=${g} β=${b} ${act} acc=${acc}`);
      }
    }
  }
});

Deno.test("convert: unsupported layers and quantizers fail with the layer's name and the fix", () => {
  class Mystery extends Layer {
    protected build() {}
    protected call(x: Tensor) {
      return x;
    }
    getConfig() {
      return { name: this.name };
    }
  }
  assert.throws(
    () => convert(new Sequential([new Mystery()]), { inputShape: [3] }),
    (e) => e instanceof ConversionError && /Mystery has no TFLite lowering; the converter supports/.test(e.message),
  );
  const tern = new Sequential([new QuantConv2D(4, 1, { inputQuantizer: "ste_tern", name: "tern_conv" })]);
  assert.throws(
    () => convert(tern, { inputShape: [3, 3, 4] }),
    (e) =>
      e instanceof ConversionError && e.layer === "tern_conv" && /ste_tern .* has no TFLite lowering/.test(e.message),
  );
  assert.throws(() => convert(new Sequential([new Dense(2)])), /pass inputShape/);
  assert.throws(
    () => convert(new Sequential([new Dense(2, { activation: "leaky_tanh", name: "lt" })]), { inputShape: [3] }),
    /layer "lt": activation "leaky_tanh" has no TFLite builtin/,
  );
  assert.throws(() => convert(new Sequential([new Dense(2)]), { inputShape: [3], batch: 0 }), /batch must be/);
});

Deno.test("convert: writeFileAtomic leaves no file behind on error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(writeFileAtomic(`${dir}/missing/out.tflite`, new Uint8Array(4)));
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    await writeFileAtomic(`${dir}/out.tflite`, Uint8Array.of(1, 2, 3));
    assert.deepEqual([...Deno.readFileSync(`${dir}/out.tflite`)], [1, 2, 3]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out.tflite"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
