/**
 * The wasm backend's loader and memory (kernels/wasm.ts): the default
 * module, modules from bytes and URLs, a truncated, missing or wrong-ABI
 * module and a memory limit as typed errors naming the file or the size and
 * the fix; bound constants resident across `memory.grow` (which detaches
 * the old buffer) and unaffected by later changes to the caller's arrays.
 * The kernels' results themselves are the conformance suites' (tests/_backends.ts).
 */
import assert from "node:assert/strict";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";
import { chooseLibrary } from "../kernels/backend.ts";
import {
  defaultWasm,
  defaultWasmUrl,
  instantiateWasm,
  relaxedSimdSupported,
  WasmMemoryError,
  WasmModuleError,
} from "../kernels/wasm.ts";
import { ABI_VERSION } from "../kernels/abi.ts";

const relaxedBytes = await Deno.readFile(defaultWasmUrl(true));

/** A valid module exporting a memory and onebit_abi_version/onebit_abi_hash returning `version` and 0. */
function foreignModule(version: number): Uint8Array<ArrayBuffer> {
  const name = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  return new Uint8Array([
    ...[0, 97, 115, 109, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 0, 1, 0x7f]), // one type: () -> i32
    ...section(3, [2, 0, 0]), // two functions of it
    ...section(5, [1, 0, 1]), // one memory of one page
    ...section(7, [3, ...name("memory"), 2, 0, ...name("onebit_abi_version"), 0, 0, ...name("onebit_abi_hash"), 0, 1]),
    ...section(10, [2, 4, 0, 0x41, version & 0x3f, 0x0b, 4, 0, 0x41, 0, 0x0b]), // i32.const version; i32.const 0
  ]);
}

function rejects(reason: string, message: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof WasmModuleError, String(e));
    assert.equal(e.reason, reason);
    assert.match(e.message, message);
    return true;
  };
}

Deno.test("the default module: the relaxed-SIMD build where the engine has it, loaded on import", () => {
  const wasm = defaultWasm();
  assert.equal(wasm.backend, "wasm");
  assert.equal(wasm.relaxed, relaxedSimdSupported());
  assert.equal(wasm.path, defaultWasmUrl().href);
  assert.match(
    wasm.path,
    relaxedSimdSupported() ? /kernels\/wasm\/onebit_relaxed\.wasm$/ : /kernels\/wasm\/onebit\.wasm$/,
  );
  assert.equal(chooseLibrary("wasm"), wasm);
  const k = BinaryKernels.wasm();
  assert.equal(k.backend, "wasm");
  assert.equal(k.library, wasm.path);
  assert.deepEqual(k.ukernels().map((u) => u.name), [
    "bgemm_4x8__scalar",
    "bgemm_4x8__wasmsimd",
    "bgemm_3x16__wasmsimd",
  ]);
  assert.ok(k.peakLoop("bgemm_4x8__wasmsimd", 10) > 0, "the peak loop runs in wasm too");
});

Deno.test("instantiateWasm: from bytes and from a file URL, each its own instance", async () => {
  const fromBytes = await instantiateWasm({ bytes: relaxedBytes });
  assert.equal(fromBytes.path, "the given wasm bytes");
  const baseline = await instantiateWasm({ url: defaultWasmUrl(false) });
  assert.equal(baseline.relaxed, false);
  assert.deepEqual(
    FloatKernels.wasm({ wasm: baseline }).ukernels().map((u) => u.name),
    ["sgemm_4x8__scalar", "sgemm_4x16__wasmsimd"],
  );
  assert.notEqual(fromBytes, defaultWasm());
  const x = new Float32Array([1, -2, 3, 0]);
  const w = new Float32Array([1, 1, 1, 1, 2, 0, 0, 1]);
  for (const wasm of [fromBytes, baseline]) {
    const k = FloatKernels.wasm({ wasm });
    assert.equal(k.library, wasm.path);
    assert.deepEqual(k.sgemm(x, k.packRhs(w, 2)), new Float32Array([2, 2]));
  }
  await assert.rejects(() => instantiateWasm({}), TypeError);
});

