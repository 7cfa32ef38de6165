/**
 * Round trips: for the sweep of _test_cases.ts, the TS forward pass and our
 * interpreter on the converted file (TS reference and native kernels)
 * agree within 1e-3 (relative + absolute); the op lists prove which path
 * each model took. Goldens: LCE's FlexBuffer option bytes and threshold
 * vector. Errors: unsupported layers and quantizers name the layer.
 */
import assert from "node:assert/strict";
import { Sequential } from "../models/sequential.ts";
import type { Tensor } from "../graph/tensor.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Dense } from "../layers/dense.ts";
import { seededRandom } from "../graph/random.ts";
import { Layer } from "../layers/layer.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { summarize } from "../tflite/inspect.ts";
import { readModel } from "../tflite/reader.ts";
import { thresholds } from "./binary.ts";
import { convert, formatReport, writeFileAtomic } from "./convert.ts";
import { bconvOptions, bmaxpoolOptions } from "./emit.ts";
import { ConversionError } from "./errors.ts";
import { type Case, CASES, opNames, runCase } from "./_test_cases.ts";

/** LCE's and LiteRT's outputs on our converted sweep (tools/convert_sweep.ts + tools/py/run_lce.py --save). */
const lceOutputs = JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/convert/lce_outputs.json", import.meta.url)),
).models;

function f32(b64: string): Float32Array {
  return new Float32Array(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0").toUpperCase()).join("");
const native = Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1" ? "native" : "auto";

function check(c: Case) {
  const { x, want, bytes, report } = runCase(c);
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
  // The report (from the graph) and inspect (from the file) count the same multiply-accumulates.
  const s = summarize(bytes);
  assert.deepEqual([report.binaryMacs, report.floatMacs], [s.binaryMacs, s.floatMacs]);
  const lce = lceOutputs[c.name];
  assert.ok(lce, `no LCE/LiteRT outputs recorded for this case: run tools/interop.sh`);
  const theirs = f32(lce.outputs[0].data);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(theirs[i] - want[i]) <= 1e-3 + 1e-3 * Math.abs(want[i]),
      `${lce.runner} output ${i}: ${theirs[i]} vs ${want[i]}`,
    );
  }
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

Deno.test("convert: a two-input, two-output functional model keeps its inputs and outputs in order", async () => {
  const { input, link } = await import("../layers/symbolic.ts");
  const { Model } = await import("../models/model.ts");
  const { QuantConv2D } = await import("../layers/conv.ts");
  const { Dense, QuantDense } = await import("../layers/dense.ts");
  const { GlobalAveragePooling2D } = await import("../layers/pooling.ts");
  const { Concatenate } = await import("../layers/merge.ts");
  const { weightClip } = await import("../layers/layer.ts");
  const { Tensor } = await import("../graph/tensor.ts");
  const img = input([6, 6, 32], { name: "image" }), vec = input([5], { name: "vector" });
  const bin = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() } as const;
  let x = link(new QuantConv2D(8, 3, bin).seed(seededRandom(1)), img);
  x = link(new GlobalAveragePooling2D(), x);
  const v = link(new Dense(8, { activation: "relu" }).seed(seededRandom(2)), vec);
  const h = link(new Concatenate(), x, v);
  const out1 = link(new Dense(4, { activation: "softmax" }).seed(seededRandom(3)), h);
  const out2 = link(new QuantDense(2, bin).seed(seededRandom(4)), h);
  const model = new Model([img, vec], [out1, out2]);
  const r = seededRandom(5);
  const xs = [
    new Tensor(Float32Array.from({ length: 6 * 6 * 32 }, () => r() * 2 - 1), [1, 6, 6, 32]),
    new Tensor(Float32Array.from({ length: 5 }, () => r() * 2 - 1), [1, 5]),
  ];
  const want = model.applyAll(xs);
  const { bytes } = convert(model);
  const it = Interpreter.fromBytes(bytes, { backend: "reference" });
  assert.deepEqual(it.inputs.map((t) => t.name), ["image", "vector"]);
  const got = it.invoke(xs.map((t) => t.data as Float32Array)) as Float32Array[];
  assert.equal(got.length, 2);
  got.forEach((y, k) => {
    for (let i = 0; i < y.length; i++) {
      assert.ok(Math.abs(y[i] - want[k].data[i]) <= 1e-3 * (1 + Math.abs(want[k].data[i])), `output ${k}[${i}]`);
    }
  });
  assert.ok(opNames(bytes).includes("LceBconv2d"));
});
