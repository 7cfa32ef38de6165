/**
 * The NEON loops of the aarch64 library under llvm-mca (apt llvm-14), and a
 * whole-model latency estimate built from them. No ARM hardware runs here:
 * these are predictions of the loops' steady state on llvm-mca's
 * Cortex-A72/A76/A53 models.
 *
 *   deno task bench:neon                 binary micro-kernels + every hot loop
 *   deno task bench:neon --show          also print each loop's assembly
 *   deno task bench:neon --model bench/models/quicknet.tflite
 *                                        per-op-type and whole-model estimate
 *   ... --ops                            every op of the model, not only per type
 *   ... --json                           one JSON object instead of tables
 *
 * The loops are cut from an unstripped build of the library
 * (`zig build -Dtarget=aarch64-linux-gnu -Dstrip=false`, into
 * .tools/neon-mca; the same code as zig-out's stripped one, with symbols and
 * DWARF lines): each hot loop is named by a line of Zig source it runs
 * (bench/_neon_model.ts SITES), found among the innermost loops of its
 * function. For each: cycles per iteration, llvm-mca's "Block RThroughput"
 * (the bound the loop's instruction mix alone sets on the model's pipes), their
 * ratio, and the share of 128-bit NEON instructions. The estimate adds the
 * GEMMs' per-call code, counted under qemu-aarch64 (bench/_neon_count.ts)
 * when qemu-aarch64-static is installed (`tools/setup.sh --arm`).
 * @module
 */
import {
  buildMcaLibrary,
  disassemble,
  floatsStoredPerIteration,
  innermostLoops,
  type Loop,
  loopOfSite,
  mca,
  type McaResult,
  mcaSource,
  type Site,
  type SiteLines,
  siteLines,
  vectorMix,
} from "./_neon_loops.ts";
import { aarch64Ukernel, buildCounter, executedInstructions } from "./_neon_count.ts";
import { bgemmTrips, modelTrips, type OpTrips, sgemmTrips, type SiteKey, SITES, tilingOf } from "./_neon_model.ts";

const root = new URL("../", import.meta.url).pathname;

/** CPU models, and the clock each estimate assumes. */
const CPUS = [
  { cpu: "cortex-a72", ghz: 1.5, device: "Raspberry Pi 4 (BCM2711, Cortex-A72 1.5 GHz)" },
  { cpu: "cortex-a76", ghz: 2.4, device: "a Pixel-class Cortex-A76 at 2.4 GHz" },
  { cpu: "cortex-a53", ghz: 1.2, device: "Raspberry Pi 3 (Cortex-A53 1.2 GHz)" },
] as const;

/**
 * LCE's published single-thread QuickNet latencies (larq/compute-engine
 * README.md, "Performance": RPi 4B 1.5 GHz, Pixel 1, Mac Mini M1; QuickNet
 * 63.3% top-1). Pixel 1's big cores are Qualcomm Kryo (Snapdragon 821), not a
 * Cortex-A76.
 */
const LCE_QUICKNET = { rpi4Ms: 45.0, pixel1Ms: 25.5 };

const args = Deno.args;
const json = args.includes("--json");
const show = args.includes("--show");
const modelAt = args.indexOf("--model");
const modelPath = modelAt >= 0 ? args[modelAt + 1] : undefined;
if (modelAt >= 0 && !modelPath) throw new RangeError("--model needs a .tflite path");

interface LoopReport {
  name: string;
  fn: string;
  source: string;
  insns: number;
  q: number;
  vectorized: boolean;
  mca: Record<string, McaResult>;
  asm: string;
}

async function report(name: string, loop: Loop, source: string): Promise<LoopReport> {
  const asm = mcaSource(loop);
  const results: Record<string, McaResult> = {};
  for (const { cpu } of CPUS) results[cpu] = await mca(asm, cpu);
  const mix = vectorMix(loop);
  return { name, fn: loop.fn, source, insns: mix.total, q: mix.q, vectorized: mix.q > 0, mca: results, asm };
}