Deno.test("a truncated, missing or wrong-ABI module is a WasmModuleError naming it and the fix", async () => {
  await assert.rejects(
    () => instantiateWasm({ bytes: relaxedBytes.subarray(0, 5000) }),
    rejects("compile", /^the given wasm bytes is not a valid WebAssembly module .*truncated or corrupt.*build:wasm/),
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/onebit.wasm`, relaxedBytes.subarray(0, relaxedBytes.length - 1));
    await assert.rejects(
      () => instantiateWasm({ url: new URL(`file://${dir}/onebit.wasm`) }),
      rejects("compile", new RegExp(`^file://${dir}/onebit\\.wasm is not a valid WebAssembly module`)),
    );
    await assert.rejects(
      () => instantiateWasm({ url: new URL(`file://${dir}/absent.wasm`) }),
      rejects("missing", /absent\.wasm not found \(.*\): restore kernels\/wasm\//),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await assert.rejects(
    () => instantiateWasm({ bytes: foreignModule(ABI_VERSION - 1) }),
    rejects(
      "abi",
      new RegExp(
        `is not the wasm build of this onebit version \\(ABI ${ABI_VERSION - 1}/0x0, expected ${ABI_VERSION}/`,
      ),
    ),
  );
  // The right version alone is not enough: the hash and every kernel must be there.
  await assert.rejects(() => instantiateWasm({ bytes: foreignModule(ABI_VERSION) }), rejects("abi", /rebuild it/));
  await assert.rejects(() => instantiateWasm({ bytes: relaxedBytes, memoryLimit: -1 }), /memoryLimit must be/);
});

Deno.test("a call the memory limit cannot hold is a WasmMemoryError with the size and the fix; the library goes on", async () => {
  const wasm = await instantiateWasm({ bytes: relaxedBytes, memoryLimit: 1 << 20 });
  const k = FloatKernels.wasm({ wasm });
  const big = new Float32Array(300_000); // 1.2 MB in, 1.2 MB out
  assert.throws(
    () => k.bindUnary(big.length, "relu").run(big, new Float32Array(big.length)),
    (e: unknown) => {
      assert.ok(e instanceof WasmMemoryError, String(e));
      assert.match(e.message, /no room for onebit_unary_f32's buffers \(2400016 bytes;.*limit 1048576.*native backend/);
      return true;
    },
  );
  const small = Float32Array.from({ length: 1000 }, (_, i) => i - 500);
  const out = new Float32Array(1000);
  k.bindUnary(1000, "relu").run(small, out);
  assert.deepEqual(out, small.map((v) => Math.max(v, 0)));
});

Deno.test("bound constants stay resident across memory.grow, and later changes to the caller's weights do not reach them", async () => {
  const wasm = await instantiateWasm({ bytes: relaxedBytes });
  const k = FloatKernels.wasm({ wasm }), ref = FloatKernels.reference();
  const depth = 64, n = 40, rows = 8;
  const w = Float32Array.from({ length: n * depth }, (_, i) => Math.sin(i));
  const x = Float32Array.from({ length: rows * depth }, (_, i) => Math.cos(i));
  const bias = Float32Array.from({ length: n }, (_, i) => i / 7);
  const packed = k.packRhs(w, n);
  const bound = k.bindSgemm(packed, { rows, bias });
  const want = ref.sgemm(x, ref.packRhs(w, n), { bias });
  const before = new Float32Array(rows * n);
  bound.run(x, before);
  assert.deepEqual(before, want);
  // Grow the memory (a 64 MB call), which detaches every view of the old buffer.
  const grownFrom = wasm.memoryBytes;
  const big = new Float32Array(8_000_000);
  k.bindUnary(big.length, "relu").run(big, new Float32Array(big.length));
  assert.ok(wasm.memoryBytes > grownFrom + 60e6, `memory grew: ${grownFrom} -> ${wasm.memoryBytes}`);
  packed.data.fill(0); // the caller reuses its array: the bound op keeps the weights it was bound with
  const after = new Float32Array(rows * n);
  bound.run(x, after);
  assert.deepEqual(after, want);
  // A one-shot call reads the array as it is now.
  assert.deepEqual(k.sgemm(x, packed, { bias }), ref.sgemm(x, packed, { bias }));
});

Deno.test("BinaryKernels.wasm: bound binary convolutions keep filter, multiplier and bias resident", async () => {
  const wasm = await instantiateWasm({ bytes: relaxedBytes });
  const k = BinaryKernels.wasm({ wasm }), ref = BinaryKernels.reference();
  const g = { inputShape: [1, 6, 6, 64] as const, kernelSize: [3, 3] as const, padding: "same" as const };
  const signs = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * s) < 0 ? -1 : 1);
  const input = ref.bitpack(signs(6 * 6 * 64, 1.3), 64);
  const filter = ref.packRhs(ref.bitpack(signs(40 * 9 * 64, 0.7), 64), 40);
  const multiplier = Float32Array.from({ length: 40 }, (_, i) => 1 + i / 10);
  const bias = Float32Array.from({ length: 40 }, (_, i) => i - 20);
  const want = ref.bconv2dF32(input, filter, { ...g, multiplier, bias });
  const bound = k.bindBconv2dF32({ ...filter, data: filter.data.slice() }, { ...g, multiplier, bias });
  const held = wasm.memoryBytes;
  for (let i = 0; i < 3; i++) {
    const out = new Float32Array(bound.outputLength);
    bound.run(input, out, new Uint32Array(bound.workspaceWords).fill(0xdeadbeef));
    assert.deepEqual(out, want);
  }
  assert.equal(wasm.memoryBytes, held, "repeated calls reuse the scratch block");
});
