/**
 * The committed wasm modules (kernels/wasm/, what a user importing onebit by
 * URL runs) are what the Zig sources build: `zig build wasm` into a
 * temporary prefix must reproduce all four (the threaded ones too) byte for byte. Skipped, with a
 * message, only where Zig is not installed (tools/setup.sh installs it).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";

const ROOT = new URL("..", import.meta.url).pathname;
const ZIG = `${ROOT}.tools/zig/ziglang/zig`;
const MODULES = ["onebit.wasm", "onebit_relaxed.wasm", "onebit_threads.wasm", "onebit_threads_simd128.wasm"];

Deno.test({
  name: "kernels/wasm/*.wasm are byte for byte what 'zig build wasm' makes of this tree",
  ignore: !existsSync(ZIG),
  async fn() {
    const prefix = await Deno.makeTempDir({ prefix: "onebit-wasm-" });
    try {
      const out = await new Deno.Command(ZIG, { args: ["build", "wasm", "--prefix", prefix], cwd: ROOT }).output();
      assert.equal(out.code, 0, `zig build wasm failed:\n${new TextDecoder().decode(out.stderr)}`);
      for (const name of MODULES) {
        const built = await Deno.readFile(`${prefix}/wasm/${name}`);
        const committed = await Deno.readFile(`${ROOT}kernels/wasm/${name}`);
        assert.ok(
          built.length === committed.length && built.every((b, i) => b === committed[i]),
          `kernels/wasm/${name} (${committed.length} bytes) differs from a fresh build (${built.length} bytes): ` +
            `run 'deno task build:wasm' and commit the result`,
        );
      }
    } finally {
      await Deno.remove(prefix, { recursive: true });
    }
  },
});

if (!existsSync(ZIG)) {
  console.warn(`kernels_wasm_build_test: skipped, no Zig at ${ZIG} (run tools/setup.sh to install it)`);
}
