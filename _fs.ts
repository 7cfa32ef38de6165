/**
 * Atomic file writes: the bytes go to a temporary file beside the target,
 * are flushed to disk, and replace the target with one rename, so a reader
 * (or a crash, or `kill -9`) sees the old file or the new one, never a part.
 *
 * The temporary file is `<path>.tmp-<pid>-<random>`. A killed writer leaves
 * at most that one file; the next write to the same path removes the ones
 * whose writer is gone (on Linux, no `/proc/<pid>`; elsewhere, older than an
 * hour), so killed writes do not pile up.
 * @module
 */

/** How old a temporary file must be to count as stale where process ids cannot be checked. */
const STALE_MS = 60 * 60 * 1000;

/** This process's writes under way (their temporary files are not stale). */
const inFlight = new Set<string>();

/**
 * Writes `bytes` to `path` through a temporary file, fsync and a rename: no
 * partial file on error, crash or kill, and no temporary files left behind
 * by earlier killed writes to the same path.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./_fs.ts";
 * const path = await Deno.makeTempFile();
 * await writeFileAtomic(path, new TextEncoder().encode("hello"));
 * console.log(await Deno.readTextFile(path)); // hello
 * await Deno.remove(path);
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  removeStaleTemporaries(path);
  const tmp = tmpPath(path);
  inFlight.add(tmp);
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw explain(e, path);
  } finally {
    inFlight.delete(tmp);
  }
}

/** {@link writeFileAtomic} for synchronous callers (fit callbacks). */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  removeStaleTemporaries(path);
  const tmp = tmpPath(path);
  inFlight.add(tmp);
  try {
    const file = Deno.openSync(tmp, { write: true, createNew: true });
    try {
      for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
      file.syncSync();
    } finally {
      file.close();
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* nothing was written */ }
    throw explain(e, path);
  } finally {
    inFlight.delete(tmp);
  }
}

/** A missing folder reported as the target's, not as the temporary file's. */
function explain(e: unknown, path: string): unknown {
  if (!(e instanceof Deno.errors.NotFound)) return e;
  return new Deno.errors.NotFound(`cannot write ${path}: its folder does not exist`, { cause: e });
}

/** The temporary file an atomic write goes through before its rename. */
function tmpPath(path: string): string {
  const random = crypto.getRandomValues(new Uint32Array(2)).reduce((s, v) => s + v.toString(36), "");
  return `${path}.tmp-${Deno.pid}-${random}`;
}

/**
 * Removes the temporary files of earlier writes to `path` whose writer is
 * gone. Best effort: a folder that cannot be listed, or a file another
 * process removes first, is left alone.
 */
export function removeStaleTemporaries(path: string): void {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = slash < 0 ? "." : path.slice(0, slash + 1) || "/";
  const prefix = `${path.slice(slash + 1)}.tmp-`;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = entry.isFile && entry.name.startsWith(prefix) &&
      /^(\d+)-[0-9a-z]+$/.exec(entry.name.slice(prefix.length));
    if (!m) continue;
    const file = `${slash < 0 ? "" : dir}${entry.name}`;
    if (!isStale(file, Number(m[1]))) continue;
    try {
      Deno.removeSync(file);
    } catch { /* removed by another writer, or not ours to remove */ }
  }
}

function isStale(file: string, pid: number): boolean {
  if (pid === Deno.pid) return !inFlight.has(file);
  try {
    Deno.statSync("/proc/self");
    try {
      Deno.statSync(`/proc/${pid}`);
      return false;
    } catch {
      return true;
    }
  } catch { /* no /proc: judge by age */ }
  try {
    const mtime = Deno.statSync(file).mtime?.getTime();
    return mtime !== undefined && Date.now() - mtime > STALE_MS;
  } catch {
    return false;
  }
}
