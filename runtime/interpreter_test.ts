import assert from "node:assert/strict";
import { Interpreter } from "./interpreter.ts";
import { planArena } from "./planner.ts";
import { ModelValidationError, UnsupportedModelError } from "../tflite/errors.ts";
import type { Tensor, TfliteModel } from "../tflite/model.ts";
import { readModel } from "../tflite/reader.ts";
import { writeModel } from "../tflite/writer.ts";
import { Builtin, TensorType } from "../tflite/schema.ts";

const fixtures = new URL("../tests/fixtures/lce/", import.meta.url);

function tensor(name: string, shape: number[], type: number = TensorType.FLOAT32, buffer = 0): Tensor {
  return { name, shape, shapeSignature: null, type, buffer, quantization: null, isVariable: false };
}

/** y = relu(x) -> tanh -> relu6 on [1, n]: a chain of 3 ops. */
function chain(n = 4, code = Builtin.RELU): TfliteModel {
  return {
    version: 3,
    description: "",
    buffers: [new Uint8Array(0)],
    signatureDefs: [],
    metadata: [],
    operatorCodes: [code, Builtin.TANH, Builtin.RELU6].map((c) => ({ builtinCode: c, customCode: null, version: 1 })),
    subgraphs: [{
      name: "main",
      tensors: [tensor("x", [1, n]), tensor("a", [1, n]), tensor("b", [1, n]), tensor("y", [1, n])],
      inputs: [0],
      outputs: [3],
      operators: [0, 1, 2].map((k) => ({
        opcodeIndex: k,
        inputs: [k],
        outputs: [k + 1],
        builtinOptionsType: 0,
        builtinOptions: null,
        customOptions: null,
      })),
    }],
  };
}

Deno.test("interpreter runs a chain and checks inputs at invoke", () => {
  const it = Interpreter.fromBytes(writeModel(chain()), { backend: "reference" });
  const y = it.invoke([new Float32Array([-1, 0.5, 2, 10])])[0] as Float32Array;
  assert.deepEqual(Array.from(y), [
    0,
    Math.fround(Math.tanh(0.5)),
    Math.fround(Math.tanh(2)),
    Math.fround(Math.tanh(10)),
  ]);
  assert.deepEqual(it.invoke({ x: new Float32Array(4) })[0], new Float32Array(4));
  assert.throws(() => it.invoke([new Float32Array(3)]), RangeError);
  assert.throws(() => it.invoke([new Int32Array(4)]), TypeError);
  assert.throws(() => it.invoke({ z: new Float32Array(4) }), TypeError);
  assert.throws(() => it.invoke([]), RangeError);
  // Forgetting the inputs names what invoke takes (it used to fail inside Object.hasOwn).
  assert.throws(() => (it.invoke as (x?: unknown) => unknown)(), /invoke takes an array of inputs/);
  assert.throws(() => it.invoke(new Float32Array(4) as never), /not one typed array/);
});

Deno.test("interpreter options are validated", () => {
  const bytes = writeModel(chain());
  assert.throws(() => Interpreter.fromBytes(bytes, { numThreads: 0 }), RangeError);
  assert.throws(() => Interpreter.fromBytes(bytes, { numThreads: 1.5 }), RangeError);
  assert.throws(() => Interpreter.fromBytes(bytes, { backend: "gpu" as "auto" }), TypeError);
});

Deno.test("an unsupported op fails at load with its index and name", () => {
  const bytes = writeModel(chain(4, Builtin.LSTM));
  assert.throws(() => Interpreter.fromBytes(bytes), (e: unknown) => {
    assert(e instanceof UnsupportedModelError);
    assert.match(e.message, /operator 0 \(LSTM\).*no kernel for LSTM/);
    return true;
  });
});

Deno.test("a declared output shape the op does not compute is rejected", () => {
  const m = chain();
  m.subgraphs[0].tensors[2].shape = [1, 5];
  assert.throws(() => Interpreter.fromBytes(writeModel(m)), (e: unknown) => {
    assert(e instanceof ModelValidationError);
    assert.match(e.message, /operator 1 \(TANH\)/);
    return true;
  });
});

