/**
 * Bad input gets a TypeError/RangeError naming the value and the fix, on
 * every backend, before any pointer reaches native or wasm code.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { BinaryKernels } from "../kernels/binary_kernels.ts";
import { NativeLibraryError, openNative } from "../kernels/native.ts";
import { native, reference, wasm } from "./_backends.ts";

const backends = native ? [reference, native, wasm] : [reference, wasm];

Deno.test("bitpack/packRhs reject wrong types and lengths", () => {
  for (const k of backends) {
    assert.throws(() => k.bitpack(new Float32Array(5), 2), { name: "RangeError", message: /multiple of channels/ });
    assert.throws(() => k.bitpack(new Float32Array(4), 0), RangeError);
    assert.throws(() => k.bitpack(new Float32Array(4), 1.5), TypeError);
    assert.throws(() => k.bitpack([1, 2] as unknown as Float32Array, 2), {
      name: "TypeError",
      message: /Float32Array/,
    });
    assert.throws(() => k.packRhs(new Uint32Array(5), 2), RangeError);
    assert.throws(() => k.packRhs(new Uint32Array(0), 1), RangeError);
    assert.equal(k.bitpack(new Float32Array(0), 3).length, 0);
  }
});

Deno.test("bgemm rejects mismatched buffers, depths, clamps and options", () => {
  for (const k of backends) {
    const rhs = k.packRhs(new Uint32Array(6), 3); // 3 channels × 2 words
    assert.throws(() => k.bgemmF32(new Uint32Array(3), rhs), { name: "RangeError", message: /multiple of the depth/ });
    assert.throws(() => k.bgemmF32(new Uint32Array(4), rhs, { depthBits: 65 }), {
      name: "RangeError",
      message: /depthBits/,
    });
    assert.throws(() => k.bgemmF32(new Uint32Array(4), rhs, { multiplier: new Float32Array(2) }), {
      name: "RangeError",
      message: /multiplier must have 3 elements/,
    });
    assert.throws(() => k.bgemmF32(new Uint32Array(4), rhs, { out: new Float32Array(5) }), /out must have 6/);
    assert.throws(() => k.bgemmF32(new Uint32Array(4), rhs, { clampMin: 5, clampMax: 4 }), /clampMax/);
    assert.throws(() => k.bgemmF32(new Uint32Array(4), rhs, { threads: 0 }), /threads/);
    assert.throws(() => k.bgemmF32(new Uint32Array(4), rhs, { threads: 65 }), /threads/);
    assert.throws(() => k.bgemmF32(new Uint32Array(4), { ...rhs, data: new Uint32Array(3) }), /rhs.data must have 64/);
    assert.throws(() => k.bgemmB32(new Uint32Array(4), rhs, { threshold: new Int32Array(2) }), /threshold must have 3/);
    assert.throws(
      () => k.bgemmB32(new Uint32Array(4), rhs, { threshold: new Float32Array(3) as unknown as Int32Array }),
      TypeError,
    );
    assert.equal(k.bgemmF32(new Uint32Array(0), rhs).length, 0);
  }
});

Deno.test("bconv2d rejects bad geometry with the fix in the message", () => {
  for (const k of backends) {
    const filter = k.packRhs(new Uint32Array(9 * 2), 2); // 2 × 3×3×1 word
    const input = new Uint32Array(1 * 4 * 4 * 1);
    const g = { inputShape: [1, 4, 4, 8] as const, kernelSize: [3, 3] as const };
    assert.equal(k.bconv2dF32(input, filter, g).length, 2 * 2 * 2);
    assert.throws(() => k.bconv2dF32(new Uint32Array(15), filter, g), /input must have 16/);
    assert.throws(() => k.bconv2dF32(input, filter, { ...g, kernelSize: [5, 5] }), /larger than the input/);
    assert.throws(() => k.bconv2dF32(input, filter, { ...g, kernelSize: [1, 3] }), /filter depth/);
    assert.throws(() => k.bconv2dF32(input, filter, { ...g, strides: [0, 1] }), /strides\[0\]/);
    assert.throws(() => k.bconv2dF32(input, filter, { ...g, padding: "full" as "same" }), /padding must be/);
    assert.throws(() => k.bconv2dF32(input, filter, { ...g, padding: [[1, -1], [0, 0]] }), /padding \(height\) after/);
    assert.throws(
      () => k.bconv2dF32(input, filter, { ...g, padding: [[1, 1]] as unknown as [[1, 1], [1, 1]] }),
      /padding must be \[\[top, bottom\], \[left, right\]\]/,
    );
    assert.throws(
      () => k.bconv2dF32(input, filter, { ...g, kernelSize: [5, 5], padding: [[0, 0], [1, 0]] }),
      /larger than the padded input/,
    );
    assert.throws(
      () => k.bconv2dF32(input, filter, { ...g, inputShape: [1, 4, 4] as unknown as [1, 4, 4, 8] }),
      /inputShape/,
    );
  }
});

Deno.test("micro-kernel choice: unknown names and the reference backend are refused", () => {
  assert.throws(() => BinaryKernels.reference({ ukernel: "bgemm_4x8__scalar" }), /needs the native backend/);
  assert.throws(() => reference.peakLoop(0, 10), /native backend/);
  for (const n of native ? [native, wasm] : [wasm]) {
    assert.throws(() => n.with({ ukernel: "bgemm_1x1__nope" }), /unknown binary micro-kernel.*known: bgemm_/);
    assert.throws(() => n.with({ ukernel: 99 }), RangeError);
    for (const u of n.ukernels().filter((u) => !u.supported)) {
      assert.throws(() => n.with({ ukernel: u.name }), /CPU features/);
    }
  }
  // A native micro-kernel is not in the wasm module's list, and the other way round.
  assert.throws(() => wasm.with({ ukernel: "bgemm_4x16__avx2" }), /known: bgemm_4x8__scalar, bgemm_4x8__wasmsimd/);
});

Deno.test("a missing, foreign or remote library named by the caller is a NativeLibraryError with the fix", () => {
  const fails = (path: string | URL, reason: string, message: RegExp) =>
    assert.throws(() => openNative({ path }), (e: unknown) => {
      assert.ok(e instanceof NativeLibraryError, String(e));
      assert.equal(e.reason, reason);
      assert.match(e.message, message);
      return true;
    });
  fails("/nonexistent/libonebit.so", "missing", /not found at \/nonexistent\/libonebit\.so \(the path option\)/);
  const notALibrary = Deno.makeTempFileSync({ suffix: ".so" });
  Deno.writeTextFileSync(notALibrary, "not an ELF file".repeat(10));
  try {
    fails(notALibrary, "platform", /is not a shared library, this process needs an ELF|Mach-O|PE/);
  } finally {
    Deno.removeSync(notALibrary);
  }
  const foreign = Deno.build.arch === "x86_64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  const foreignLib = new URL(`../zig-out/lib/${foreign}/libonebit.so`, import.meta.url);
  if (Deno.build.os === "linux" && existsSync(foreignLib)) {
    fails(
      foreignLib,
      "platform",
      new RegExp(`an ELF ${foreign.split("-")[0]} library, this process needs an ELF ${Deno.build.arch}`),
    );
  }
  fails(
    new URL("https://example.com/libonebit.so"),
    "remote",
    /example\.com\/libonebit\.so \(the path option\) is not a file: name a local libonebit/,
  );
  // A library the caller named never falls back silently.
  assert.throws(() => BinaryKernels.auto({ path: "/nonexistent/libonebit.so" }), NativeLibraryError);
});
