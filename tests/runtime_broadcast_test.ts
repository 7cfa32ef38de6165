/**
 * ADD, SUB and MUL with a per-channel vector on either side (the interpreter's
 * row-loop fast path) and with general broadcasting, against a direct
 * computation, with and without a fused ReLU.
 */
import assert from "node:assert/strict";
import { Interpreter } from "../runtime/interpreter.ts";
import type { Tensor } from "../tflite/model.ts";
import { Builtin, TensorType } from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";

const t = (name: string, shape: number[], buffer = 0): Tensor => ({
  name,
  shape,
  shapeSignature: null,
  type: TensorType.FLOAT32,
  buffer,
  quantization: null,
  isVariable: false,
});

function model(
  op: "ADD" | "SUB" | "MUL",
  full: number[],
  vec: number[],
  vecFirst: boolean,
  relu: boolean,
  data: Float32Array,
) {
  const tensors = [t("x", full), t("v", vec, 1), t("y", full)];
  const inputs = vecFirst ? [1, 0] : [0, 1];
  return writeModel({
    version: 3,
    description: "broadcast",
    operatorCodes: [{ builtinCode: Builtin[op], customCode: null, version: 1 }],
    subgraphs: [{
      name: "main",
      tensors,
      inputs: [0],
      outputs: [2],
      operators: [{
        opcodeIndex: 0,
        inputs,
        outputs: [2],
        builtinOptionsType: op === "ADD" ? 11 : op === "MUL" ? 21 : 28,
        builtinOptions: { fused_activation_function: relu ? 1 : 0 },
        customOptions: null,
      }],
    }],
    buffers: [new Uint8Array(0), new Uint8Array(data.buffer.slice(0))],
    signatureDefs: [],
    metadata: [],
  });
}

Deno.test("ADD/SUB/MUL: channel vectors on either side and general broadcasts match a direct computation", () => {
  const full = [2, 3, 4, 5];
  const x = Float32Array.from({ length: 120 }, (_, i) => Math.sin(i) * 3);
  for (const vec of [[5], [1, 1, 1, 5], [1, 3, 1, 1], [4, 1]]) {
    const n = vec.reduce((a, b) => a * b, 1);
    const v = Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 2);
    const at = (i: number) => {
      // Index into v by broadcasting rules (right-aligned).
      const idx = [Math.floor(i / 60) % 2, Math.floor(i / 20) % 3, Math.floor(i / 5) % 4, i % 5];
      const vs = [...Array(4 - vec.length).fill(1), ...vec];
      let k = 0;
      for (let d = 0; d < 4; d++) k = k * vs[d] + (vs[d] === 1 ? 0 : idx[d]);
      return v[k];
    };
    for (const op of ["ADD", "SUB", "MUL"] as const) {
      for (const vecFirst of [false, true]) {
        for (const relu of [false, true]) {
          const y = Interpreter.fromBytes(model(op, full, vec, vecFirst, relu, v)).invoke([x])[0] as Float32Array;
          for (let i = 0; i < 120; i++) {
            const [a, b] = vecFirst ? [at(i), x[i]] : [x[i], at(i)];
            let want = Math.fround(op === "ADD" ? a + b : op === "SUB" ? a - b : a * b);
            if (relu) want = Math.max(want, 0);
            assert.ok(
              Object.is(y[i], want),
              `${op} vec [${vec}] first=${vecFirst} relu=${relu} at ${i}: ${y[i]} vs ${want}`,
            );
          }
        }
      }
    }
  }
});
