/**
 * Where onebit's interpreter first parts from LCE's on a model, and why:
 * every op's output becomes a model output, both interpreters run that
 * model on one input (LCE's through tools/py/lce_outputs.py), and the
 * first op whose bitpacked output differs is examined. When that op
 * binarizes a float tensor (LceQuantize) and each differing bit's input has
 * opposite signs in the two runs, the difference was born in float rounding
 * (the runtimes sum in different orders, so an activation within rounding
 * of 0 lands on the other side), not in a binary op; later binary layers
 * then spread it. The same tool by hand, op by op: tools/lce_bisect.ts.
 * @module
 */
import { Interpreter } from "../runtime/interpreter.ts";
import type { TensorData } from "../runtime/ops/_types.ts";
import { readModel } from "../tflite/reader.ts";
import { builtinName } from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";
import { sh } from "./_compare.ts";
import { python } from "./_openvino.ts";

/** The first op whose bitpacked output differs between onebit and LCE. */
export interface FirstDifference {
  /** Op index in the file. */
  op: number;
  /** Its builtin name or custom code. */
  opName: string;
  /** Differing bits, of how many. */
  bits: number;
  of: number;
  /** For a binarized float input: how many differing bits have inputs of opposite signs in the two runs. */
  oppositeSigns?: number;
  /** The largest |input| among them. */
  maxAbsInput?: number;
  /** max |onebit - LCE| / max |LCE| over that input tensor: how closely the float inputs agree. */
  inputRelDiff?: number;
  /** The largest relative difference of any float output before `op`. */
  floatRelDiffBefore: number;
}

/** `bytes` with every op's output a model output (in op order), and those outputs' tensor indices. */
function everyOutput(bytes: Uint8Array): { bytes: Uint8Array; tensors: number[] } {
  const m = readModel(bytes);
  const g = m.subgraphs[0];
  const tensors = [...new Set(g.operators.flatMap((o) => o.outputs))];
  g.outputs = tensors;
  m.signatureDefs = [];
  return { bytes: writeModel(m), tensors };
}

/** LCE's interpreter's value of every output of `bytes` on `x`. */
async function lceOutputs(bytes: Uint8Array, x: Float32Array): Promise<TensorData[]> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/model.tflite`, bytes);
    await Deno.writeFile(`${dir}/x.f32`, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    await sh(python, ["tools/py/lce_outputs.py", `${dir}/model.tflite`, `${dir}/x.f32`, dir], {
      PYTHONPATH: new URL("../tools/py", import.meta.url).pathname,
    });
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/meta.json`)) as { dtype: string }[];
    return await Promise.all(meta.map(async ({ dtype }, i) => {
      const raw = (await Deno.readFile(`${dir}/out${i}.bin`)).buffer;
      if (dtype === "float32") return new Float32Array(raw);
      if (dtype === "int32") return new Int32Array(raw);
      throw new TypeError(`lce_outputs.py: output ${i} is ${dtype}; only float32 and int32 are compared`);
    }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Indices of the bits that differ between two bitpacked tensors (word index × 32 + bit). */
export function differingBits(a: Int32Array, b: Int32Array): number[] {
  const bits: number[] = [];
  for (let w = 0; w < a.length; w++) {
    const x = a[w] ^ b[w];
    for (let bit = 0; bit < 32; bit++) if ((x >>> bit) & 1) bits.push(w * 32 + bit);
  }
  return bits;
}

/** max |a - b| / max |b|. */
function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0, s = 0;
  for (let i = 0; i < b.length; i++) (d = Math.max(d, Math.abs(a[i] - b[i]))), (s = Math.max(s, Math.abs(b[i])));
  return d / s;
}

/**
 * Where onebit (native, unfused, so every intermediate exists) first
 * differs from LCE on `bytes` for input `x`, or undefined when no
 * bitpacked tensor differs. Needs the Python venv (tools/setup_py.sh).
 */
export async function firstDifference(bytes: Uint8Array, x: Float32Array): Promise<FirstDifference | undefined> {
  const all = everyOutput(bytes);
  const ours = Interpreter.fromBytes(all.bytes, { backend: "native", fuse: false }).invoke([x]);
  const theirs = await lceOutputs(all.bytes, x);
  const m = readModel(bytes), g = m.subgraphs[0];
  const valueOf = (t: number, side: TensorData[]) => side[all.tensors.indexOf(t)];
  let floatRelDiffBefore = 0;
  for (const [k, op] of g.operators.entries()) {
    const t = op.outputs[0], a = valueOf(t, ours), b = valueOf(t, theirs);
    if (a instanceof Float32Array && b instanceof Float32Array) {
      floatRelDiffBefore = Math.max(floatRelDiffBefore, relDiff(a, b));
      continue;
    }
    if (!(a instanceof Int32Array && b instanceof Int32Array)) continue;
    const bits = differingBits(a, b);
    if (bits.length === 0) continue;
    const code = m.operatorCodes[op.opcodeIndex];
    const d: FirstDifference = {
      op: k,
      opName: code.customCode ?? builtinName(code.builtinCode),
      bits: bits.length,
      of: a.length * 32,
      floatRelDiffBefore,
    };
    const input = op.inputs[0];
    const xa = input === g.inputs[0] ? x : valueOf(input, ours),
      xb = input === g.inputs[0] ? x : valueOf(input, theirs);
    if (code.customCode === "LceQuantize" && xa instanceof Float32Array && xb instanceof Float32Array) {
      Object.assign(d, flippedInputs(bits, xa, xb, g.tensors[input].shape.at(-1)!), { inputRelDiff: relDiff(xa, xb) });
    }
    return d;
  }
  return undefined;
}

/**
 * At each differing bit of two bitpacked tensors (LSB first, ceil(C/32)
 * words per pixel) packed from float tensors `a` and `b` of `channels`
 * channels: how many inputs have opposite signs in `a` and `b` (x < 0 packs
 * as 1), and the largest |input| there.
 */
export function flippedInputs(
  bits: readonly number[],
  a: Float32Array,
  b: Float32Array,
  channels: number,
): { oppositeSigns: number; maxAbsInput: number } {
  const words = Math.ceil(channels / 32);
  let oppositeSigns = 0, maxAbsInput = 0;
  for (const bit of bits) {
    const word = Math.floor(bit / 32), pixel = Math.floor(word / words);
    const i = pixel * channels + (word % words) * 32 + (bit % 32);
    if ((a[i] < 0) !== (b[i] < 0)) oppositeSigns++;
    maxAbsInput = Math.max(maxAbsInput, Math.abs(a[i]), Math.abs(b[i]));
  }
  return { oppositeSigns, maxAbsInput };
}

/** One line: where and why onebit and LCE part. */
export function describeDifference(d: FirstDifference): string {
  const where = `first differing bits at op ${d.op} (${d.opName}): ${d.bits} of ${d.of}`;
  if (d.oppositeSigns === undefined) {
    return `${where}; float outputs before it agree to ${d.floatRelDiffBefore.toExponential(1)}`;
  }
  const cause = d.oppositeSigns === d.bits
    ? "float rounding: each flipped bit's input is within rounding of 0 and has opposite signs in the two runs"
    : `${d.bits - d.oppositeSigns} flipped bits have inputs of the same sign in both runs (a binarization bug?)`;
  return `${where}, inputs |x| <= ${d.maxAbsInput!.toExponential(1)} (the float inputs agree to ${
    d.inputRelDiff!.toExponential(1)
  }): ${cause}; later binary layers spread it`;
}
