/**
 * The native library for a module imported by URL: downloaded from beside
 * the module (`zig-out/lib/<triple>/<file>`, the checkout's own layout, as
 * `deno task release` leaves it), loaded only when its size and SHA-256 equal
 * those pinned in `_native_manifest.ts`, and kept in a cache so that the
 * next run needs no network:
 * the `cacheDir` option of {@link prepareNative}, else `ONEBIT_CACHE`, else
 * `<Deno's cache dir>/onebit`. A download that fails, is cut short or has
 * another digest is a {@link ReleaseError} naming the file, and nothing is
 * written or loaded.
 *
 * Flags a URL user grants: `--allow-ffi`, `--allow-net=<host>` (the first
 * run only), `--allow-read` and `--allow-write=<cache dir>`, `--allow-env`
 * (to find the cache dir); or `-A`.
 * @module
 */
import { writeFileAtomic } from "../_fs.ts";
import { ABI_HASH } from "./_abi_generated.ts";
import { NATIVE_MANIFEST } from "./_native_manifest.ts";

/** The platforms a release carries: Zig target triple → library file name. */
export const RELEASE_PLATFORMS = {
  "x86_64-linux-gnu": "libonebit.so",
  "aarch64-linux-gnu": "libonebit.so",
  "aarch64-linux-android": "libonebit.so",
  "x86_64-macos-none": "libonebit.dylib",
  "aarch64-macos-none": "libonebit.dylib",
  "x86_64-windows-gnu": "onebit.dll",
  "aarch64-windows-gnu": "onebit.dll",
} as const;

const SERVE_FIX =
  " (serve a release tree: the checkout after 'deno task release'; or set ONEBIT_LIB to a local libonebit)";

/** Why a released library could not be fetched or trusted. */
export class ReleaseError extends Error {
  /**
   * `platform`: no library for this platform; `permission`: a flag is missing; `download`: the fetch failed or was
   * cut short; `digest`: the bytes differ from the manifest's; `cache`: the cache directory cannot be written.
   */
  readonly reason: "platform" | "permission" | "download" | "digest" | "cache";
  constructor(reason: ReleaseError["reason"], message: string) {
    super(message);
    this.name = "ReleaseError";
    this.reason = reason;
  }
}

/** Options of {@link fetchReleaseLibrary}. */
export interface ReleaseOptions {
  /** Where downloaded libraries are kept; default `ONEBIT_CACHE`, else `<Deno's cache dir>/onebit`. */
  cacheDir?: string;
  /** Milliseconds the download may take (headers and body) before it is abandoned; default 120 000. */
  timeoutMs?: number;
}

function env(name: string): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? undefined : v;
}

/** The cache directory: the option, else `ONEBIT_CACHE`, else `<Deno's cache dir>/onebit` (undefined when unknown). */
export function releaseCacheDir(option?: string): string | undefined {
  if (option !== undefined) return option;
  const named = env("ONEBIT_CACHE");
  if (named !== undefined) return named;
  const denoDir = env("DENO_DIR");
  if (denoDir !== undefined) return `${denoDir}/onebit`;
  const os = Deno.build.os;
  if (os === "windows") {
    const local = env("LOCALAPPDATA");
    return local === undefined ? undefined : `${local}\\deno\\onebit`;
  }
  const home = env("HOME");
  if (os === "darwin") return home === undefined ? undefined : `${home}/Library/Caches/deno/onebit`;
  const xdg = env("XDG_CACHE_HOME");
  return xdg !== undefined ? `${xdg}/deno/onebit` : home === undefined ? undefined : `${home}/.cache/deno/onebit`;
}

/** The SHA-256 of `bytes`, lowercase hex (the manifest's digests). */
export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** Reads at most `limit` bytes of a response body; more is a download error. */
async function readBody(res: Response, limit: number, url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const out = new Uint8Array(limit);
  let n = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > limit) {
      await reader.cancel();
      throw new ReleaseError(
        "digest",
        `${url} is longer than the ${limit} bytes the manifest pins: refusing to load it`,
      );
    }
    out.set(value, n);
    n += value.length;
  }
  if (n !== limit) {
    throw new ReleaseError("download", `${url} was cut short: ${n} of ${limit} bytes arrived; run again to retry`);
  }
  return out;
}

/**
 * The local path of this platform's released library: from the cache when its digest matches, else downloaded from
 * `url`, checked against the manifest and written to the cache atomically. Throws {@link ReleaseError} with the fix.
 */
export async function fetchReleaseLibrary(url: URL, triple: string, options: ReleaseOptions = {}): Promise<string> {
  const entry = (NATIVE_MANIFEST.libraries as Record<string, { file: string; bytes: number; sha256: string }>)[triple];
  if (entry === undefined) {
    throw new ReleaseError("platform", `onebit releases no native library for ${triple}`);
  }
  if (NATIVE_MANIFEST.abiHash !== ABI_HASH) {
    throw new ReleaseError("digest", "the native manifest was written for another ABI: run 'deno task release'");
  }
  const dir = releaseCacheDir(options.cacheDir);
  if (dir === undefined) {
    throw new ReleaseError(
      "permission",
      "no cache directory for the native library: grant --allow-env (HOME, DENO_DIR, ONEBIT_CACHE) or set ONEBIT_CACHE",
    );
  }
  const folder = `${dir}/${entry.sha256.slice(0, 16)}`, path = `${folder}/${entry.file}`;
  if (!granted({ name: "read", path: dir }) || !granted({ name: "write", path: dir })) {
    throw new ReleaseError(
      "permission",
      `the native library is cached in ${dir}: run deno with --allow-read and --allow-write=${dir}`,
    );
  }
  try {
    const cached = await Deno.readFile(path) as Uint8Array<ArrayBuffer>;
    if (cached.length === entry.bytes && await sha256(cached) === entry.sha256) return path;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw new ReleaseError("cache", `cannot read ${path}: ${e}`);
  }
  if (!granted({ name: "net", host: url.host })) {
    throw new ReleaseError(
      "permission",
      `the native library must be downloaded once from ${url}: run deno with --allow-net=${url.host}`,
    );
  }
  let res: Response;
  try {
    // A stalled server must not hang the import that runs this: the whole download has a deadline.
    res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 120_000) });
  } catch (e) {
    throw new ReleaseError("download", `cannot download ${url}: ${(e as Error).message}${SERVE_FIX}`);
  }
  if (!res.ok || res.body === null) {
    await res.body?.cancel();
    throw new ReleaseError("download", `cannot download ${url}: HTTP ${res.status}${SERVE_FIX}`);
  }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readBody(res, entry.bytes, url);
  } catch (e) {
    if (e instanceof ReleaseError) throw e;
    throw new ReleaseError("download", `cannot download ${url}: ${(e as Error).message}${SERVE_FIX}`);
  }
  const digest = await sha256(bytes);
  if (digest !== entry.sha256) {
    throw new ReleaseError(
      "digest",
      `${url} has SHA-256 ${digest}, not the ${entry.sha256} onebit pins: refusing to load it`,
    );
  }
  try {
    await Deno.mkdir(folder, { recursive: true });
    await writeFileAtomic(path, bytes);
  } catch (e) {
    throw new ReleaseError("cache", `cannot write ${path}: ${(e as Error).message}`);
  }
  return path;
}
