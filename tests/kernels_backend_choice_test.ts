/**
 * The backend is never a surprise: a library named by ONEBIT_LIB must load
 * (a CLI says why in one line, exit 1), and an automatic fallback to the
 * TypeScript reference is announced once on stderr with the reason and the
 * fix, while an explicit `backend: "reference"` is quiet. (The URL-import
 * fallback is in package_url_import_test.ts.)
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

const SCRIPT = `
import { BinaryKernels, FloatKernels, Interpreter } from "${ROOT}mod.ts";
const explicit = Deno.args[0] === "reference";
const it = await Interpreter.fromFile(${JSON.stringify(MODEL)}, explicit ? { backend: "reference" } : {});
const k = explicit ? BinaryKernels.reference() : BinaryKernels.auto();
const f = explicit ? FloatKernels.reference() : FloatKernels.auto();
console.log(JSON.stringify([it.backend, k.backend, f.backend, it.library ?? null]));
`;

Deno.test("without --allow-ffi, auto falls back to the reference and says so once, naming the permission", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/s.ts`, SCRIPT);
    const r = await deno(["--allow-read", "--allow-env", `${dir}/s.ts`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ["reference", "reference", "reference", null]);
    assert.equal(r.stderr.match(/onebit: running on the TypeScript reference kernels/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /--allow-ffi/);
    const quiet = await deno(["--allow-read", "--allow-env", `${dir}/s.ts`, "reference"]);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, "");
    const native = await deno(["-A", `${dir}/s.ts`]);
    assert.deepEqual(JSON.parse(native.stdout).slice(0, 3), ["native", "native", "native"]);
    assert.match(JSON.parse(native.stdout)[3], /zig-out\/lib\/.*libonebit/);
    assert.equal(native.stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
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
