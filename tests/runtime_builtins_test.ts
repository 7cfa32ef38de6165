/**
 * TFLite builtins that converted Keras models contain (MAXIMUM, MINIMUM,
 * PRELU, TRANSPOSE, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, STRIDED_SLICE,
 * DIV, SQUARED_DIFFERENCE, ABS, NEG, SQUARE, SQRT, RSQRT, EXP, LOG,
 * DEPTH_TO_SPACE, SPACE_TO_DEPTH, SLICE, SPLIT), in files
 * written by TensorFlow's converter and run by LiteRT's reference kernels
 * (tools/py/builtin_fixtures.py): our interpreter gives LiteRT's outputs bit
 * for bit on the reference and the native float kernels, 1 and 2 threads,
 * and on both wasm modules.
 * Bad perms, sizes, strides and options fail at load with a
 * ModelValidationError, non-float tensors and options we lack with an
 * UnsupportedModelError.
 */
import assert from "node:assert/strict";
import { Interpreter } from "../runtime/interpreter.ts";
import { ModelValidationError, UnsupportedModelError } from "../tflite/errors.ts";
import { readModel } from "../tflite/reader.ts";
import { builtinName, TensorType } from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";
import { floatNative, floatReference, wasmModules } from "./_backends.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";

const dir = new URL("./fixtures/builtins/", import.meta.url);
const manifest = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", dir)));

interface Data {
  shape: number[];
  data: string;
}

function f32(b64: string): Float32Array {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

/** Distance in units in the last place between two floats (0 when both are NaN). */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  const key = (i: number) => i < 0 ? -(i & 0x7fffffff) : i; // monotonic in the float's value, -0 = +0
  return Math.abs(key(bits[0]) - key(bits[1]));
}

/** ULPs each op may differ from LiteRT's reference kernels by (measured: none but LOG's 1). */
const ALLOWED_ULPS: Record<string, number> = {
  MAXIMUM: 0,
  MINIMUM: 0,
  TRANSPOSE: 0,
  PRELU: 0,
  RESIZE_NEAREST_NEIGHBOR: 0,
  RESIZE_BILINEAR: 0,
  STRIDED_SLICE: 0,
  DIV: 0,
  SQUARED_DIFFERENCE: 0,
  ABS: 0,
  NEG: 0,
  SQUARE: 0,
  SQRT: 0,
  RSQRT: 0,
  EXP: 0,
  LOG: 1, // LiteRT's logf is not correctly rounded; ours is (f64, rounded once)
  DEPTH_TO_SPACE: 0,
  SPACE_TO_DEPTH: 0,
  SLICE: 0,
  SPLIT: 0,
};

const backends = [
  { label: "reference", float: floatReference },
  ...(floatNative ? [{ label: "native", float: floatNative }] : []),
  ...wasmModules.map(({ label, wasm }) => ({ label, float: FloatKernels.wasm({ wasm }) })),
];

for (const [name, entry] of Object.entries<{ op: string; inputs: Data[]; outputs: Data[] }>(manifest)) {
  Deno.test(`builtins/${name}.tflite (${entry.op}): LiteRT's outputs`, () => {
    const bytes = Deno.readFileSync(new URL(`${name}.tflite`, dir));
    const model = readModel(bytes);
    const ops = model.subgraphs[0].operators.map((op) => builtinName(model.operatorCodes[op.opcodeIndex].builtinCode));
    assert(ops.includes(entry.op), `${name}: the converter wrote ${ops.join(", ")}, not ${entry.op}`);
    const xs = entry.inputs.map((d) => f32(d.data));
    for (const { label, float } of backends) {
      for (const numThreads of [1, 2]) {
        const it = Interpreter.fromBytes(bytes, { floatKernels: float, numThreads });
        assert.deepEqual(it.outputs.map((s) => s.shape), entry.outputs.map((d) => d.shape));
        const ys = it.invoke(xs);
        entry.outputs.forEach((d, k) => {
          const want = f32(d.data), got = ys[k] as Float32Array;
          let worst = 0;
          for (let i = 0; i < want.length; i++) worst = Math.max(worst, ulps(got[i], want[i]));
          assert(
            worst <= ALLOWED_ULPS[entry.op],
            `${name} output ${k} on ${label}/t${numThreads}: ${worst} ULP from LiteRT (allowed ${
              ALLOWED_ULPS[entry.op]
            })`,
          );
        });
      }
    }
  });
}

