/**
 * The package as a registry would get it: `deno publish --dry-run` passes
 * (types, no slow types, a license) and ships the library (with its built
 * wasm modules), the Zig sources, the CLIs and the built native libraries
 * (where a URL import fetches them from), but no tests, fixtures,
 * benchmarks, examples or Python tools.
 */
import assert from "node:assert/strict";
import { platformTriple } from "../kernels/native.ts";
import { RELEASE_PLATFORMS } from "../kernels/native_release.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("deno publish --dry-run ships the library, Zig sources and CLIs, and nothing else", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /Success Dry run complete/);
  const shipped = new Set([...text.matchAll(/file:\/\/(\S+) \(/g)].map((m) => m[1].slice(ROOT.length)));
  assert.ok(shipped.size > 50, `only ${shipped.size} files listed:\n${text}`);
  for (
    const f of [
      "mod.ts",
      "runtime.ts",
      "LICENSE",
      "README.md",
      "deno.json",
      "build.zig",
      "kernels_zig/root.zig",
      "kernels_zig/abi.zig",
      "kernels/_abi_generated.ts",
      "kernels/wasm/onebit.wasm",
      "kernels/wasm/onebit_relaxed.wasm",
      "convert/cli.ts",
      "keras/_h5_worker.ts",
      "runtime/run_cli.ts",
      "tflite/inspect.ts",
    ]
  ) assert.ok(shipped.has(f), `${f} is not shipped`);
  // The released native libraries, beside the modules as in a checkout (kernels/native_release.ts fetches them).
  for (const [triple, file] of Object.entries(RELEASE_PLATFORMS)) {
    const path = `zig-out/lib/${triple}/${file}`;
    if (Deno.env.get("CI") === "true" || shipped.has(path)) assert.ok(shipped.has(path), `${path} is not shipped`);
  }
  assert.ok(
    shipped.has(
      `zig-out/lib/${platformTriple()}/${RELEASE_PLATFORMS[platformTriple() as keyof typeof RELEASE_PLATFORMS]}`,
    ),
  );
  for (const f of shipped) {
    assert.doesNotMatch(
      f,
      /(_test\.ts$|^tests\/|^bench\/|^tools\/|^examples\/|fixtures|\.py$|\.tflite$|\.pdb$)/,
      `${f} is shipped`,
    );
  }
});
