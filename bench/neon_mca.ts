/**
 * Predicted throughput of the NEON micro-kernel's inner loop on Cortex-A72/
 * A76/A53 (llvm-mca, from apt llvm-14), next to LCE's 8x4 block mix from
 * docs/lce-compat.md (16 eor, 16 cnt, 12 addp, 4 uadalp per 2048 bMACs).
 *
 *   deno task bench:neon
 *
 * The loop is cut from the built aarch64 library: the innermost backward
 * branch of each `onebit_uk_*__neon_f32` function whose body holds `cnt`.
 * bMACs per iteration = (number of cnt.16b) × 128 (one 128-bit XOR each).
 */
const lib = new URL("../zig-out/lib/aarch64-linux-gnu/libonebit.so", import.meta.url).pathname;
const objdump = "llvm-objdump-14";
const mca = "llvm-mca-14";

async function run(cmd: string, args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command(cmd, { args, stdin: stdin ? "piped" : "null", stdout: "piped", stderr: "piped" })
    .spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  if (out.code !== 0) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

interface Insn {
  addr: number;
  text: string;
}

function innerLoop(disasm: string, fn: string): Insn[] {
  const start = disasm.indexOf(`<${fn}>:`);
  if (start < 0) throw new Error(`${fn} not found in ${lib}: build it with 'zig build -Dtarget=aarch64-linux-gnu'`);
  const body = disasm.slice(start).split("\n\n")[0].split("\n").slice(1);
  const insns: Insn[] = body.map((l) => l.match(/^\s*([0-9a-f]+):\s+(.*)$/)).filter((m) => m !== null).map((m) => ({
    addr: parseInt(m![1], 16),
    text: m![2].replace(/\s*\/\/.*$/, "").replace(/\s+/g, " ").trim(),
  }));
  let best: Insn[] | undefined;
  insns.forEach((insn, i) => {
    const m = insn.text.match(/^b\.\w+ 0x([0-9a-f]+)/) ?? insn.text.match(/^(?:cbnz|cbz) \w+, 0x([0-9a-f]+)/);
    if (!m) return;
    const target = parseInt(m[1], 16);
    if (target >= insn.addr) return;
    const loop = insns.slice(insns.findIndex((x) => x.addr === target), i + 1);
    if (!loop.some((x) => x.text.startsWith("cnt "))) return;
    if (!best || loop.length < best.length) best = loop;
  });
  if (!best) throw new Error(`no inner loop with cnt in ${fn}`);
  // llvm-mca wants assembly, not resolved branch targets.
  return best.map((x) => ({
    ...x,
    text: x.text.replace(/^(b\.\w+|b|cbnz \w+,|cbz \w+,) 0x[0-9a-f]+.*$/, "$1 .Lloop"),
  }));
}

function lceBlock(): string {
  // The instruction mix of LCE's 8x4 AArch64 block (lce-compat.md): per 2048 bMACs,
  // 16 eor + 16 cnt, a 12-addp reduction tree into 4 vectors, 4 uadalp into u16
  // accumulators. Registers are chosen to keep the dependencies of such a tree.
  const lines: string[] = [];
  for (let i = 0; i < 16; i++) lines.push(`eor v${i}.16b, v${16 + (i % 4)}.16b, v${20 + (i >> 2)}.16b`);
  for (let i = 0; i < 16; i++) lines.push(`cnt v${i}.16b, v${i}.16b`);
  for (let i = 0; i < 8; i++) lines.push(`addp v${i}.16b, v${2 * i}.16b, v${2 * i + 1}.16b`);
  for (let i = 0; i < 4; i++) lines.push(`addp v${i}.16b, v${2 * i}.16b, v${2 * i + 1}.16b`);
  for (let i = 0; i < 4; i++) lines.push(`uadalp v${24 + i}.8h, v${i}.16b`);
  return lines.join("\n") + "\n";
}

function cyclesPerIteration(report: string): number {
  const iterations = Number(report.match(/Iterations:\s+(\d+)/)![1]);
  const cycles = Number(report.match(/Total Cycles:\s+(\d+)/)![1]);
  return cycles / iterations;
}

const disasm = await run(objdump, ["-d", "--no-show-raw-insn", lib]);
const names = [...disasm.matchAll(/<(onebit_uk_bgemm_\w+__neon)_f32>:/g)].map((m) => m[1]);
const cpus = ["cortex-a72", "cortex-a76", "cortex-a53"];
console.log("llvm-mca predictions (binary MACs per cycle; higher is better)\n");
console.log(`${"loop".padEnd(34)} ${"bMAC/iter".padStart(9)} ${cpus.map((c) => c.padStart(22)).join("")}`);
const rows: [string, number, string][] = names.map((n) => {
  const loop = innerLoop(disasm, `${n}_f32`);
  const macs = loop.filter((x) => x.text.startsWith("cnt ")).length * 128;
  return [`${n} inner loop`, macs, ".Lloop:\n" + loop.map((x) => x.text).join("\n") + "\n"];
});
rows.push(["LCE 8x4 block mix (no loads)", 2048, lceBlock()]);
for (const [name, macs, asm] of rows) {
  const cells: string[] = [];
  for (const cpu of cpus) {
    const report = await run(mca, ["-mtriple=aarch64", `-mcpu=${cpu}`, "-iterations=200"], asm);
    const c = cyclesPerIteration(report);
    cells.push(`${c.toFixed(1)} cyc ${(macs / c).toFixed(1).padStart(5)}/cyc`.padStart(22));
  }
  console.log(`${name.padEnd(34)} ${String(macs).padStart(9)} ${cells.join("")}`);
}
if (Deno.args.includes("--show")) {
  for (const [name, , asm] of rows) console.log(`\n# ${name}\n${asm}`);
}