const libPath = await buildMcaLibrary();
const fns = await disassemble(libPath);

// 1. The binary micro-kernels against LCE's block mix (bMACs per cycle).
const kernels: { name: string; macs: number; rep: LoopReport }[] = [];
const cnts = (l: Loop) => l.insns.filter((x) => x.text.startsWith("cnt ")).length;
/** `fn` and the functions of the library it calls (`bl`), directly or not. */
function callTree(fn: string, seen = new Set<string>()): string[] {
  if (seen.has(fn) || !fns.has(fn)) return [];
  seen.add(fn);
  const callees = fns.get(fn)!.flatMap((x) => x.text.match(/^bl 0x[0-9a-f]+ <([^>+]+)>/)?.[1] ?? []);
  return [fn, ...callees.flatMap((c) => callTree(c, seen))];
}
for (const fn of [...fns.keys()].filter((n) => /^onebit_uk_bgemm_\w+__neon_f32$/.test(n))) {
  // The loop with the most popcounts, in the tile function or a function it calls (the in-order kernel's loop is
  // assembly of its own, onebit_bgemm_inorder_loop, called by its accumulate function).
  const loops = callTree(fn).flatMap((f) => innermostLoops(fns, f)).filter((l) => cnts(l) > 0);
  if (loops.length === 0) throw new Error(`no inner loop with cnt in ${fn}`);
  const loop = loops.reduce((a, b) => (cnts(b) > cnts(a) ? b : a));
  const macs = cnts(loop) * 128;
  kernels.push({ name: `${fn.replace(/^onebit_uk_|_f32$/g, "")} inner loop`, macs, rep: await report(fn, loop, "") });
}

function lceBlock(): string {
  // LCE's 8x4 AArch64 block (lce-compat.md) per 2048 bMACs: 16 eor + 16 cnt, a 12-addp tree into 4 vectors,
  // 4 uadalp into u16 accumulators; registers keep the tree's dependencies.
  const lines: string[] = [];
  for (let i = 0; i < 16; i++) lines.push(`eor v${i}.16b, v${16 + (i % 4)}.16b, v${20 + (i >> 2)}.16b`);
  for (let i = 0; i < 16; i++) lines.push(`cnt v${i}.16b, v${i}.16b`);
  for (let i = 0; i < 8; i++) lines.push(`addp v${i}.16b, v${2 * i}.16b, v${2 * i + 1}.16b`);
  for (let i = 0; i < 4; i++) lines.push(`addp v${i}.16b, v${2 * i}.16b, v${2 * i + 1}.16b`);
  for (let i = 0; i < 4; i++) lines.push(`uadalp v${24 + i}.8h, v${i}.16b`);
  return lines.join("\n") + "\n";
}
const lce: Record<string, McaResult> = {};
for (const { cpu } of CPUS) lce[cpu] = await mca(lceBlock(), cpu);

// 2. Every hot loop of the ops QuickNet and Bi-Real Net run.
const sites: Partial<Record<SiteKey, LoopReport & { floatsPerIteration: number } & SiteLines>> = {};
for (const [key, site] of Object.entries(SITES) as [SiteKey, Site][]) {
  const { line, exclude } = await siteLines(site, (file) => Deno.readTextFile(`${root}kernels_zig/${file}`));
  const loop = loopOfSite(fns, site, line, exclude);
  const rep = await report(site.name, loop, `${site.file}:${line}`);
  sites[key] = { ...rep, floatsPerIteration: floatsStoredPerIteration(loop), line, exclude };
}

// 3. The whole-model estimate.
interface OpEstimate extends OpTrips {
  /** Milliseconds on each CPU model at its assumed clock. */
  ms: Record<string, number>;
}
let estimate: {
  model: string;
  ops: OpEstimate[];
  totalMs: Record<string, number>;
  loopsMs: Record<string, number>;
  perCallInstructions: Record<string, number> | null;
} | undefined;