/** A fixture with one of its tensors or constants changed. */
function mutated(name: string, change: (m: ReturnType<typeof readModel>) => void): Uint8Array {
  const m = readModel(Deno.readFileSync(new URL(`${name}.tflite`, dir)));
  change(m);
  return writeModel(m);
}

Deno.test("TRANSPOSE: a perm that is no permutation is a ModelValidationError naming the op", () => {
  for (const perm of [[0, 0, 1, 2], [0, 1, 2, 4], [0, 1, 2]]) {
    const bytes = mutated("transpose_nhwc_nchw", (m) => {
      const g = m.subgraphs[0], op = g.operators[0];
      const t = g.tensors[op.inputs[1]];
      t.shape = [perm.length];
      m.buffers[t.buffer] = new Uint8Array(Int32Array.from(perm).buffer);
    });
    assert.throws(
      () => Interpreter.fromBytes(bytes, { backend: "reference" }),
      (e) => e instanceof ModelValidationError && /TRANSPOSE/.test(e.message) && /perm/.test(e.message),
    );
  }
});

Deno.test("MAXIMUM / PRELU / TRANSPOSE / RESIZE_* / STRIDED_SLICE on non-float tensors are an UnsupportedModelError", () => {
  for (
    const name of ["maximum_same", "prelu_rank2", "transpose_2d", "bilinear_up_plain", "nearest_up_half", "slice_basic"]
  ) {
    const bytes = mutated(name, (m) => {
      const g = m.subgraphs[0], op = g.operators[0];
      for (const i of [op.inputs[0], ...op.outputs]) g.tensors[i].type = TensorType.INT32;
    });
    assert.throws(
      () => Interpreter.fromBytes(bytes, { backend: "reference" }),
      (e) => e instanceof UnsupportedModelError && /int32|INT32/.test(e.message),
    );
  }
});

Deno.test("RESIZE_*: both align_corners and half_pixel_centers, or a bad size, is a ModelValidationError", () => {
  const cases: [string, (m: ReturnType<typeof readModel>) => void, RegExp][] = [
    ["bilinear_up_plain", (m) => {
      m.subgraphs[0].operators[0].builtinOptions = { align_corners: true, half_pixel_centers: true };
    }, /RESIZE_BILINEAR.*cannot both/],
    ["nearest_up_align", (m) => {
      m.subgraphs[0].operators[0].builtinOptions = { align_corners: true, half_pixel_centers: true };
    }, /RESIZE_NEAREST_NEIGHBOR.*cannot both/],
    ["nearest_down_plain", (m) => {
      const g = m.subgraphs[0], t = g.tensors[g.operators[0].inputs[1]];
      m.buffers[t.buffer] = new Uint8Array(Int32Array.from([0, 3]).buffer);
    }, /RESIZE_NEAREST_NEIGHBOR.*size \[0,3\]/],
  ];
  for (const [name, change, message] of cases) {
    assert.throws(
      () => Interpreter.fromBytes(mutated(name, change), { backend: "reference" }),
      (e) => e instanceof ModelValidationError && message.test(e.message),
      name,
    );
  }
});

/** slice_shrink_negative ([2, 5, 6, 3] -> a[:, -1, ::-2]) with one constant input or option changed. */
function slice(change: { input?: number; values?: number[]; options?: Record<string, number | boolean> }): Uint8Array {
  return mutated("slice_shrink_negative", (m) => {
    const op = m.subgraphs[0].operators[0];
    if (change.input !== undefined) {
      const t = m.subgraphs[0].tensors[op.inputs[change.input]];
      m.buffers[t.buffer] = new Uint8Array(Int32Array.from(change.values!).buffer);
    }
    op.builtinOptions = { ...op.builtinOptions, ...change.options };
  });
}

