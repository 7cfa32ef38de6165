/**
 * onebit imported by URL, as a user would: a clean copy of the tree (the
 * files git tracks, nothing built) served over loopback HTTP, imported from a
 * temporary folder with no deno.json and a fresh DENO_DIR. The same script
 * builds and trains a tiny binarized model for a few steps, converts it and
 * runs it, once imported by URL and once from this checkout, on the same
 * backend; the two must agree (bit-exact on the file and the bitpacked
 * activations, 1e-5 on floats).
 *
 * Native: the served copy has no built library (tests/kernels_native_release_test.ts serves one), so
 * the URL import gets this checkout's build through ONEBIT_LIB. Wasm: without ONEBIT_LIB the URL import's
 * download of the native library fails (404), it falls back to the WebAssembly kernels it imports from
 * beside itself (no permission beyond the import's own) and says so once on stderr. Reference: when the
 * server has no .wasm either, it falls back to the TypeScript kernels and says so once. Each local run
 * forces the backend to compare with.
 */
import assert from "node:assert/strict";
import { defaultLibraryUrl } from "../kernels/native.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The script both runs execute: train, convert, run; prints one JSON line. */
const SCRIPT = (mod: string) => `
import {
  Adam, BatchNormalization, BinaryKernels, convert, Flatten, FloatKernels, fitSync, Interpreter, QuantConv2D, QuantDense,
  Sequential, setTrainingKernels, Tensor, weightClip,
} from "${mod}";
const backend = Deno.args[0] ?? "auto";
if (backend !== "auto") setTrainingKernels(backend === "wasm" ? FloatKernels.wasm() : "reference");
const binary = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias: false };
const model = new Sequential([
  new QuantConv2D(32, 3, { kernelQuantizer: "ste_sign", kernelConstraint: weightClip(), useBias: false }),
  new BatchNormalization({ scale: false }),
  new QuantConv2D(32, 3, { ...binary, padding: "same" }),
  new BatchNormalization({ scale: false }),
  new Flatten(),
  new QuantDense(4, binary),
  new BatchNormalization({ scale: false }),
], { seed: 3, inputShape: [6, 6, 2] });
let s = 1;
const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const x = Float32Array.from({ length: 16 * 72 }, rand);
const y = Int32Array.from({ length: 16 }, (_, i) => i % 4);
const h = fitSync(model, new Tensor(x, [16, 6, 6, 2]), y, {
  optimizer: new Adam(0.01), epochs: 2, batchSize: 8, verbose: 0,
});
const { bytes } = convert(model);
const it = Interpreter.fromBytes(bytes, { backend });
const [out] = it.invoke([x.subarray(0, 72)]);
const k = BinaryKernels[backend]();
const packed = k.bitpack(x, 32);
const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
console.log(JSON.stringify({
  loss: h.history.loss, out: [...out], packed: [...packed], file: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
  backends: { model: model.backend, interpreter: it.backend, kernels: k.backend },
}));
`;

interface Result {
  loss: number[];
  out: number[];
  packed: number[];
  file: string;
  backends: { model: string; interpreter: string; kernels: string };
}

/** Copies the files git tracks or would track (as they are in the work tree) into a new folder. */
async function cleanCopy(): Promise<string> {
  const ls = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
  }).output();
  assert.equal(ls.code, 0, "git ls-files failed");
  const dir = await Deno.makeTempDir({ prefix: "onebit-served-" });
  for (const file of new TextDecoder().decode(ls.stdout).split("\0").filter(Boolean)) {
    if (file.startsWith("tests/fixtures/") || file.startsWith("bench/")) continue;
    const target = `${dir}/${file}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${ROOT}${file}`, target).catch(() => {}); // a tracked file deleted in the work tree
  }
  return dir;
}

