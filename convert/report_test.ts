/**
 * The conversion report's answers to LCE users' questions: the float twin
 * (same function, every layer float, its size beside the file's), the
 * BatchNorm→ReLU order hint (fires on the bad order only), the HTML table
 * (a row per layer, binary marked, the reason beside float layers), and the
 * per-layer latency measured with the runtime.
 */
import assert from "node:assert/strict";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { Activation, Flatten } from "../layers/core.ts";
import { QuantDense } from "../layers/dense.ts";
import { weightClip } from "../layers/layer.ts";
import { Tensor } from "../graph/tensor.ts";
import { Sequential } from "../models/sequential.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { readModel } from "../tflite/reader.ts";
import { Builtin, tensorTypeName } from "../tflite/schema.ts";
import { summarize } from "../tflite/summary.ts";
import { JUPYTER_DISPLAY } from "../viz/html.ts";
import { NODE_COLORS } from "../viz/graph.ts";
import { BN_RELU_COST, convert, formatReport } from "./convert.ts";
import { measureLayers } from "./measure.ts";
import { BINARY_CONV, bnReluBlock, type BnReluOrder } from "./_test_blocks.ts";

const q = BINARY_CONV;

/** conv → (BN, ReLU in `order`) → conv, 8×8×32, with BatchNorm statistics that are not the identity. */
const block = (order: BnReluOrder) => bnReluBlock(order, [8, 8, 32], 3);

const hints = (model: Sequential) =>
  convert(model, { inputShape: [8, 8, 32], compareFloat: false }).report.layers.flatMap((l) =>
    l.guidance.filter((g) => g.includes("BatchNormalization then ReLU")).map((g) => [l.layer, g])
  );

Deno.test("hint: BatchNorm then ReLU after a binary conv fires; ReLU then BatchNorm, or no BatchNorm, does not", () => {
  const bad = block("bn_relu");
  const fired = hints(bad);
  assert.equal(fired.length, 1);
  assert.equal(fired[0][0], bad.layers[0].name); // on the convolution
  assert.ok(fired[0][1].includes(`(${bad.layers[2].name})`), "names the ReLU layer");
  assert.ok(fired[0][1].endsWith(BN_RELU_COST), "says what it costs, measured");
  assert.deepEqual(hints(block("relu_bn")), []);
  assert.deepEqual(hints(block("relu_only")), []);
  // The ops behind it: the bad order keeps a RELU and a second LceQuantize; the good one packs the output.
  const ops = (m: Sequential) => convert(m, { inputShape: [8, 8, 32], compareFloat: false }).report.opCounts;
  assert.deepEqual(ops(block("bn_relu")), { LceQuantize: 2, LceBconv2d: 2, RELU: 1 });
  assert.deepEqual(ops(block("relu_bn")), { LceQuantize: 1, LceBconv2d: 2 });
  // An Activation("relu") layer is the same ReLU.
  const act = new Sequential([new QuantConv2D(32, 3, q), new BatchNormalization(), new Activation("relu")], {
    seed: 1,
  });
  act.apply(Tensor.zeros([1, 8, 8, 32]));
  (act.layers[1] as BatchNormalization).beta!.assign(Tensor.from(Array.from({ length: 32 }, (_, i) => i - 16)));
  assert.equal(hints(act).length, 1);
});