Deno.test("STRIDED_SLICE: zero strides and empty shrunk dims are ModelValidationErrors, ellipsis / new axis / offset unsupported", () => {
  const invalid: [Uint8Array, RegExp][] = [
    [slice({ input: 3, values: [1, 1, 0, 1] }), /STRIDED_SLICE.*strides\[2\] is 0/],
    [slice({ input: 1, values: [0, 5, 0, 0] }), /STRIDED_SLICE.*shrink_axis_mask: begin\[1\] = 5/],
  ];
  for (const [bytes, message] of invalid) {
    assert.throws(
      () => Interpreter.fromBytes(bytes, { backend: "reference" }),
      (e) => e instanceof ModelValidationError && message.test(e.message),
      String(message),
    );
  }
  for (const [option, value] of [["ellipsis_mask", 1], ["new_axis_mask", 2], ["offset", true]] as const) {
    assert.throws(
      () => Interpreter.fromBytes(slice({ options: { [option]: value } }), { backend: "reference" }),
      (e) => e instanceof UnsupportedModelError && e.message.includes(option),
      option,
    );
  }
});

Deno.test("DEPTH_TO_SPACE / SPACE_TO_DEPTH / SLICE: a bad block size or a slice past its dim is a ModelValidationError", () => {
  const constantInput = (input: number, values: number[]) => (m: ReturnType<typeof readModel>) => {
    const g = m.subgraphs[0], t = g.tensors[g.operators[0].inputs[input]];
    m.buffers[t.buffer] = new Uint8Array(Int32Array.from(values).buffer);
  };
  const cases: [string, (m: ReturnType<typeof readModel>) => void, RegExp][] = [
    ["depth_to_space_2", (m) => {
      m.subgraphs[0].operators[0].builtinOptions = { block_size: 0 };
    }, /DEPTH_TO_SPACE.*block_size must be a positive integer/],
    ["depth_to_space_2", (m) => {
      m.subgraphs[0].operators[0].builtinOptions = { block_size: 5 };
    }, /DEPTH_TO_SPACE.*does not divide into blocks of 5×5/],
    ["space_to_depth_2", (m) => {
      m.subgraphs[0].operators[0].builtinOptions = { block_size: 4 };
    }, /SPACE_TO_DEPTH.*\[2,4,6,3\].*blocks of 4×4/],
    ["slice_sizes", constantInput(1, [0, 3, 2]), /SLICE.*begin\[1\] = 3, size\[1\] = 2 is outside dim 1 \(size 4\)/],
    ["slice_sizes", constantInput(2, [-1, 2, 7]), /SLICE.*size\[2\] = 7/],
    ["slice_4d", (m) => {
      constantInput(1, [0, 0])(m);
      m.subgraphs[0].tensors[m.subgraphs[0].operators[0].inputs[1]].shape = [2];
    }, /SLICE.*begin has 2 values for an input of rank 4/],
  ];
  for (const [name, change, message] of cases) {
    assert.throws(
      () => Interpreter.fromBytes(mutated(name, change), { backend: "reference" }),
      (e) => e instanceof ModelValidationError && message.test(e.message),
      String(message),
    );
  }
});

Deno.test("SPLIT: parts that do not divide the dim, an axis out of range, a wrong output count are ModelValidationErrors", () => {
  const axis = (value: number) => (m: ReturnType<typeof readModel>) => {
    const g = m.subgraphs[0], t = g.tensors[g.operators[0].inputs[0]];
    m.buffers[t.buffer] = new Uint8Array(Int32Array.from([value]).buffer);
  };
  const cases: [(m: ReturnType<typeof readModel>) => void, RegExp][] = [
    [axis(1), /SPLIT.*dim 1 of \[1,4,5,12\] does not split into 3 equal parts/],
    [axis(4), /SPLIT.*axis 4 is out of range for rank 4/],
    [axis(-5), /SPLIT.*axis -5 is out of range for rank 4/],
    [(m) => {
      m.subgraphs[0].operators[0].builtinOptions = { num_splits: 0 };
    }, /SPLIT.*num_splits must be a positive integer, got 0/],
    [(m) => {
      m.subgraphs[0].operators[0].builtinOptions = { num_splits: 4 };
    }, /SPLIT.*has 3 outputs, expected 4/],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => Interpreter.fromBytes(mutated("split_channels", change), { backend: "reference" }),
      (e) => e instanceof ModelValidationError && message.test(e.message),
      String(message),
    );
  }
});
