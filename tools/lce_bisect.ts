/**
 * Where does onebit first differ from LCE on a model? Writes, for every op
 * k, the model truncated after k (onebit's writer) and onebit's output of
 * op k on one input; tools/py/lce_bisect.py then runs LCE's interpreter on
 * each and prints the difference per op (bit counts for bitpacked tensors).
 *
 *     deno run -A tools/lce_bisect.ts MODEL.tflite OUT_DIR
 *     .tools/venv/bin/python tools/py/lce_bisect.py OUT_DIR
 *
 * Binary networks amplify float rounding: an activation within rounding of
 * 0 packs to a different bit, and later layers spread it. This shows
 * whether a difference starts in a binary op (a bug) or in float rounding.
 */
import { randomInputs } from "../bench/bench.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { readModel } from "../tflite/reader.ts";
import { writeModel } from "../tflite/writer.ts";

const [src, out] = Deno.args;
if (!src || !out) throw new TypeError("usage: lce_bisect.ts MODEL.tflite OUT_DIR");
Deno.mkdirSync(out, { recursive: true });
const original = Deno.readFileSync(src);
const x = randomInputs(Interpreter.fromBytes(original))[0] as Float32Array;
Deno.writeFileSync(`${out}/x.f32`, new Uint8Array(x.buffer));
const count = readModel(original).subgraphs[0].operators.length;
for (let k = 0; k < count; k++) {
  const m = readModel(original);
  const g = m.subgraphs[0];
  g.operators = g.operators.slice(0, k + 1);
  g.outputs = [g.operators[k].outputs[0]];
  m.signatureDefs = [];
  const bytes = writeModel(m);
  Deno.writeFileSync(`${out}/op${k}.tflite`, bytes);
  const y = Interpreter.fromBytes(bytes).invoke([x])[0];
  Deno.writeFileSync(`${out}/ours${k}.bin`, new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
}
Deno.writeTextFileSync(
  `${out}/meta.json`,
  JSON.stringify({ model: src, ops: count, input_shape: Interpreter.fromBytes(original).inputs[0].shape }),
);
