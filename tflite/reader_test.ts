import assert from "node:assert/strict";
import { flexbuffers } from "../_deps.ts";
import { ModelFormatError } from "./errors.ts";
import { readModel } from "./reader.ts";
import { writeModel } from "./writer.ts";
import { readFlexMap } from "./flexbuffer.ts";
import { Builtin, builtinName } from "./schema.ts";

const fixtures = new URL("../tests/fixtures/lce/", import.meta.url);
const names = Object.keys(JSON.parse(Deno.readTextFileSync(new URL("manifest.json", fixtures))).models);

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

function unhex(s: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
}

Deno.test("reader decodes LCE-converted files: custom ops, options, shapes, buffers", () => {
  const m = readModel(Deno.readFileSync(new URL("bconv_chain.tflite", fixtures)));
  assert.equal(m.version, 3);
  const g = m.subgraphs[0];
  const ops = g.operators.map((op) => {
    const c = m.operatorCodes[op.opcodeIndex];
    return c.builtinCode === Builtin.CUSTOM ? c.customCode : builtinName(c.builtinCode);
  });
  assert.deepEqual(ops, ["LceQuantize", "LceBconv2d", "LceBconv2d"]);
  const first = g.operators[1];
  assert.deepEqual(flexbuffers.toObject(first.customOptions!.slice().buffer), {
    channels_in: 32,
    dilation_height_factor: 1,
    dilation_width_factor: 1,
    fused_activation_function: 0,
    pad_values: 1,
    padding: 0,
    stride_height: 1,
    stride_width: 1,
  });
  // Bitpacked output between the two convs: threshold present, multiplier and bias absent.
  assert.deepEqual(first.inputs.slice(2, 4), [-1, -1]);
  const threshold = g.tensors[first.inputs[4]];
  assert.deepEqual(threshold.shape, [64]);
  assert.equal(m.buffers[threshold.buffer].length, 64 * 4);
  assert.deepEqual(g.tensors[first.outputs[0]].shape, [1, 8, 8, 2]);
  assert.equal(m.signatureDefs[0].signatureKey, "serving_default");
});

Deno.test("writer round trip: every fixture reads back to the same model", () => {
  for (const name of names) {
    const original = readModel(Deno.readFileSync(new URL(`${name}.tflite`, fixtures)));
    const again = readModel(writeModel(original));
    assert.deepEqual(again, original, name);
  }
});

Deno.test("writer aligns buffer data to 16 bytes", () => {
  const original = readModel(Deno.readFileSync(new URL("quicknet_block.tflite", fixtures)));
  const bytes = writeModel(original);
  for (const data of readModel(bytes).buffers) {
    if (data.length > 0) assert.equal(data.byteOffset % 16, 0);
  }
});

Deno.test("FlexBuffer options: LCE's golden vectors (lce-compat.md)", () => {
  const bconv = {
    channels_in: 3,
    dilation_height_factor: 1,
    dilation_width_factor: 1,
    fused_activation_function: 0,
    pad_values: 0,
    padding: 1,
    stride_height: 1,
    stride_width: 1,
  };
  const bconvHex =
    "6368616E6E656C735F696E0064696C6174696F6E5F6865696768745F666163746F720064696C6174696F6E5F77696474685F666163746F720066757365645F61637469766174696F6E5F66756E6374696F6E007061645F76616C7565730070616464696E67007374726964655F686569676874007374726964655F776964746800088277614C3329221508010803010100000101010404040404040404102401";
  assert.equal(hex(flexbuffers.encode(bconv)), bconvHex);
  assert.deepEqual(flexbuffers.toObject(unhex(bconvHex).buffer), bconv);
  // LCE writes LceBMaxPool2d's keys in insertion order; readers must accept it.
  const poolHex =
    "70616464696E67007374726964655F7769647468007374726964655F6865696768740066696C7465725F77696474680066696C7465725F68656967687400050F1D412D3B050105020200020204040404040A2401";
  assert.deepEqual(flexbuffers.toObject(unhex(poolHex).buffer), {
    filter_height: 2,
    filter_width: 2,
    padding: 0,
    stride_height: 2,
    stride_width: 2,
  });
});