Deno.test("float twin: the same function with every layer float, and its size beside the file's", () => {
  const dense = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() } as const;
  const model = new Sequential([new QuantConv2D(32, 3, q), new Flatten(), new QuantDense(10, dense)], { seed: 2 });
  const { bytes, report } = convert(model, { inputShape: [8, 8, 32], compareFloat: true });
  const twin = convert(model, { inputShape: [8, 8, 32], float: true });
  assert.equal(report.bytes, bytes.length);
  assert.equal(report.floatBytes, twin.bytes.length);
  assert.equal(twin.report.floatBytes, twin.bytes.length);
  const s = summarize(twin.bytes);
  assert.ok(!s.ops.some((o) => o.op === "LceBconv2d" || o.op === "LceBMaxPool2d"), s.ops.map((o) => o.op).join());
  assert.ok(twin.report.layers.every((l) => !l.binary));
  // The weights: float32 filters in the twin, one bit per weight (int32 words) in the binary file.
  const weights = (b: Uint8Array) => {
    const m = readModel(b), g = m.subgraphs[0];
    const filters = g.operators.filter((op) => {
      const c = m.operatorCodes[op.opcodeIndex];
      return c.customCode === "LceBconv2d" || c.builtinCode === Builtin.CONV_2D ||
        c.builtinCode === Builtin.FULLY_CONNECTED;
    }).map((op) => g.tensors[op.inputs[1]]);
    return filters.map((t) => [t.shape.join("x"), tensorTypeName(t.type), m.buffers[t.buffer].length]);
  };
  assert.deepEqual(weights(twin.bytes), [["32x3x3x32", "FLOAT32", 32 * 9 * 32 * 4], [
    "10x2048",
    "FLOAT32",
    10 * 2048 * 4,
  ]]);
  assert.deepEqual(weights(bytes), [["32x3x3x1", "INT32", 32 * 9 * 4], ["10x1x1x64", "INT32", 10 * 64 * 4]]);
  // The twin computes what the binary file computes.
  const x = new Float32Array(8 * 8 * 32).map((_, i) => Math.sin(i * 0.7));
  const [yb] = <Float32Array[]> Interpreter.fromBytes(bytes, { backend: "reference" }).invoke([x]);
  const [yf] = <Float32Array[]> Interpreter.fromBytes(twin.bytes, { backend: "reference" }).invoke([x]);
  for (let i = 0; i < yb.length; i++) assert.ok(Math.abs(yb[i] - yf[i]) <= 1e-3 * (1 + Math.abs(yb[i])), `${i}`);
  assert.match(formatReport(report), new RegExp(`float twin .* \\(${twin.bytes.length} bytes\\), [\\d.]+x this file`));
  assert.equal(convert(model, { inputShape: [8, 8, 32] }).report.floatBytes, null); // not compared by default
  // inspect's estimate from the binary file alone (its filters as float32) lands within 2% of the real twin.
  const sb = summarize(bytes);
  const estimate = sb.bytes - sb.binaryFilterBytes + sb.binaryFilterFloatBytes;
  assert.ok(Math.abs(estimate - twin.bytes.length) < 0.02 * twin.bytes.length, `${estimate} vs ${twin.bytes.length}`);
  assert.throws(() => convert(model, { float: "yes" as never }), /float must be a boolean, got yes/);
});

/** The body rows of the first HTML table, as cell texts (tags stripped), and each row's class. */
function rows(html: string): { cls: string; cells: string[] }[] {
  const body = html.slice(html.indexOf("<tbody>"), html.indexOf("</tbody>"));
  return [...body.matchAll(/<tr class="(\w+)">(.*?)<\/tr>/g)].map((r) => ({
    cls: r[1],
    cells: [...r[2].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1].replace(/<br>/g, " | ").replace(/<[^>]+>/g, "")),
  }));
}