Deno.test("graph validation: out-of-order ops, bad indices, wrong constant sizes", () => {
  const swapped = chain();
  swapped.subgraphs[0].operators.reverse();
  assert.throws(() => Interpreter.fromBytes(writeModel(swapped)), /before any earlier operator produces it/);
  const badIndex = chain();
  badIndex.subgraphs[0].operators[1].inputs = [17];
  assert.throws(() => Interpreter.fromBytes(writeModel(badIndex)), /refers to tensor 17/);
  const badConst = chain();
  badConst.buffers.push(new Uint8Array(12));
  badConst.subgraphs[0].tensors[1].buffer = 1;
  assert.throws(() => Interpreter.fromBytes(writeModel(badConst)), ModelValidationError);
  const negative = chain();
  negative.subgraphs[0].tensors[0].shape = [-1, 4];
  assert.throws(() => Interpreter.fromBytes(writeModel(negative)), /negative dimension/);
});

Deno.test("planner: tensors with disjoint lifetimes share memory", () => {
  const plan = planArena([
    { bytes: 100, first: 0, last: 1 },
    { bytes: 100, first: 1, last: 2 },
    { bytes: 100, first: 2, last: 3 },
  ]);
  assert.equal(plan.size, 256);
  assert.equal(plan.offsets[0], plan.offsets[2]);
  assert.notEqual(plan.offsets[0], plan.offsets[1]);
  // The 3-op chain keeps at most two activations alive at once.
  const it = Interpreter.fromBytes(writeModel(chain(1000)), { backend: "reference" });
  assert(it.arenaBytes <= 2 * 4096 + 64, `arena ${it.arenaBytes}`);
});

Deno.test("planner: tensors alive at the same time never overlap (random lifetimes)", () => {
  let s = 7;
  const rand = (n: number) => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n;
  for (let round = 0; round < 200; round++) {
    const ts = Array.from({ length: 1 + rand(30) }, () => {
      const first = rand(20);
      return { bytes: rand(5000), first, last: first + rand(6) };
    });
    const { offsets, size } = planArena(ts);
    ts.forEach((a, i) => {
      assert(offsets[i] % 64 === 0 && offsets[i] + a.bytes <= size);
      ts.forEach((b, j) => {
        if (i >= j || a.bytes === 0 || b.bytes === 0 || a.last < b.first || b.last < a.first) return;
        const disjoint = offsets[i] + a.bytes <= offsets[j] || offsets[j] + b.bytes <= offsets[i];
        assert(disjoint, `round ${round}: tensors ${i} and ${j} overlap`);
      });
    });
  }
});

Deno.test("planner: the QuickNet-like block's arena is smaller than all its activations", () => {
  const m = readModel(Deno.readFileSync(new URL("quicknet_block.tflite", fixtures)));
  const it = Interpreter.fromBytes(Deno.readFileSync(new URL("quicknet_block.tflite", fixtures)));
  const g = m.subgraphs[0];
  const activations = g.tensors.filter((t) => m.buffers[t.buffer].length === 0);
  const total = activations.reduce((s, t) => s + 4 * t.shape.reduce((a, b) => a * b, 1), 0);
  assert(it.arenaBytes < total, `arena ${it.arenaBytes} should be below the ${total} bytes of all activations`);
});

Deno.test("interpreters are independent: interleaved invokes give each its own results", () => {
  const bytes = Deno.readFileSync(new URL("bconv_chain.tflite", fixtures));
  const a = Interpreter.fromBytes(bytes), b = Interpreter.fromBytes(bytes, { numThreads: 2 });
  const x1 = Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i)),
    x2 = Float32Array.from({ length: 2048 }, (_, i) => Math.cos(i));
  const y1 = a.invoke([x1])[0];
  const y2 = b.invoke([x2])[0];
  assert.deepEqual(a.invoke([x1])[0], y1);
  assert.deepEqual(b.invoke([x2])[0], y2);
  assert.notDeepEqual(y1, y2);
});

