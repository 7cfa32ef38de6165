/**
 * What the interpreter keeps in memory (issue #18's resident-memory target):
 * `fromBytes` reads the constants it keeps from the caller's bytes (no
 * copy), `fromFile` keeps its own copies of those only and nothing of the
 * file, both give the same outputs on every LCE fixture, and a loaded model
 * holds no more external memory than its arena, scratch and constants
 * (measured in a subprocess).
 */
import assert from "node:assert/strict";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import type { TensorData } from "../runtime/ops/_types.ts";
import type { Tensor } from "../tflite/model.ts";
import { readModel } from "../tflite/reader.ts";
import { Builtin, TensorType } from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";

const ROOT = new URL("../", import.meta.url);
const FIXTURES = new URL("tests/fixtures/lce/", ROOT);

const f32 = (name: string, shape: number[], buffer = 0): Tensor => ({
  name,
  shape,
  shapeSignature: null,
  type: TensorType.FLOAT32,
  buffer,
  quantization: null,
  isVariable: false,
});

/**
 * y = FULLY_CONNECTED(x; W [n, n], b) + c and q = LceQuantize(y): W is packed at load (not kept), c is read by
 * the ADD at run time (kept). LceQuantize's run closure holds its op context, which once kept every constant.
 */
function fcAdd(n: number, seed = 1): Uint8Array {
  const w = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i * 0.37 + seed) / n);
  const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
  const c = Float32Array.from({ length: n }, (_, i) => i % 7 - 3);
  const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer);
  return writeModel({
    version: 3,
    description: "fc+add",
    operatorCodes: [
      ...[Builtin.FULLY_CONNECTED, Builtin.ADD].map((code) => ({ builtinCode: code, customCode: null, version: 1 })),
      { builtinCode: Builtin.CUSTOM, customCode: "LceQuantize", version: 1 },
    ],
    subgraphs: [{
      name: "main",
      tensors: [
        f32("x", [1, n]),
        f32("w", [n, n], 1),
        f32("b", [n], 2),
        f32("h", [1, n]),
        f32("c", [1, n], 3),
        f32("y", [1, n]),
        { ...f32("q", [1, Math.ceil(n / 32)]), type: TensorType.INT32 },
      ],
      inputs: [0],
      outputs: [5, 6],
      operators: [
        {
          opcodeIndex: 0,
          inputs: [0, 1, 2],
          outputs: [3],
          builtinOptionsType: 8,
          builtinOptions: {},
          customOptions: null,
        },
        {
          opcodeIndex: 1,
          inputs: [3, 4],
          outputs: [5],
          builtinOptionsType: 11,
          builtinOptions: {},
          customOptions: null,
        },
        { opcodeIndex: 2, inputs: [5], outputs: [6], builtinOptionsType: 0, builtinOptions: null, customOptions: null },
      ],
    }],
    buffers: [new Uint8Array(0), bytesOf(w), bytesOf(b), bytesOf(c)],
    signatureDefs: [],
    metadata: [],
  });
}

Deno.test("fromBytes keeps views of the caller's bytes for the constants it reads at run time (no copy)", () => {
  const n = 8;
  const bytes = fcAdd(n);
  const it = Interpreter.fromBytes(bytes, { backend: "reference" });
  // Kept: c (n floats) as a view of the file; the packed W and the padded bias are the op's own.
  const packed = FloatKernels.reference().packRhs(new Float32Array(n * n), n).data.byteLength + 4 * 32;
  assert.equal(it.constantBytes, 4 * n + packed);
  const x = Float32Array.from({ length: n }, (_, i) => i - 4);
  // Changing c in the caller's bytes changes the output: the interpreter reads them, not a copy.
  const c = readModel(bytes).buffers[3];
  const cView = new Float32Array(bytes.buffer, bytes.byteOffset + c.byteOffset, n);
  cView.fill(0);
  const h = it.invoke([x])[0] as Float32Array;
  cView.fill(1000);
  const y = it.invoke([x])[0] as Float32Array;
  for (let i = 0; i < n; i++) assert.equal(y[i], Math.fround(h[i] + 1000), `y[${i}]`);
});

