/**
 * What `deno task inspect` says about a file: enum options by name (files
 * written by TensorFlow's and LCE's converters, committed as fixtures), the
 * schema's enum tables, the graph description for the picture, and the
 * `--svg` flag end to end.
 */
import assert from "node:assert/strict";
import { classOf, elements, groups, parseSvg } from "../viz/_test_svg.ts";
import { readModel } from "./reader.ts";
import { enumName, OPTION_TABLES, SCHEMA_ENUMS, TensorType, tensorTypeName } from "./schema.ts";
import { formatSummary, modelGraph, summarize } from "./summary.ts";

const fixture = (name: string) => Deno.readFileSync(new URL(`../tests/fixtures/lce/${name}.tflite`, import.meta.url));

Deno.test("summarize: enum options by name, on files TensorFlow's and LCE's converters wrote", () => {
  const q = summarize(fixture("quicknet_block"));
  const conv = q.ops.find((o) => o.op === "CONV_2D")!;
  assert.equal(conv.options.padding, "SAME");
  assert.equal(conv.options.fused_activation_function, "RELU");
  assert.equal(conv.options.quantized_bias_type, "FLOAT32");
  assert.equal(conv.options.stride_w, 2); // not an enum: stays a number
  assert.equal(q.ops.find((o) => o.op === "MAX_POOL_2D")!.options.padding, "VALID");
  assert.equal(q.ops.find((o) => o.op === "ADD")!.options.fused_activation_function, "NONE");
  // LCE's custom options: the same TFLite enums inside its flexbuffer.
  const bconv = q.ops.find((o) => o.op === "LceBconv2d")!;
  assert.equal(bconv.options.padding, "SAME");
  assert.equal(bconv.options.fused_activation_function, "RELU");
  assert.equal(bconv.options.pad_values, 1);
  assert.equal(summarize(fixture("bconv_valid_odd")).ops.find((o) => o.op === "LceBconv2d")!.options.padding, "VALID");
  assert.equal(summarize(fixture("bmaxpool")).ops.find((o) => o.op === "LceBMaxPool2d")!.options.padding, "VALID"); // MaxPool2D(2): valid
  const fc = summarize(fixture("builtins")).ops.find((o) => o.op === "FULLY_CONNECTED")!;
  assert.equal(fc.options.weights_format, "DEFAULT");
  // The two 3x3x32 -> 32 binary filters: bitpacked int32 words in the file, 4 bytes per weight as float32.
  assert.equal(q.binaryFilterBytes, 2 * 32 * 3 * 3 * 1 * 4);
  assert.equal(q.binaryFilterFloatBytes, 2 * 32 * 3 * 3 * 32 * 4);
  const text = formatSummary(q);
  assert.match(
    text,
    /Binary filters: 2\.3 KiB in this file; as float32 weights 72\.0 KiB, so the float model takes about /,
  );
  assert.match(text, /CONV_2D +padding=SAME stride_w=2 stride_h=2 fused_activation_function=RELU /);
  assert.match(text, /LceBconv2d +binary .*fused_activation_function=RELU pad_values=1 padding=SAME /);
});

Deno.test("schema enums: the values TFLite's schema gives, names for unknown values, enum fields", () => {
  // schema.fbs: enum Padding : byte { SAME, VALID }; ActivationFunctionType NONE=0 .. SIGN_BIT=5; TensorType.
  assert.deepEqual(SCHEMA_ENUMS.Padding, { SAME: 0, VALID: 1 });
  assert.deepEqual(SCHEMA_ENUMS.ActivationFunctionType, {
    NONE: 0,
    RELU: 1,
    RELU_N1_TO_1: 2,
    RELU6: 3,
    TANH: 4,
    SIGN_BIT: 5,
  });
  assert.equal(SCHEMA_ENUMS.TensorType.INT32, 2);
  assert.equal(SCHEMA_ENUMS.TensorType.BFLOAT16, 18);
  assert.equal(SCHEMA_ENUMS.MirrorPadMode.SYMMETRIC, 1);
  assert.equal(enumName("Padding", 1), "VALID");
  assert.equal(enumName("Padding", 7), "Padding 7");
  assert.equal(tensorTypeName(TensorType.INT32), "INT32");
  assert.equal(tensorTypeName(18), "BFLOAT16");
  assert.equal(tensorTypeName(99), "type 99");
  const enumOf = (table: string, field: string) =>
    OPTION_TABLES.find((t) => t.name === table)!.fields.find((f) => f.name === field)!.enum;
  assert.equal(enumOf("Conv2DOptions", "padding"), "Padding");
  assert.equal(enumOf("Conv2DOptions", "fused_activation_function"), "ActivationFunctionType");
  assert.equal(enumOf("Conv2DOptions", "stride_w"), undefined);
  assert.equal(enumOf("CastOptions", "out_data_type"), "TensorType");
  assert.equal(enumOf("LSTMOptions", "kernel_type"), "LSTMKernelType");
  assert.equal(enumOf("MirrorPadOptions", "mode"), "MirrorPadMode");
  // Every enum field's default is one of its members (the generator checks it; so does this).
  for (const t of OPTION_TABLES) {
    for (const f of t.fields) {
      if (f.enum) assert.ok(Object.values(SCHEMA_ENUMS[f.enum]).includes(f.default as never), `${t.name}.${f.name}`);
    }
  }
});

