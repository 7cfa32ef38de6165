/**
 * The TS side of the ABI is generated from kernels_zig/abi.zig; this fails
 * when the committed kernels/_abi_generated.ts no longer matches what the
 * generator prints (fix: deno task gen:abi), and when the built library
 * reports another ABI hash than the generated file.
 */
import assert from "node:assert/strict";
import { ABI_HASH, ABI_VERSION, symbols } from "../kernels/abi.ts";
import { native } from "./_backends.ts";

const zig = new URL("../.tools/zig/ziglang/zig", import.meta.url).pathname;
const root = new URL("..", import.meta.url).pathname;

Deno.test("kernels/_abi_generated.ts is what kernels_zig/gen_abi.zig prints", async () => {
  const out = await new Deno.Command(zig, { args: ["build", "abi"], cwd: root, stdout: "piped", stderr: "piped" })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const generated = new TextDecoder().decode(out.stdout);
  const committed = await Deno.readTextFile(new URL("../kernels/_abi_generated.ts", import.meta.url));
  assert.equal(committed, generated, "kernels/_abi_generated.ts is stale: run 'deno task gen:abi'");
});

Deno.test("the loaded library was built from the same ABI declarations", () => {
  assert.ok(native, "native library not loaded");
  assert.ok(Object.keys(symbols).length >= 10);
  assert.ok(ABI_VERSION >= 1);
  assert.ok(ABI_HASH > 0);
});