Deno.test("fromFile keeps copies: the file's later changes are not seen, and the constants count the same", async () => {
  const n = 8;
  const path = await Deno.makeTempFile({ suffix: ".tflite" });
  try {
    await Deno.writeFile(path, fcAdd(n));
    const it = await Interpreter.fromFile(path, { backend: "reference" });
    const x = Float32Array.from({ length: n }, (_, i) => i - 4);
    const before = it.invoke([x])[0];
    await Deno.writeFile(path, fcAdd(n, 2));
    assert.deepEqual(it.invoke([x])[0], before);
    assert.equal(it.constantBytes, Interpreter.fromBytes(fcAdd(n), { backend: "reference" }).constantBytes);
  } finally {
    await Deno.remove(path);
  }
});

/** An input of `spec`'s type and size with values of both signs, the same on every call. */
function inputFor(spec: { shape: number[]; type: string }): TensorData {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => Math.sin(i * 0.731) * 3);
  if (spec.type === "INT8") return Int8Array.from(values, (v) => Math.round(v * 40));
  if (spec.type === "INT32") return Int32Array.from(values, (v) => Math.round(v * 1e8));
  return Float32Array.from(values);
}

Deno.test("fromFile and fromBytes give the same outputs on every LCE fixture and backend (compacted constants are read right)", async () => {
  for await (const entry of Deno.readDir(FIXTURES)) {
    if (!entry.name.endsWith(".tflite")) continue;
    const path = new URL(entry.name, FIXTURES);
    for (const backend of ["reference", "auto", "wasm"] as const) {
      const viewing = Interpreter.fromBytes(await Deno.readFile(path), { backend });
      const copying = await Interpreter.fromFile(path, { backend });
      const inputs = viewing.inputs.map(inputFor);
      assert.deepEqual(copying.invoke(inputs), viewing.invoke(inputs), `${entry.name} on ${backend}`);
      assert.equal(copying.constantBytes, viewing.constantBytes, entry.name);
    }
  }
});

/** Runs `script` in a fresh Deno with --expose-gc; its last stdout line as JSON. */
async function child(script: string): Promise<Record<string, number>> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--expose-gc", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout), stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    return JSON.parse(stdout.trim().split("\n").at(-1)!);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("a model loaded with fromFile holds its arena, scratch and constants, not the file nor copies of packed weights", async () => {
  // 1024×1024 float weights: a 4 MiB file whose weights only the packed copy keeps.
  const n = 1024;
  const path = await Deno.makeTempFile({ suffix: ".tflite" });
  try {
    await Deno.writeFile(path, fcAdd(n));
    const sample = await child(`
      const { Interpreter } = await import(${JSON.stringify(new URL("runtime/interpreter.ts", ROOT).href)});
      const gc = async () => {
        for (let i = 0; i < 2; i++) {
          await new Promise((r) => setTimeout(r, 10));
          globalThis.gc();
        }
      };
      await gc();
      const base = Deno.memoryUsage();
      const it = await Interpreter.fromFile(${JSON.stringify(path)}, { backend: "auto" });
      const loaded = Deno.memoryUsage().external - base.external;
      it.invoke([new Float32Array(${n})]);
      await gc();
      const m = Deno.memoryUsage();
      console.log(JSON.stringify({
        loaded, external: m.external - base.external, rss: m.rss - base.rss,
        arena: it.arenaBytes, scratch: it.scratchBytes, constants: it.constantBytes,
      }));
    `);
    const file = (await Deno.stat(path)).size;
    const held = sample.arena + sample.scratch + sample.constants;
    // Before: every constant's copy (another 4 MiB) stayed reachable from the prepared ops' closures.
    assert(
      sample.external <= held + 1048576,
      `external memory grew by ${sample.external} bytes; arena + scratch + constants are ${held}`,
    );
    // Right after loading, before any collection: fromFile freed the file's bytes itself.
    assert(sample.loaded <= held + 1048576, `external memory right after fromFile grew by ${sample.loaded} bytes`);
    // Issue #18's budget, file + arena + 10 MiB, as a generous bound on the interpreter's share of the RSS.
    assert(sample.rss <= file + sample.arena + 10 * 1048576, `RSS grew by ${sample.rss} bytes (file ${file})`);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("without read permission the default wasm module loads at import; with it, on first use: both run", async () => {
  const wasmTs = JSON.stringify(new URL("kernels/wasm.ts", ROOT).href);
  const script = `const { defaultWasm } = await import(${wasmTs});
    const w = defaultWasm();
    console.log(JSON.stringify({ wasm: w.backend === "wasm" ? 1 : 0, same: w === defaultWasm() ? 1 : 0 }));`;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    for (const permissions of [[], ["--allow-read"]]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...permissions, file],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), { wasm: 1, same: 1 }, `${permissions}`);
    }
  } finally {
    await Deno.remove(file);
  }
});
