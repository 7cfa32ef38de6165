/**
 * Native code by URL. The manifest pins every built library (`deno task
 * release`); a module imported over loopback HTTP downloads its platform's
 * library from beside itself, checks it against the pinned SHA-256, caches
 * it, and needs no network the next time; a tampered or truncated download
 * is refused (auto falls back loudly, `BinaryKernels.native()` throws) and
 * leaves nothing in the cache; `prepareNative({ cacheDir })`, `ONEBIT_CACHE`
 * and `ONEBIT_LIB` override where the library comes from.
 */
import assert from "node:assert/strict";
import { defaultLibraryUrl, platformTriple } from "../kernels/native.ts";
import { RELEASE_PLATFORMS, sha256 } from "../kernels/native_release.ts";
import { NATIVE_MANIFEST } from "../kernels/_native_manifest.ts";
import { ABI_HASH, ABI_VERSION } from "../kernels/_abi_generated.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MANIFEST = NATIVE_MANIFEST.libraries as Record<string, { file: string; bytes: number; sha256: string }>;

// Clean builds are reproducible (the same bytes in any folder); an incremental build over a warm .zig-cache may
// link the Mach-O libraries differently, so the byte check runs where the tree was built clean: in CI, or when
// ONEBIT_RELEASE_CHECK=1 after 'deno task release'.
const cleanBuild = Deno.env.get("CI") === "true" || Deno.env.get("ONEBIT_RELEASE_CHECK") === "1";

Deno.test({
  name: "the manifest pins the bytes of every built library (stripped: the same anywhere), for this ABI",
  ignore: !cleanBuild,
  fn: checkManifest,
});

async function checkManifest() {
  assert.equal(NATIVE_MANIFEST.abiVersion, ABI_VERSION);
  assert.equal(NATIVE_MANIFEST.abiHash, ABI_HASH, "the manifest is stale: run 'deno task release'");
  assert.deepEqual(Object.keys(MANIFEST).sort(), Object.keys(RELEASE_PLATFORMS).sort());
  let checked = 0;
  for (const [triple, file] of Object.entries(RELEASE_PLATFORMS)) {
    const path = `${ROOT}zig-out/lib/${triple}/${file}`;
    const bytes = await Deno.readFile(path).catch(() => undefined) as Uint8Array<ArrayBuffer> | undefined;
    if (bytes === undefined) {
      // CI builds every platform (tools/setup.sh --cross); a developer may have built only the host.
      assert.ok(Deno.env.get("CI") !== "true" && triple !== platformTriple(), `${path} was not built`);
      continue;
    }
    assert.equal(MANIFEST[triple].file, file);
    assert.equal(
      `${bytes.length} ${await sha256(bytes)}`,
      `${MANIFEST[triple].bytes} ${MANIFEST[triple].sha256}`,
      `${triple}: the build differs from kernels/_native_manifest.ts: run 'deno task release'`,
    );
    checked++;
  }
  assert.ok(checked >= 1);
}

/** The tracked TS modules (no tests, fixtures, benches) and, unless `lib` is null, a library at the release path. */
async function releaseTree(lib: Uint8Array | null): Promise<string> {
  const ls = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
  })
    .output();
  const dir = await Deno.makeTempDir({ prefix: "onebit-release-" });
  for (const file of new TextDecoder().decode(ls.stdout).split("\0").filter(Boolean)) {
    if (!file.endsWith(".ts") || file.startsWith("tests/") || file.startsWith("bench/")) continue;
    const target = `${dir}/${file}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${ROOT}${file}`, target).catch(() => {});
  }
  if (lib !== null) {
    const target = `${dir}/zig-out/lib/${platformTriple()}/${
      RELEASE_PLATFORMS[platformTriple() as keyof typeof RELEASE_PLATFORMS]
    }`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(target, lib);
  }
  return dir;
}

