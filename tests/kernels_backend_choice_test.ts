/**
 * The backend is never a surprise: a library named by ONEBIT_LIB must load
 * (a CLI says why in one line, exit 1), and an automatic fallback (native →
 * wasm → reference) is announced once on stderr with the backend, the reason
 * and the fix, while an explicit `backend: "wasm"` or `"reference"` is
 * quiet. A broken wasm module is a typed error naming the file when asked
 * for, and the reference still runs. (The URL-import fallback is in
 * package_url_import_test.ts.)
 */
import assert from "node:assert/strict";
import { defaultLibraryUrl } from "../kernels/native.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MODEL = `${ROOT}tests/fixtures/lce/quicknet_block.tflite`;

async function deno(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ONEBIT_LIB: "", ...env },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Runs the model and makes kernel sets on the backend Deno.args[0] names (default auto); prints the choices. */
const SCRIPT = (root: string) => `
import { BinaryKernels, FloatKernels, Interpreter } from "${root}mod.ts";
const backend = Deno.args[0] ?? "auto";
let it;
try {
  it = await Interpreter.fromFile(${JSON.stringify(MODEL)}, { backend });
} catch (e) {
  console.log(JSON.stringify({ error: e.name, reason: e.reason, message: e.message }));
  Deno.exit(0);
}
const k = BinaryKernels[backend](), f = FloatKernels[backend]();
it.invoke(it.inputs.map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1))));
console.log(JSON.stringify([it.backend, k.backend, f.backend, it.library ?? null]));
`;

Deno.test("without --allow-ffi, auto falls back to wasm and says so once, naming the permission; explicit choices are quiet", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/s.ts`, SCRIPT(ROOT));
    const r = await deno(["--allow-read", "--allow-env", `${dir}/s.ts`]);
    assert.equal(r.code, 0, r.stderr);
    const wasmUrl = new URL("kernels/wasm/onebit_relaxed.wasm", `file://${ROOT}`).href;
    assert.deepEqual(JSON.parse(r.stdout), ["wasm", "wasm", "wasm", wasmUrl]);
    assert.equal(r.stderr.match(/onebit: running on the WebAssembly kernels/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /--allow-ffi/);
    assert.match(r.stderr, /backend: "wasm" chooses them without this note/);
    // No permission for the module itself (it is part of the module graph): reading the model is all.
    const bare = await deno([`--allow-read=${MODEL}`, `${dir}/s.ts`, "wasm"]);
    assert.equal(bare.code, 0, bare.stderr);
    assert.deepEqual(JSON.parse(bare.stdout), ["wasm", "wasm", "wasm", wasmUrl]);
    assert.equal(bare.stderr, "");
    for (const backend of ["reference", "wasm"]) {
      const quiet = await deno(["--allow-read", "--allow-env", `${dir}/s.ts`, backend]);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.equal(JSON.parse(quiet.stdout)[0], backend);
      assert.equal(quiet.stderr, "");
    }
    const native = await deno(["-A", `${dir}/s.ts`]);
    assert.deepEqual(JSON.parse(native.stdout).slice(0, 3), ["native", "native", "native"]);
    assert.match(JSON.parse(native.stdout)[3], /zig-out\/lib\/.*libonebit/);
    assert.equal(native.stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a truncated wasm module: 'wasm' is a WasmModuleError naming the file and the fix; auto runs the reference and says why", async () => {
  const copy = await Deno.makeTempDir({ prefix: "onebit-copy-" });
  try {
    // The package's folders, as deno.json publishes them (so a new folder cannot be forgotten here).
    const include = (JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as { publish: { include: string[] } })
      .publish.include.filter((p) => p.endsWith("/") && !p.includes("zig-out"));
    for (const d of include.map((p) => p.slice(0, -1))) {
      await new Deno.Command("cp", { args: ["-r", `${ROOT}${d}`, `${copy}/${d}`] }).output();
    }
    for (const f of ["mod.ts", "_cli.ts", "_deps.ts", "_fs.ts", "deno.json"]) {
      await Deno.copyFile(`${ROOT}${f}`, `${copy}/${f}`);
    }
    const wasm = `${copy}/kernels/wasm/onebit_relaxed.wasm`;
    await Deno.writeFile(wasm, (await Deno.readFile(wasm)).subarray(0, 4096));
    await Deno.writeTextFile(`${copy}/s.ts`, SCRIPT(`${copy}/`));
    const forced = await deno(["--allow-read", "--allow-env", `${copy}/s.ts`, "wasm"]);
    assert.equal(forced.code, 0, forced.stderr);
    const error = JSON.parse(forced.stdout);
    assert.equal(error.error, "WasmModuleError");
    assert.equal(error.reason, "compile");
    assert.match(
      error.message,
      /onebit_relaxed\.wasm is not a valid WebAssembly module .*truncated or corrupt.*build:wasm/,
    );
    const auto = await deno(["--allow-read", "--allow-env", `${copy}/s.ts`]);
    assert.equal(auto.code, 0, auto.stderr);
    assert.deepEqual(JSON.parse(auto.stdout), ["reference", "reference", "reference", null]);
    assert.equal(auto.stderr.match(/onebit: running on the TypeScript reference kernels/g)?.length, 1, auto.stderr);
    assert.match(auto.stderr, /--allow-ffi.*the WebAssembly kernels did not load either: .*onebit_relaxed\.wasm/);
    const reference = await deno(["--allow-read", "--allow-env", `${copy}/s.ts`, "reference"]);
    assert.deepEqual(JSON.parse(reference.stdout), ["reference", "reference", "reference", null]);
    assert.equal(reference.stderr, "");
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});

Deno.test("ONEBIT_LIB naming a missing or foreign file: one line naming the file and the fix, exit 1", async () => {
  const missing = await deno(["-A", "bench/bench.ts", MODEL, "--runs", "1"], {
    ONEBIT_LIB: "/nonexistent/libonebit.so",
  });
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
  assert.match(missing.stderr, /^bench: libonebit not found at \/nonexistent\/libonebit\.so \(named by ONEBIT_LIB\)/);
  const foreign = Deno.build.arch === "x86_64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  const lib = `${ROOT}zig-out/lib/${foreign}/libonebit.so`;
  const wrong = await deno(["-A", "bench/bench.ts", MODEL, "--runs", "1"], { ONEBIT_LIB: lib });
  assert.equal(wrong.code, 1);
  assert.equal(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
  assert.match(wrong.stderr, /named by ONEBIT_LIB\) is an ELF .* library, this process needs an ELF/);
  const good = await deno(["-A", "bench/bench.ts", MODEL, "--runs", "1", "--json"], {
    ONEBIT_LIB: defaultLibraryUrl().pathname,
  });
  assert.equal(good.code, 0, good.stderr);
  assert.equal(JSON.parse(good.stdout).backend, "native");
});