Deno.test("report display: a row per layer, binary marked, the reason beside every float layer, the sizes", () => {
  // A float-input dense stays float (its input is not binarized); the conv is binary.
  const model = new Sequential([
    new QuantConv2D(32, 3, q),
    new Flatten(),
    new QuantDense(4, { kernelQuantizer: "ste_sign", kernelConstraint: weightClip() }),
  ], { seed: 1 });
  const { report } = convert(model, { inputShape: [6, 6, 32], compareFloat: true });
  const bundle = report[JUPYTER_DISPLAY]();
  const html = String(bundle["text/html"]);
  const r = rows(html);
  assert.equal(r.length, report.layers.length);
  assert.deepEqual(r.map((x) => x.cells[0]), report.layers.map((l) => l.layer));
  assert.deepEqual(r.map((x) => x.cls), ["binary", "float", "float"]);
  assert.deepEqual(r.map((x) => x.cells[3]), ["yes", "no", "no"]);
  assert.ok(html.includes(`background:${NODE_COLORS.binary.fill}`), "binary cells coloured as in the picture");
  assert.match(r[2].cells[4], /^not binary: its input is not binarized/);
  assert.equal(r[1].cells[4], ""); // Flatten is not a quantized layer: nothing to explain
  assert.ok(html.includes(`float twin`) && html.includes(`(${report.floatBytes} bytes)`));
  assert.match(String(bundle["text/plain"]), /dense.*float; not binary: its input is not binarized/);
  // The display is not data: JSON and key listings do not see it.
  assert.ok(!JSON.stringify(report).includes("Jupyter"));
  assert.ok(!Object.keys(report).some((k) => k.includes("display")));
  assert.equal(typeof report[JUPYTER_DISPLAY], "function");
});

Deno.test("measureLayers: per layer, binary vs float latency on the runtime; the table shows it", () => {
  const model = block("bn_relu");
  const report = measureLayers(model, { inputShape: [8, 8, 32], backend: "reference", invokes: 3, warmup: 1 });
  assert.deepEqual(report.timingSetup, { backend: "reference", threads: 1, invokes: 3 });
  const t = report.timings!;
  assert.deepEqual(Object.keys(t), model.layers.map((l) => l.name));
  const [conv, bn, relu, conv2] = model.layers.map((l) => t[l.name]);
  for (const c of [conv, conv2]) assert.ok(c.binaryMs > 0 && c.floatMs > 0, JSON.stringify(c));
  assert.deepEqual(bn, { binaryMs: 0, floatMs: 0 }); // fused into the conv in both files
  assert.ok(relu.binaryMs > 0, "the unfused RELU costs time in the binary file");
  assert.equal(relu.floatMs, 0); // fused into the float CONV_2D in the twin
  assert.ok(report.floatBytes! > report.bytes);
  const text = formatReport(report);
  assert.match(text, /Binary ms +Float ms +Speed-up/);
  assert.match(text, /median of 3 invokes with this runtime on this machine \(reference, 1 thread\)/);
  const html = String(report[JUPYTER_DISPLAY]()["text/html"]);
  assert.equal(rows(html)[0].cells.length, 8);
  assert.throws(() => measureLayers(model, { inputShape: [8, 8, 32], invokes: 0 }), RangeError);
  assert.throws(() => measureLayers(model, { inputShape: [8, 8, 32], numThreads: 1.5 }), /numThreads must be/);
});

Deno.test("deno task convert --measure: prints the report with latency columns and the float twin's size", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const root = new URL("../", import.meta.url).pathname;
    await Deno.writeTextFile(
      `${dir}/m.ts`,
      `import { QuantConv2D, Sequential, weightClip } from "${root}mod.ts";
const q = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() } as const;
export default new Sequential([new QuantConv2D(32, 3, { ...q, padding: "same", padValues: 1 })], { seed: 1 });
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-check",
        `${root}convert/cli.ts`,
        `${dir}/m.ts`,
        "-o",
        `${dir}/m.tflite`,
        "--measure",
        "--input-shape",
        "8,8,32",
      ],
      env: { ONEBIT_DEBUG: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /Layer +Class +Ops +Binary +Binary ms +Float ms +Speed-up/);
    assert.match(text, /quant_conv2d +QuantConv2D +LceQuantize, LceBconv2d +yes +[\d.]+ +[\d.]+ +[\d.]+x/);
    assert.match(text, /float twin .* bytes\), [\d.]+x this file/);
    assert.match(text, /median of 20 invokes with this runtime on this machine/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
