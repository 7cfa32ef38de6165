/**
 * Dynamic instruction counts of the aarch64 library under qemu-aarch64
 * (`-singlestep -d exec,nochain`: one log line per executed instruction,
 * filtered to an address range), around one GEMM call made by
 * bench/_neon_count.zig. The model tests use it as the counter of the loops'
 * trip counts; bench:neon uses it to measure the binary GEMM's code outside
 * its priced loops (per micro-kernel call).
 * @module
 */
import { MCA_PREFIX, run } from "./_neon_loops.ts";

const root = new URL("../", import.meta.url).pathname;

/** Builds bench/_neon_count.zig for aarch64-linux-gnu into MCA_PREFIX; returns the executable's path. */
export async function buildCounter(): Promise<string> {
  const exe = `${MCA_PREFIX}/bin/neon_count`;
  await Deno.mkdir(`${MCA_PREFIX}/bin`, { recursive: true });
  await run(`${root}.tools/zig/ziglang/zig`, [
    "build-exe",
    "-target",
    "aarch64-linux-gnu",
    "-lc",
    "-O",
    "ReleaseSafe",
    "--dep",
    "abi",
    `-Mroot=${root}bench/_neon_count.zig`,
    `-Mabi=${root}kernels_zig/abi.zig`,
    `-femit-bin=${exe}`,
    "--cache-dir",
    `${MCA_PREFIX}/count-cache`,
  ]);
  return exe;
}

/** One call of the counter: `bgemm` or `sgemm`, [rows, channels, depth], a micro-kernel index of the library's list. */
export interface CounterCall {
  kernel: "bgemm" | "sgemm";
  shape: [number, number, number];
  ukernel: number;
}

async function qemu(args: string[]): Promise<{ stdout: Uint8Array; stderr: string }> {
  const out = await new Deno.Command("qemu-aarch64-static", { args, stdout: "piped", stderr: "piped" }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`qemu-aarch64-static ${args.join(" ")} failed: ${stderr.slice(-2000)}`);
  return { stdout: out.stdout, stderr };
}

/**
 * Instructions executed at library offsets [begin, end) during `call`, by
 * `pc` (library offset) — the library is loaded at the same address each run
 * under qemu, read from the counter's first line.
 */
export async function executedInstructions(
  exe: string,
  lib: string,
  call: CounterCall,
  begin: number,
  end: number,
): Promise<Map<number, number>> {
  const argv = [lib, call.kernel, ...call.shape.map(String), String(call.ukernel)];
  const base = Number((await qemu([exe, ...argv])).stderr.match(/base (0x[0-9a-f]+)/)![1]);
  const range = `0x${(base + begin).toString(16)}+0x${(end - begin).toString(16)}`;
  const out = await qemu(["-singlestep", "-d", "exec,nochain", "-dfilter", range, "-D", "/dev/stdout", exe, ...argv]);
  if (!out.stderr.includes(`base 0x${base.toString(16)}`)) throw new Error("the library moved between two qemu runs");
  const counts = new Map<number, number>();
  // "Trace 0: 0x<host> [<flags>/<guest pc, 16 hex digits>/...]"
  for (const m of new TextDecoder().decode(out.stdout).matchAll(/\[[0-9a-f]+\/([0-9a-f]{16})\//g)) {
    const pc = parseInt(m[1], 16) - base;
    counts.set(pc, (counts.get(pc) ?? 0) + 1);
  }
  return counts;
}

/**
 * Index of micro-kernel `name` in the aarch64 library's list `listName`
 * (`all` or `sgemm_all` of ukernels.zig, `text`): its scalar and neon entries, in order.
 */
export function aarch64Ukernel(text: string, listName: "all" | "sgemm_all", name: string): number {
  const list = text.slice(text.indexOf(`pub const ${listName} = [_]`));
  const entries = [...list.slice(0, list.indexOf("};")).matchAll(/\.name = "(\w+)", \.isa = \.(\w+)/g)]
    .filter((m) => m[2] === "scalar" || m[2] === "neon").map((m) => m[1]);
  const i = entries.indexOf(name);
  if (i < 0) throw new RangeError(`aarch64Ukernel: no '${name}' among ${listName}'s scalar and neon entries`);
  return i;
}