type GemmCalls = NonNullable<OpTrips["gemmCalls"]>;
const callKey = (c: GemmCalls) =>
  `${c.kernel} ${c.channels} channels x ${c.depth} ${c.kernel === "bgemm" ? "words" : "floats"}`;

/** Each GEMM's micro-kernel, the list it is in, and the loops priced per iteration (the rest is per-call code). */
const GEMMS = {
  bgemm: { name: "bgemm_4x16__neon", list: "all", loops: ["bgemm", "bgemmRow"], main: "bgemm" },
  sgemm: { name: "sgemm_8x8__neon", list: "sgemm_all", loops: ["sgemm"], main: "sgemm" },
} as const;

/**
 * Instructions a GEMM executes per micro-kernel call outside its priced
 * loops (tile set-up, the binary kernel's byte-counter folds, the output
 * transform, the driver), counted under qemu for each GEMM shape of the
 * model: a one-tile call and a two-tile call, the difference over the tile's
 * calls. Null without qemu-aarch64-static. Dense GEMM calls: a convolution
 * reading its input in place enters the loop once per kernel row, so more.
 */
async function perCallCode(ops: OpTrips[]): Promise<Map<string, number> | null> {
  const hasQemu = new Deno.Command("sh", { args: ["-c", "command -v qemu-aarch64-static"] }).outputSync().success;
  if (!hasQemu) return null;
  const exe = await buildCounter();
  const ukernels = await Deno.readTextFile(`${root}kernels_zig/ukernels.zig`);
  const end = Math.max(...[...fns.values()].flatMap((f) => f.map((x) => x.addr))) + 4;
  const out = new Map<string, number>();
  for (const o of ops) {
    const g = o.gemmCalls;
    if (!g || out.has(callKey(g))) continue;
    const gemm = GEMMS[g.kernel];
    const t = tilingOf(ukernels, gemm.name);
    const ukernel = aarch64Ukernel(ukernels, gemm.list, gemm.name);
    const loops = gemm.loops.map((k) => loopOfSite(fns, SITES[k], sites[k]!.line, sites[k]!.exclude));
    const outside = (counts: Map<number, number>) => {
      let n = 0;
      for (const [pc, c] of counts) {
        if (!loops.some((l) => pc >= l.insns[0].addr && pc <= l.insns.at(-1)!.addr)) n += c;
      }
      return n;
    };
    const run = async (rows: number) =>
      outside(
        await executedInstructions(
          exe,
          libPath,
          { kernel: g.kernel, shape: [rows, g.channels, g.depth], ukernel },
          0,
          end,
        ),
      );
    const calls = g.kernel === "bgemm"
      ? bgemmTrips(t.mr, g.channels, g.depth, t, "none").calls
      : sgemmTrips(t.mr, g.channels, g.depth, t).calls;
    out.set(callKey(g), ((await run(2 * t.mr)) - (await run(t.mr))) / calls);
  }
  return out;
}
if (modelPath) {
  const ukernels = await Deno.readTextFile(`${root}kernels_zig/ukernels.zig`);
  const ops = modelTrips(
    await Deno.readFile(modelPath),
    tilingOf(ukernels, "bgemm_4x16__neon"),
    tilingOf(ukernels, "sgemm_8x8__neon"),
  );
  const perCall = await perCallCode(ops);
  const totalMs: Record<string, number> = {};
  const loopsMs: Record<string, number> = {};
  const withMs = ops.map((o) => {
    const ms: Record<string, number> = {};
    for (const { cpu, ghz } of CPUS) {
      // A GEMM's per-call code, at its main loop's instructions per cycle.
      const g = o.gemmCalls;
      const main = g ? sites[GEMMS[g.kernel].main]! : undefined;
      const extra = g && main && perCall
        ? g.calls * perCall.get(callKey(g))! * main.mca[cpu].cyclesPerIteration / main.insns
        : 0;
      let cycles = 0;
      for (const [k, n] of Object.entries(o.trips) as [SiteKey, number][]) {
        cycles += n * sites[k]!.mca[cpu].cyclesPerIteration;
      }
      for (const [k, n] of Object.entries(o.elements) as [SiteKey, number][]) {
        const s = sites[k]!;
        cycles += (n / Math.max(1, s.floatsPerIteration)) * s.mca[cpu].cyclesPerIteration;
      }
      loopsMs[cpu] = (loopsMs[cpu] ?? 0) + cycles / (ghz * 1e6);
      ms[cpu] = (cycles + extra) / (ghz * 1e6);
      totalMs[cpu] = (totalMs[cpu] ?? 0) + ms[cpu];
    }
    return { ...o, ms };
  });
  estimate = {
    model: modelPath,
    ops: withMs,
    totalMs,
    loopsMs,
    perCallInstructions: perCall ? Object.fromEntries(perCall) : null,
  };
}

