/**
 * Which micro-kernel runs when a call names none: the library marks it
 * (`chosen`: the last supported, or on in-order Arm cores the kernel
 * scheduled for them; kernels_zig/select.zig and cpu.zig, whose parsing of
 * /proc/cpuinfo the Zig tests check), and ONEBIT_BGEMM_UKERNEL overrides it
 * for the native binary kernels.
 */
import assert from "node:assert/strict";
import { native } from "./_backends.ts";
import { FloatKernels } from "../kernels/float_kernels.ts";

Deno.test({
  name: "the native library marks one supported kernel of each list chosen; here, not an in-order Arm core",
  ignore: !native,
  fn: () => {
    for (const list of [native!.ukernels(), FloatKernels.native().ukernels()]) {
      const chosen = list.filter((u) => u.chosen);
      assert.equal(chosen.length, 1);
      assert.ok(chosen[0].supported);
      // No machine that runs this suite (x86-64 hosts, aarch64 under qemu) reports an A53/A55 part.
      assert.equal(chosen[0].index, list.filter((u) => u.supported).at(-1)!.index);
    }
  },
});

/** Runs a BinaryKernels.native() GEMM in a child process with ONEBIT_BGEMM_UKERNEL set. */
async function withOverride(name: string): Promise<{ code: number; stderr: string }> {
  const script = `import { BinaryKernels } from "${new URL("../kernels/binary_kernels.ts", import.meta.url)}";
const k = BinaryKernels.native();
const y = k.bgemmF32(new Uint32Array([5, 6]), k.packRhs(new Uint32Array([5, 6, 7, 8]), 2));
if (y[0] !== 64 || y[1] !== 64 - 2 * 4) throw new Error("wrong result " + y);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    env: { ONEBIT_BGEMM_UKERNEL: name },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test({
  name: "ONEBIT_BGEMM_UKERNEL: a kernel of the library runs; an unknown name is a RangeError naming the variable",
  ignore: !native,
  fn: async () => {
    const first = native!.ukernels().find((u) => u.supported)!.name;
    const ok = await withOverride(first);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await withOverride("bgemm_9x9__nope");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /RangeError: ONEBIT_BGEMM_UKERNEL=bgemm_9x9__nope names no binary micro-kernel/);
  },
});