Deno.test("profile: one entry per op (fused ones named by their parts), times accumulate", () => {
  const it = Interpreter.fromBytes(Deno.readFileSync(new URL("quicknet_block.tflite", fixtures)), { profile: true });
  it.invoke([new Float32Array(16 * 16 * 3).fill(0.5)]);
  const p = it.profile();
  // LCE's 12 operators; its two residual blocks run fused (index: the file operator each entry starts at).
  assert.deepEqual(
    p.map((o) => `${o.index}:${o.op}`).join(" "),
    "0:CONV_2D 1:LceQuantize 2:LceBconv2d+ADD+LceQuantize 5:LceBconv2d+ADD 7:MAX_POOL_2D 8:DEPTHWISE_CONV_2D " +
      "9:CONV_2D 10:MEAN 11:FULLY_CONNECTED",
  );
  assert(p.every((o) => o.total_ms >= 0 && o.invocations === 1));
  const unfused = Interpreter.fromBytes(Deno.readFileSync(new URL("quicknet_block.tflite", fixtures)), {
    profile: true,
    fuse: false,
  });
  unfused.invoke([new Float32Array(16 * 16 * 3).fill(0.5)]);
  assert.equal(unfused.profile().length, 12);
  assert.throws(() => Interpreter.fromBytes(writeModel(chain())).profile(), /profile: true/);
});

Deno.test("constants that every consumer packed are not kept twice", () => {
  const bytes = Deno.readFileSync(new URL("bconv_chain.tflite", fixtures));
  const fileConstants = readModel(bytes).buffers.reduce((n, b) => n + b.length, 0);
  const it = Interpreter.fromBytes(bytes);
  // Packed filters equal the file's words; per-channel arrays are padded to blocks of 32.
  assert(it.constantBytes < 1.5 * fileConstants, `kept ${it.constantBytes} bytes of ${fileConstants}`);
  assert(it.constantBytes >= fileConstants * 0.9, `kept ${it.constantBytes} bytes of ${fileConstants}`);
});

Deno.test("more graph validation: constant model inputs, other schema versions, wrong option types, NaN sizes, float64", () => {
  const constInput = chain();
  constInput.buffers.push(new Uint8Array(16));
  constInput.subgraphs[0].tensors[0].buffer = 1;
  assert.throws(() => Interpreter.fromBytes(writeModel(constInput)), /model input but has constant data/);
  const v2 = chain();
  v2.version = 2;
  assert.throws(() => Interpreter.fromBytes(writeModel(v2)), UnsupportedModelError);
  const wrongOptions = chain();
  wrongOptions.subgraphs[0].operators[0].builtinOptionsType = 1; // Conv2DOptions on RELU
  wrongOptions.subgraphs[0].operators[0].builtinOptions = { padding: 0, stride_w: 1, stride_h: 1 };
  assert.throws(() => Interpreter.fromBytes(writeModel(wrongOptions)), /union type 1, RELU takes type 0/);
  const nan = chain();
  nan.subgraphs[0].tensors.push(tensor("huge", [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 0]));
  const nanBytes = writeModel(nan);
  // The product is 0 here, which is fine; a product of huge and NaN-prone dims must never load as NaN.
  assert.equal(Interpreter.fromBytes(nanBytes).arenaBytes, 2 * 64);
  const f64 = chain();
  f64.buffers.push(new Uint8Array(16));
  f64.subgraphs[0].tensors.push(tensor("unused", [2], TensorType.FLOAT64, 1));
  assert.doesNotThrow(() => Interpreter.fromBytes(writeModel(f64)));
  const it = Interpreter.fromBytes(writeModel(chain()));
  assert.throws(() => it.invoke(new Float32Array(4) as unknown as Float32Array[]), /array of inputs/);
  assert.throws(
    () => it.invoke({ constructor: new Float32Array(4) } as Record<string, Float32Array>),
    /missing input "x"/,
  );
});
