/**
 * Worker threads live for the process; Deno unloads FFI libraries at exit.
 * A process that ran multi-threaded kernels must still exit cleanly (the
 * library pins itself with RTLD_NODELETE before starting workers; without
 * that, exits crashed with SIGSEGV in a spinning worker).
 */
import assert from "node:assert/strict";
import { native } from "./_backends.ts";

const script = `
import { BinaryKernels } from ${JSON.stringify(new URL("../kernels/binary_kernels.ts", import.meta.url).href)};
const k = BinaryKernels.native({ threads: 2 });
const rhs = k.packRhs(new Uint32Array(64 * 18), 64);
const lhs = new Uint32Array(3136 * 18);
for (let i = 0; i < 50; i++) k.bgemmF32(lhs, rhs);
`;

Deno.test("a process that used worker threads exits cleanly, every time", async () => {
  assert.ok(native, "native library not loaded");
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, script);
  try {
    for (let i = 0; i < 8; i++) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", file],
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      assert.equal(out.signal, null, `run ${i} died with ${out.signal}: ${new TextDecoder().decode(out.stderr)}`);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    }
  } finally {
    await Deno.remove(file);
  }
});