/** Serves `dir`; while `hide.wasm` is set, a .wasm file is a 404 (a host that lacks the modules). */
function serve(dir: string, hide: { wasm: boolean }): Deno.HttpServer<Deno.NetAddr> {
  const types: Record<string, string> = { ts: "application/typescript", js: "application/javascript" };
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    if (hide.wasm && path.endsWith(".wasm")) return new Response("not found", { status: 404 });
    try {
      const body = await Deno.readFile(`${dir}${path}`);
      return new Response(body, { headers: { "content-type": types[path.split(".").pop()!] ?? "text/plain" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

async function run(
  mod: string,
  options: { env?: Record<string, string>; backend?: "wasm" | "reference"; cwd: string },
): Promise<{ result: Result; stderr: string }> {
  const script = `${options.cwd}/main.ts`;
  await Deno.writeTextFile(script, SCRIPT(mod));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script, ...(options.backend ? [options.backend] : [])],
    cwd: options.cwd,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...options.env },
    clearEnv: false,
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `${mod} failed:\n${stderr}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return { result: JSON.parse(lines.at(-1)!), stderr };
}

function assertSame(a: Result, b: Result) {
  assert.equal(a.file, b.file, "converted files differ");
  assert.deepEqual(a.packed, b.packed, "bitpacked activations differ");
  assert.equal(a.out.length, b.out.length);
  for (let i = 0; i < a.out.length; i++) assert.ok(Math.abs(a.out[i] - b.out[i]) <= 1e-5, `out[${i}]`);
  for (let i = 0; i < a.loss.length; i++) assert.ok(Math.abs(a.loss[i] - b.loss[i]) <= 1e-5, `loss[${i}]`);
}

Deno.test("mod.ts imported by URL from a folder with no config trains, converts and runs like a local import", async () => {
  const served = await cleanCopy();
  const hide = { wasm: false };
  const server = serve(served, hide);
  const user = await Deno.makeTempDir({ prefix: "onebit-user-" });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/mod.ts`;
    const fresh = { DENO_DIR: `${user}/deno_dir`, ONEBIT_LIB: "" };
    const local = new URL("../mod.ts", import.meta.url).href;

    // Native: the URL import through ONEBIT_LIB, the checkout through its own build.
    const lib = defaultLibraryUrl().pathname;
    const remoteNative = await run(url, { cwd: user, env: { ...fresh, ONEBIT_LIB: lib } });
    const localNative = await run(local, { cwd: user, env: { ONEBIT_LIB: "" } });
    assert.deepEqual(remoteNative.result.backends, { model: "native", interpreter: "native", kernels: "native" });
    assert.deepEqual(localNative.result.backends, remoteNative.result.backends);
    assert.doesNotMatch(remoteNative.stderr, /reference kernels/);
    assertSame(remoteNative.result, localNative.result);

    // Wasm: the URL import falls back loudly, once, to the module served beside it; the checkout is told to use it.
    const remoteWasm = await run(url, { cwd: user, env: fresh });
    const localWasm = await run(local, { cwd: user, env: { ONEBIT_LIB: "" }, backend: "wasm" });
    assert.deepEqual(remoteWasm.result.backends, { model: "wasm", interpreter: "wasm", kernels: "wasm" });
    assert.deepEqual(localWasm.result.backends, remoteWasm.result.backends);
    assert.equal(remoteWasm.stderr.match(/running on the WebAssembly kernels/g)?.length, 1, remoteWasm.stderr);
    assert.match(remoteWasm.stderr, /WebAssembly kernels \(http:\/\/127\.0\.0\.1:\d+\/kernels\/wasm\/onebit/);
    assert.match(remoteWasm.stderr, /cannot download http:\/\/127\.0\.0\.1:\d+\/zig-out\/lib\/.*HTTP 404.*ONEBIT_LIB/);
    assert.doesNotMatch(localWasm.stderr, /running on/, "an explicit wasm choice is quiet");
    assertSame(remoteWasm.result, localWasm.result);

    // Reference: no .wasm on the server either (a fresh DENO_DIR: nothing cached); the checkout forces it.
    hide.wasm = true;
    const remoteRef = await run(url, { cwd: user, env: { ...fresh, DENO_DIR: `${user}/deno_dir_2` } });
    const localRef = await run(local, { cwd: user, env: { ONEBIT_LIB: "" }, backend: "reference" });
    assert.deepEqual(remoteRef.result.backends, { model: "reference", interpreter: "reference", kernels: "reference" });
    assert.deepEqual(localRef.result.backends, remoteRef.result.backends);
    assert.equal(remoteRef.stderr.match(/running on the TypeScript reference kernels/g)?.length, 1, remoteRef.stderr);
    assert.match(remoteRef.stderr, /cannot download http:\/\/127\.0\.0\.1:\d+\/zig-out\/lib\/.*HTTP 404.*ONEBIT_LIB/);
    assert.match(remoteRef.stderr, /WebAssembly kernels did not load either: .*onebit_relaxed\.wasm not found/);
    assert.doesNotMatch(localRef.stderr, /reference kernels/, "an explicit reference choice is quiet");
    assertSame(remoteRef.result, localRef.result);
  } finally {
    await server.shutdown();
    await Deno.remove(served, { recursive: true });
    await Deno.remove(user, { recursive: true });
  }
});