if (json) {
  const strip = (r: LoopReport) => ({ ...r, asm: show ? r.asm : undefined });
  console.log(JSON.stringify(
    {
      cpus: CPUS,
      kernels: kernels.map((k) => ({ ...strip(k.rep), name: k.name, macs: k.macs })),
      lceMix: { macs: 2048, mca: lce },
      loops: Object.fromEntries(Object.entries(sites).map(([k, r]) => [k, strip(r!)])),
      estimate,
      lce: LCE_QUICKNET,
    },
    null,
    2,
  ));
  Deno.exit(0);
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log("llvm-mca (llvm-14) predictions: binary micro-kernels, binary MACs per cycle (higher is better)\n");
console.log(`${"loop".padEnd(34)} ${"bMAC/iter".padStart(9)} ${CPUS.map((c) => c.cpu.padStart(22)).join("")}`);
const macRow = (name: string, macs: number, m: Record<string, McaResult>) =>
  console.log(
    `${name.padEnd(34)} ${pad(macs, 9)} ${
      CPUS.map(({ cpu }) => {
        const c = m[cpu].cyclesPerIteration;
        return `${c.toFixed(1)} cyc ${(macs / c).toFixed(1).padStart(5)}/cyc`.padStart(22);
      }).join("")
    }`,
  );
for (const k of kernels) macRow(k.name, k.macs, k.rep.mca);
macRow("LCE 8x4 block mix (no loads)", 2048, lce);

console.log(
  "\nHot loops: cycles per iteration / Block RThroughput (instruction-mix bound) = ratio; q = 128-bit NEON ops of all\n",
);
console.log(
  `${"loop".padEnd(38)} ${"source".padEnd(24)} ${"q/ops".padStart(6)} ${
    ["A72", "A76"].map((c) => `${c} cyc / bound = ratio`.padStart(24)).join("")
  } ${"A53 cyc/bound".padStart(14)}`,
);
for (const r of Object.values(sites)) {
  const cell = (cpu: string) => {
    const m = r!.mca[cpu];
    return `${m.cyclesPerIteration.toFixed(2)} / ${m.rThroughput.toFixed(1)} = ${
      (m.cyclesPerIteration / m.rThroughput).toFixed(2)
    }`.padStart(24);
  };
  const a53 = r!.mca["cortex-a53"];
  console.log(
    `${r!.name.padEnd(38)} ${r!.source.padEnd(24)} ${pad(`${r!.q}/${r!.insns}`, 6)} ${cell("cortex-a72")}${
      cell("cortex-a76")
    } ${pad(`${a53.cyclesPerIteration.toFixed(1)}/${a53.rThroughput.toFixed(1)}`, 14)}`,
  );
}
if (show) {
  for (const k of kernels) console.log(`\n# ${k.name}\n${k.rep.asm}`);
  for (const r of Object.values(sites)) console.log(`\n# ${r!.name} (${r!.fn}, ${r!.source})\n${r!.asm}`);
}

if (estimate) {
  console.log(
    `\nEstimate for ${estimate.model}, 1 thread (sum over each op's loops of iterations x llvm-mca cycles)\n`,
  );
  console.log(
    `${"#".padStart(3)} ${"op".padEnd(28)} ${CPUS.map((c) => `${c.cpu} ms`.padStart(15)).join("")}  not priced`,
  );
  const byOp = new Map<string, Record<string, number>>();
  for (const o of estimate.ops) {
    const agg = byOp.get(o.op) ?? {};
    for (const { cpu } of CPUS) agg[cpu] = (agg[cpu] ?? 0) + o.ms[cpu];
    byOp.set(o.op, agg);
    if (args.includes("--ops")) {
      console.log(
        `${pad(o.index, 3)} ${o.op.padEnd(28)} ${CPUS.map(({ cpu }) => o.ms[cpu].toFixed(3).padStart(15)).join("")}  ${
          o.missing ?? ""
        }`,
      );
    }
  }
  for (const [op, agg] of byOp) {
    const n = estimate.ops.filter((o) => o.op === op).length;
    const missing = [...new Set(estimate.ops.filter((o) => o.op === op && o.missing).map((o) => o.missing))].join("; ");
    console.log(
      `${pad(n, 3)} ${op.padEnd(28)} ${CPUS.map(({ cpu }) => agg[cpu].toFixed(3).padStart(15)).join("")}  ${missing}`,
    );
  }
  console.log(
    `    ${"loops only".padEnd(28)} ${CPUS.map(({ cpu }) => estimate!.loopsMs[cpu].toFixed(2).padStart(15)).join("")}`,
  );
  console.log(
    `    ${"total".padEnd(28)} ${CPUS.map(({ cpu }) => estimate!.totalMs[cpu].toFixed(2).padStart(15)).join("")}`,
  );
  const pc = estimate.perCallInstructions;
  console.log(
    pc
      ? `\nThe GEMMs' code outside their priced loops, per micro-kernel call (qemu-aarch64 instruction counts, dense` +
        `\nGEMM calls), priced at each main loop's instructions per cycle and included in the ops above: ${
          Object.entries(pc).map(([k, n]) => `${k}: ${n.toFixed(0)}`).join("; ")
        }.`
      : "\nNo qemu-aarch64-static: the GEMMs' per-call code is not priced (total = loops only).",
  );
  const a72 = estimate.totalMs["cortex-a72"];
  const quicknet = /(^|\/)quicknet\.tflite$/.test(estimate.model);
  const versus = `\nPredicted QuickNet on A72 @ 1.5 GHz: ${a72.toFixed(2)} ms = ${
    (LCE_QUICKNET.rpi4Ms / a72).toFixed(2)
  }x faster than LCE's RPi 4 number.`;
  console.log(
    `\nAssumed clocks: ${CPUS.map((c) => `${c.cpu} ${c.ghz} GHz (${c.device})`).join("; ")}.` +
      "\nllvm-mca 14 gives cortex-a76 the scheduling model of cortex-a72 (LLVM's Cortex-A57 model; identical cycles), so" +
      "\nthe A76 column is the A72 cycle count at 2.4 GHz: it understates a real A76 (4-wide, two full 128-bit pipes)." +
      `\nLCE's published QuickNet, 1 thread (larq/compute-engine README): Raspberry Pi 4B 1.5 GHz ${LCE_QUICKNET.rpi4Ms} ms,` +
      ` Pixel 1 ${LCE_QUICKNET.pixel1Ms} ms (Kryo cores, not an A76).` +
      (quicknet ? versus : "") +
      "\nAN ESTIMATE: loop steady states plus the GEMMs' per-call code. Left out: cache misses and memory bandwidth," +
      "\nfrequency scaling, the other kernels' loop prologues/epilogues and per-call code (pooling windows, depthwise" +
      "\nrows, bitpack rows), a convolution's extra loop entries per kernel row, the ops and parts marked" +
      "\n'not priced', interpreter and thread-pool overhead.",
  );
}