Deno.test("modelGraph: a node per op, input and output; an edge per activation read; packed int32 edges", () => {
  const m = readModel(fixture("quicknet_block"));
  const g = m.subgraphs[0];
  const d = modelGraph(m);
  assert.equal(d.nodes.length, g.operators.length + g.inputs.length + g.outputs.length);
  const ops = d.nodes.filter((n) => n.id.startsWith("op"));
  assert.deepEqual(ops.map((n) => n.kind), ops.map((n) => n.label.startsWith("Lce") ? "binary" : "float"));
  assert.equal(ops.filter((n) => n.kind === "binary").length, 4); // 2 LceQuantize + 2 LceBconv2d
  assert.equal(d.nodes.filter((n) => n.kind === "input").length, 1);
  assert.equal(d.nodes.filter((n) => n.kind === "output").length, 1);
  // Independently: every non-constant tensor an op reads is one edge, plus one per model output.
  const isConst = (t: number) => (m.buffers[g.tensors[t].buffer]?.length ?? 0) > 0;
  const reads = g.operators.reduce((s, op) => s + new Set(op.inputs.filter((t) => t >= 0 && !isConst(t))).size, 0);
  assert.equal(d.edges.length, reads + g.outputs.length);
  const packed = d.edges.filter((e) => e.packed);
  assert.equal(packed.length, 2);
  for (const e of packed) {
    assert.equal(d.nodes.find((n) => n.id === e.from)!.label, "LceQuantize");
    assert.equal(d.nodes.find((n) => n.id === e.to)!.label, "LceBconv2d");
    assert.equal(e.label, "1x8x8x1 int32");
  }
  assert.ok(d.edges.filter((e) => !e.packed).every((e) => /^\d+(x\d+)*$/.test(e.label!)), "float edges: shapes");
  assert.equal(d.nodes.find((n) => n.label === "CONV_2D")!.detail, "32x3x3x3, RELU");
});

const root = new URL("../", import.meta.url).pathname;

async function inspect(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", `${root}tflite/inspect.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("deno task inspect --svg: writes the picture, one box per op coloured by kind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const svgPath = `${dir}/graph.svg`;
    const model = `${root}tests/fixtures/lce/quicknet_block.tflite`;
    const r = await inspect([model, "--svg", svgPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /padding=SAME/);
    assert.match(r.stdout, /Graph picture: .*graph\.svg/);
    const doc = parseSvg(await Deno.readTextFile(svgPath));
    const boxes = groups(doc, "node ");
    const opBoxes = boxes.filter((b) => !/input|output/.test(classOf(b)));
    assert.equal(opBoxes.length, readModel(Deno.readFileSync(model)).subgraphs[0].operators.length);
    const labels = (cls: string) =>
      boxes.filter((b) => classOf(b) === cls).map((b) => elements(b, "text")[0].textContent);
    assert.deepEqual(labels("node binary"), ["LceQuantize", "LceBconv2d", "LceQuantize", "LceBconv2d"]);
    assert.equal(groups(doc, "edge packed").length, 2);
    assert.deepEqual(Array.from(Deno.readDirSync(dir)).map((e) => e.name), ["graph.svg"]); // no temporary left
    const json = await inspect([model, "--json"]);
    assert.equal(JSON.parse(json.stdout).ops[0].options.fused_activation_function, "RELU");
    const bad = await inspect([model, "--svg"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /inspect: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
