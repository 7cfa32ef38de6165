/**
 * Converts the converter's round-trip sweep (convert/_test_cases.ts) and
 * writes each file with a manifest of inputs and onebit's outputs, for
 * tools/py/run_lce.py to run in LCE's interpreter (files with LCE ops) or
 * LiteRT (builtins only) and compare.
 *
 *     deno run -A tools/convert_sweep.ts OUT_DIR
 */
import { CASES, opNames, runCase } from "../convert/_test_cases.ts";
import { Interpreter } from "../runtime/interpreter.ts";

const [out] = Deno.args;
if (!out) throw new TypeError("usage: convert_sweep.ts OUT_DIR");
Deno.mkdirSync(out, { recursive: true });
const b64 = (a: Float32Array) => {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
};
const models: Record<string, unknown> = {};
CASES.forEach((c, i) => {
  const { x, bytes } = runCase(c);
  const name = `case_${String(i).padStart(2, "0")}`;
  Deno.writeFileSync(`${out}/${name}.tflite`, bytes);
  const y = Interpreter.fromBytes(bytes, { backend: "reference" }).invoke([x.data as Float32Array])[0] as Float32Array;
  const it = Interpreter.fromBytes(bytes, { backend: "reference" });
  models[name] = {
    description: c.name,
    runner: opNames(bytes).some((o) => o.startsWith("Lce")) ? "LCE" : "LiteRT",
    inputs: [{ shape: x.shape, data: b64(x.data as Float32Array) }],
    outputs: [{ shape: it.outputs[0].shape, data: b64(y) }],
  };
});
Deno.writeTextFileSync(
  `${out}/manifest.json`,
  JSON.stringify({ generator: "tools/convert_sweep.ts", models }, null, 1),
);
console.log(`wrote ${CASES.length} converted models to ${out}`);