/** Serves `dir`; counts requests for the library. */
function serve(dir: string) {
  const hits = { lib: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    if (path.includes("/zig-out/lib/")) hits.lib++;
    try {
      const type = path.endsWith(".ts") ? "application/typescript" : "application/octet-stream";
      return new Response(await Deno.readFile(`${dir}${path}`), { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { server, hits, url: `http://127.0.0.1:${server.addr.port}/mod.ts` };
}

const SCRIPT = (mod: string) => `
import { BinaryKernels, prepareNative } from "${mod}";
if (Deno.args[0] === "--cache-dir") await prepareNative({ cacheDir: Deno.args[1] });
let native;
try {
  native = BinaryKernels.native().library;
} catch (e) {
  native = { reason: e.reason, message: e.message };
}
const auto = BinaryKernels.auto();
console.log(JSON.stringify({ auto: auto.backend, library: auto.library ?? null, native }));
`;

interface Outcome {
  auto: string;
  library: string | null;
  native: string | { reason: string; message: string };
  stderr: string;
}

/** Runs the script against `mod` with the flags a URL user grants (not -A). */
async function run(user: string, mod: string, env: Record<string, string>, args: string[] = []): Promise<Outcome> {
  const script = `${user}/main.ts`;
  await Deno.writeTextFile(script, SCRIPT(mod));
  const host = new URL(mod).host;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--allow-import=${host}`,
      "--allow-ffi",
      `--allow-net=${host}`,
      "--allow-read",
      `--allow-write=${user}`,
      "--allow-env",
      script,
      ...args,
    ],
    cwd: user,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: `${user}/deno_dir`, ONEBIT_LIB: "", ...env },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return { ...JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!), stderr };
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    await Deno.stat(dir);
  } catch {
    return out;
  }
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) out.push(...(await files(`${dir}/${e.name}`)).map((f) => `${e.name}/${f}`));
    else out.push(e.name);
  }
  return out;
}

const built = await Deno.readFile(defaultLibraryUrl()).catch(() => null) as Uint8Array<ArrayBuffer> | null;
const pinned = built !== null && await sha256(built) === MANIFEST[platformTriple()]?.sha256;

Deno.test({
  name: "imported by URL: the pinned library is downloaded once, cached, loaded; the next run is offline",
  ignore: !pinned,
  async fn() {
    const tree = await releaseTree(built);
    const user = await Deno.makeTempDir({ prefix: "onebit-user-" });
    const cache = `${user}/cache`;
    const { server, hits, url } = serve(tree);
    try {
      const first = await run(user, url, { ONEBIT_CACHE: cache });
      assert.equal(first.auto, "native", first.stderr);
      assert.equal(first.library, first.native);
      assert.ok(first.library!.startsWith(`${cache}/`), first.library!);
      assert.equal(
        await sha256(await Deno.readFile(first.library!) as Uint8Array<ArrayBuffer>),
        MANIFEST[platformTriple()].sha256,
      );
      assert.equal(hits.lib, 1);
      assert.doesNotMatch(first.stderr, /reference kernels/);
      await server.shutdown();
      // Offline: the modules come from DENO_DIR, the library from the cache.
      const offline = await run(user, url, { ONEBIT_CACHE: cache });
      assert.equal(offline.auto, "native", offline.stderr);
      assert.equal(offline.library, first.library);

      // ONEBIT_LIB wins: no download, that file is loaded.
      const named = await run(user, url, { ONEBIT_CACHE: `${user}/unused`, ONEBIT_LIB: defaultLibraryUrl().pathname });
      assert.equal(named.library, defaultLibraryUrl().pathname);
      assert.deepEqual(await files(`${user}/unused`), []);
    } finally {
      await server.shutdown().catch(() => {});
      await Deno.remove(tree, { recursive: true });
      await Deno.remove(user, { recursive: true });
    }
  },
});

Deno.test({
  name: "imported by URL: prepareNative({ cacheDir }) picks the cache; a tampered or truncated library is refused",
  ignore: !pinned,
  async fn() {
    const tampered = built!.slice();
    tampered[tampered.length >> 1] ^= 0x40;
    const cases = [
      {
        label: "tampered",
        lib: tampered,
        reason: "digest",
        message: /has SHA-256 [0-9a-f]{64}, not the [0-9a-f]{64} onebit pins: refusing/,
      },
      {
        label: "truncated",
        lib: built!.subarray(0, 1000),
        reason: "download",
        message: /was cut short: 1000 of \d+ bytes arrived/,
      },
      {
        label: "longer",
        lib: new Uint8Array([...built!, 0]),
        reason: "digest",
        message: /is longer than the \d+ bytes the manifest pins/,
      },
    ];
    for (const c of cases) {
      const tree = await releaseTree(c.lib);
      const user = await Deno.makeTempDir({ prefix: "onebit-user-" });
      const { server, url } = serve(tree);
      try {
        const r = await run(user, url, { ONEBIT_CACHE: `${user}/cache` });
        assert.equal(r.auto, "reference", c.label);
        assert.ok(typeof r.native === "object", c.label);
        assert.equal(r.native.reason, c.reason, `${c.label}: ${r.native.message}`);
        assert.match(r.native.message, c.message, c.label);
        assert.match(r.native.message, /zig-out\/lib\//, `${c.label}: the message names the file`);
        assert.equal(r.stderr.match(/onebit: running on/g)?.length, 1, r.stderr);
        assert.deepEqual(await files(`${user}/cache`), [], `${c.label}: nothing cached`);
      } finally {
        await server.shutdown();
        await Deno.remove(tree, { recursive: true });
        await Deno.remove(user, { recursive: true });
      }
    }
    // The option: prepareNative({ cacheDir }) downloads into that folder, ONEBIT_CACHE notwithstanding.
    const tree = await releaseTree(built);
    const user = await Deno.makeTempDir({ prefix: "onebit-user-" });
    const { server, url } = serve(tree);
    try {
      const r = await run(user, url, { ONEBIT_CACHE: `${user}/env-cache` }, ["--cache-dir", `${user}/option-cache`]);
      assert.equal(r.auto, "native", r.stderr);
      assert.ok(r.library!.startsWith(`${user}/option-cache/`), r.library!);
    } finally {
      await server.shutdown();
      await Deno.remove(tree, { recursive: true });
      await Deno.remove(user, { recursive: true });
    }
  },
});

Deno.test({
  name: "imported by URL: a server that stalls mid-download is abandoned at the deadline, nothing cached",
  ignore: !pinned,
  async fn() {
    const tree = await releaseTree(null);
    const user = await Deno.makeTempDir({ prefix: "onebit-user-" });
    const stalls: ReadableStreamDefaultController<Uint8Array>[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      if (path.includes("/zig-out/lib/")) {
        // Half the library, then nothing: the connection stays open.
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(built!.subarray(0, built!.length >> 1));
            stalls.push(c);
          },
        });
        return new Response(body, { headers: { "content-length": String(built!.length) } });
      }
      try {
        return new Response(await Deno.readFile(`${tree}${path}`), {
          headers: { "content-type": "application/typescript" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    });
    try {
      const url = `http://127.0.0.1:${server.addr.port}/mod.ts`;
      const script = `${user}/stall.ts`;
      // ONEBIT_LIB skips the download at import; prepareNative then tries it with a 1 s deadline.
      await Deno.writeTextFile(
        script,
        `import { prepareNative } from "${url}";
const t0 = performance.now();
try { await prepareNative({ cacheDir: "${user}/cache", timeoutMs: 1000 }); console.log(JSON.stringify({ ok: true })); }
catch (e) { console.log(JSON.stringify({ reason: e.reason, message: e.message, ms: performance.now() - t0 })); }`,
      );
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", script],
        env: { NO_COLOR: "1", DENO_DIR: `${user}/deno_dir`, ONEBIT_LIB: defaultLibraryUrl().pathname },
        // Without the deadline the download would hang: fail, do not wait. Generous: loading mod.ts over HTTP on
        // a loaded CI machine alone has taken over 30 s.
        signal: AbortSignal.timeout(180_000),
      }).output();
      const stdout = new TextDecoder().decode(out.stdout).trim();
      assert.ok(
        stdout !== "",
        `no output (${out.signal ?? `exit ${out.code}`}): ${new TextDecoder().decode(out.stderr)}`,
      );
      const r = JSON.parse(stdout.split("\n").at(-1)!);
      assert.equal(r.reason, "download", JSON.stringify(r));
      assert.match(r.message, /cannot download http:\/\/127\.0\.0\.1:\d+\/zig-out\/lib\/.*(abort|timed out|signal)/i);
      assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
      assert.deepEqual(await files(`${user}/cache`), []);
    } finally {
      for (const c of stalls) {
        try {
          c.close();
        } catch { /* the client gave up on it already */ }
      }
      await server.shutdown();
      await Deno.remove(tree, { recursive: true });
      await Deno.remove(user, { recursive: true });
    }
  },
});