Deno.test("reader: malformed bytes raise ModelFormatError naming the field", () => {
  const good = Deno.readFileSync(new URL("bconv_same_one.tflite", fixtures));
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /too short/],
    [
      "wrong identifier",
      Uint8Array.from([...good.subarray(0, 4), 0x58, 0x58, 0x58, 0x58, ...good.subarray(8)]),
      /identifier/,
    ],
    ["truncated", good.subarray(0, good.length >> 1), /past the end|outside/],
    ["root offset past the end", Uint8Array.from([0xf0, 0xff, 0xff, 0x7f, ...good.subarray(4)]), /past the end/],
  ];
  for (const [what, bytes, pattern] of cases) {
    assert.throws(() => readModel(bytes), (e: unknown) => {
      assert(e instanceof ModelFormatError, `${what}: ${e}`);
      assert.match(e.message, pattern, what);
      return true;
    });
  }
  assert.throws(() => readModel("model.tflite" as unknown as Uint8Array), TypeError);
});

Deno.test("readFlexMap: LCE's goldens and every fixture's options decode as the npm decoder does", () => {
  const bconvHex =
    "6368616E6E656C735F696E0064696C6174696F6E5F6865696768745F666163746F720064696C6174696F6E5F77696474685F666163746F720066757365645F61637469766174696F6E5F66756E6374696F6E007061645F76616C7565730070616464696E67007374726964655F686569676874007374726964655F776964746800088277614C3329221508010803010100000101010404040404040404102401";
  assert.deepEqual(readFlexMap(unhex(bconvHex), "op"), flexbuffers.toObject(unhex(bconvHex).buffer));
  const poolHex =
    "70616464696E67007374726964655F7769647468007374726964655F6865696768740066696C7465725F77696474680066696C7465725F68656967687400050F1D412D3B050105020200020204040404040A2401";
  assert.deepEqual(readFlexMap(unhex(poolHex), "op"), flexbuffers.toObject(unhex(poolHex).buffer));
  for (const name of names) {
    for (const op of readModel(Deno.readFileSync(new URL(`${name}.tflite`, fixtures))).subgraphs[0].operators) {
      if (op.customOptions && op.customOptions.length > 0) {
        assert.deepEqual(readFlexMap(op.customOptions, name), flexbuffers.toObject(op.customOptions.slice().buffer));
      }
    }
  }
  // Large values, negative values, booleans.
  const m = { a: -5, b: 70000, c: -2147483648, d: 2 ** 40 };
  assert.deepEqual(readFlexMap(flexbuffers.encode(m), "op"), m);
});

Deno.test("readFlexMap refuses non-maps, nested values, strings and bad offsets with ModelFormatError, fast", () => {
  const bad = [
    new Uint8Array([1, 2]),
    flexbuffers.encode([1, 2, 3]),
    flexbuffers.encode({ a: [1, 2] }),
    flexbuffers.encode({ a: "x" }),
    flexbuffers.encode({ a: 1.5 }),
    Uint8Array.from([...flexbuffers.encode({ a: 1 })].map((b, i, all) => (i === all.length - 3 ? 0xff : b))),
  ];
  for (const bytes of bad) assert.throws(() => readFlexMap(bytes, "op 1"), ModelFormatError);
  // A deeply nested shared structure (exponential for a naive decoder) is refused at once.
  let v: unknown = [1];
  for (let i = 0; i < 10; i++) v = [v, v]; // shared when deduplicated: 2^10 paths through 10 vectors
  const shared = flexbuffers.encode({ a: v }, undefined, true, true, true);
  const t0 = performance.now();
  assert.throws(() => readFlexMap(shared, "op"), ModelFormatError);
  // Only the decoding is timed (not the encoder's walk); the bound leaves room for a loaded CI machine.
  assert(performance.now() - t0 < 1000, `took ${performance.now() - t0} ms`);
});
