/**
 * Writes kernels_zig/bgemm_inorder_asm.zig: the inner loop of the binary GEMM
 * micro-kernel for in-order Arm cores (Cortex-A53/A55), modulo-scheduled here
 * on the A53's rules as llvm-mca models them (one 128-bit NEON op a cycle,
 * latency 6; loads on their own pipe; two µops issued a cycle, in order, and
 * written back in order: a shorter-latency op waits behind a longer one).
 *
 *   deno run -A tools/gen_bgemm_inorder.ts [--check | --search | --loop DELAY LATE]
 *
 * The loop: 8 pixel rows by 4 output channels, 8 depth words (two groups of
 * 4) an iteration. A row's 4 words are one `ldr q`; the 4 channels' words,
 * stored depth-major in the packed rhs (word k of channel j at k·32 + j), are
 * transposed by the load unit: 4 `ld4 {b0-b3}.s[lane]`, lane l reading word
 * k+l of the 4 channels, so b_c holds channel c's 4 words. Then per row:
 * 4 eor, 4 cnt, an addp tree to one vector (4 bytes a channel), and per row
 * pair one more addp and a `uadalp` into u16 accumulators (lanes 0-3: the
 * even row's channels, 4-7: the odd row's). No broadcast in the loop.
 * `--check` fails when the committed file differs from what this writes; `--search` prints llvm-mca's (apt
 * llvm-14) cycles for each setting of the list scheduler (KNOBS); `--loop` prints one setting's loop for llvm-mca.
 * @module
 */

/** NEON ops an iteration: the bound of the one NEON pipe. */
const II_MIN = 192;
/**
 * Where the list scheduler starts: the NEON ops \`delay\` cycles into an iteration (the rhs loads before them, the
 * previous iteration's last rows' NEON ops in those cycles), group 1's rhs loads \`late\` cycles in. KNOBS: the best
 * of \`--search\` (llvm-mca on each).
 */
interface Knobs {
  delay: number;
  late: number;
}
const KNOBS: Knobs = { delay: 16, late: 20 };

type Kind = "lb" | "la" | "neon" | "int";
interface Op {
  id: number;
  kind: Kind;
  text: string;
  /** Registers read and written (for anti-dependences). */
  reads: string[];
  writes: string[];
  uops: number;
  /** LdSt cycles. */
  ldst: number;
  cycle: number;
}

const ops: Op[] = [];
function op(kind: Kind, text: string, reads: string[], writes: string[]): number {
  const id = ops.length;
  const uops = 1;
  const ldst = kind === "lb" ? 2 : kind === "la" ? 1 : 0;
  ops.push({ id, kind, text, reads, writes, uops, ldst, cycle: -1 });
  return id;
}

const NEON_LAT = 6, LDR_LAT = 4, LD4_LAT = 5, INT_LAT = 3;
/** Row r's 4 temporaries: 4 sets, row r's the one of r mod 4. */
const temp = (r: number, c: number) => `v${(r % 4) * 4 + c}`;
/** Row r's 4 words (4 registers in turn). */
const aReg = (r: number) => `v${16 + (r % 4)}`;
const bReg = (g: number, c: number) => `v${20 + g * 4 + c}`;
/** Row pair p's accumulator (u16 lanes 0-3: row 2p's channels; 4-7: row 2p+1's). */
const acc = (r: number) => `v${28 + ((r >> 1) & 3)}`;
/** The rhs pointers of each group's 4 lanes (x19-x22 are callee-saved: the function saves them). */
const LANE_PTRS = [["x11", "x12", "x13", "x14"], ["x19", "x20", "x21", "x22"]];
/** The registers holding the 8 row pointers (loaded from the array x0 points to). */
const ROWS = ["x4", "x5", "x6", "x7", "x16", "x17", "x0", "x8"];

// Loads of the rhs: group g's 4 lanes, each merging into the 4 b registers (a chain).
const lb: number[][] = [[], []];
for (const g of [0, 1]) {
  for (let l = 0; l < 4; l++) {
    const regs = [0, 1, 2, 3].map((c) => bReg(g, c));
    // Each lane of each group its own pointer, moved 8 words (1024 bytes) on before the load.
    const ptr = LANE_PTRS[g][l];
    op("int", `add ${ptr}, ${ptr}, #1024`, [ptr], [ptr]);
    lb[g].push(op("lb", `ld4 {${regs.map((r) => `${r}.s`).join(", ")}}[${l}], [${ptr}]`, [...regs, ptr], regs));
  }
}
for (let r = 0; r < 16; r++) {
  const g = r >> 3, i = r & 7;
  // Group g's words at offset x9 (group 0) or x10 (group 1), both moved on at the end of the iteration (TAIL).
  op("la", `ldr q${aReg(r).slice(1)}, [${ROWS[i]}, x${9 + g}]`, [`x${9 + g}`], [aReg(r)]);
  for (let c = 0; c < 4; c++) {
    op("neon", `eor ${temp(r, c)}.16b, ${aReg(r)}.16b, ${bReg(g, c)}.16b`, [aReg(r), bReg(g, c)], [temp(r, c)]);
  }
  for (let c = 0; c < 4; c++) op("neon", `cnt ${temp(r, c)}.16b, ${temp(r, c)}.16b`, [temp(r, c)], [temp(r, c)]);
  const t = (c: number) => `${temp(r, c)}.16b`;
  op("neon", `addp ${t(0)}, ${t(0)}, ${t(1)}`, [temp(r, 0), temp(r, 1)], [temp(r, 0)]);
  op("neon", `addp ${t(2)}, ${t(2)}, ${t(3)}`, [temp(r, 2), temp(r, 3)], [temp(r, 2)]);
  op("neon", `addp ${t(0)}, ${t(0)}, ${t(2)}`, [temp(r, 0), temp(r, 2)], [temp(r, 0)]);
  if (r % 2 === 1) {
    const lo = temp(r - 1, 0), hi = temp(r, 0);
    op("neon", `addp ${lo}.16b, ${lo}.16b, ${hi}.16b`, [lo, hi], [lo]);
    op("neon", `uadalp ${acc(r)}.8h, ${lo}.16b`, [acc(r), lo], [acc(r)]);
  }
}

/**
 * The iteration's last cycles, fixed: the loop counter and the lhs offsets (short latencies) just before the
 * branch, where they cost no more than the branch's own wait behind the NEON ops' write-back. Cycle before the end
 * (1: the branch's), text, registers.
 */
const TAIL: { before: number; text: string; reg: string }[] = [
  { before: 4, text: "subs x15, x15, #1", reg: "x15" },
  { before: 4, text: "add x9, x9, #32", reg: "x9" },
  { before: 3, text: "add x10, x10, #32", reg: "x10" },
];

const latency = (o: Op) => o === BRANCH ? 1 : ({ neon: NEON_LAT, la: LDR_LAT, lb: LD4_LAT, int: INT_LAT })[o.kind];
const TAIL_OPS: Op[] = TAIL.map((t) => ({
  id: -1,
  kind: "int",
  text: t.text,
  reads: [t.reg],
  writes: [t.reg],
  uops: 1,
  ldst: 0,
  cycle: -1,
}));
/** The loop's branch (not in `ops`: always the iteration's last cycle). */
const BRANCH: Op = {
  id: -1,
  kind: "int",
  text: "b.ne 1b",
  reads: [],
  writes: [],
  uops: 2, // alone in its cycle
  ldst: 0,
  cycle: -1,
};

/**
 * Every ordering constraint between two ops, from their registers: `to` issues at least `gap` cycles after `from`
 * of `distance` iterations before (true dependences: the writer's latency; anti and output ones: one cycle).
 */
function hazards(): { from: number; to: number; distance: number; gap: number }[] {
  const out: { from: number; to: number; distance: number; gap: number }[] = [];
  for (const w of ops) {
    for (const reg of w.writes) {
      for (const x of ops) {
        if (x === w || !(x.reads.includes(reg) || x.writes.includes(reg))) continue;
        out.push({ from: x.id, to: w.id, distance: x.id < w.id ? 0 : 1, gap: 1 });
      }
    }
  }
  for (const x of ops) {
    for (const reg of x.reads) {
      // The value x reads: the last write before it in the iteration, else the previous iteration's last write.
      const before = ops.filter((w) => w.id < x.id && w.writes.includes(reg));
      const all = ops.filter((w) => w.writes.includes(reg));
      const w = before.length > 0 ? before.at(-1)! : all.at(-1);
      if (w) out.push({ from: w.id, to: x.id, distance: before.length > 0 ? 0 : 1, gap: latency(w) });
    }
  }
  return out;
}

const HAZARDS = hazards();

/**
 * Places every op modulo `ii` (loads and integer ops in the first stage), list-scheduled in row order, each as early
 * as its operands, the pipes and the A53's in-order write-back allow: a result is written back no earlier than any
 * issued before it, so an op of shorter latency issues late enough behind a longer one (a load two cycles behind a
 * NEON op). False when they do not fit.
 */
function schedule(ii: number, { delay, late }: Knobs): boolean {
  const at: Op[][] = Array.from({ length: ii }, () => []);
  const group1 = new Set([...lb[1], ...lb[1].map((id) => id - 1)]); // its lanes and their pointer adds
  const minCycle = ops.map((o) => (o.kind === "neon" ? delay : group1.has(o.id) ? late : 0));
  const into = ops.map((o) => HAZARDS.filter((h) => h.to === o.id && h.distance === 0));
  const fits = (o: Op, c: number) => {
    const here = at[c % ii];
    if (here.length + o.uops > 2 || here.some((x) => x.uops === 2) || (o.uops === 2 && here.length > 0)) return false;
    if (o.kind === "neon" && here.some((x) => x.kind === "neon")) return false;
    if (o.ldst > 0 && here.some((x) => x.ldst > 0)) return false;
    for (let d = -7; d <= 7; d++) {
      for (const y of at[(((c + d) % ii) + ii) % ii]) {
        if (y.ldst > 0 && o.ldst > 0 && Math.abs(d) < Math.max(y.ldst, o.ldst) && d !== 0) {
          if ((d > 0 && o.ldst > d) || (d < 0 && y.ldst > -d)) return false;
        }
        // In program order within a cycle the shorter latency goes first.
        if (d > 0 && latency(o) - latency(y) > d) return false;
        if (d < 0 && latency(y) - latency(o) > -d) return false;
      }
    }
    return true;
  };
  for (let round = 0; round < 20; round++) {
    for (const slot of at) slot.length = 0;
    for (const o of ops) o.cycle = -1;
    // The branch ends the iteration: written back (latency 1) after everything before it.
    at[ii - 1].push(BRANCH);
    for (const [k, t] of TAIL.entries()) {
      TAIL_OPS[k].cycle = ii - t.before;
      at[ii - t.before].push(TAIL_OPS[k]);
    }
    for (const o of ops) {
      let c = minCycle[o.id];
      for (const h of into[o.id]) c = Math.max(c, ops[h.from].cycle + h.gap);
      while (!fits(o, c)) {
        c++;
        if (c > 4 * ii || (o.kind !== "neon" && c >= ii)) return false;
        if (o.kind === "la" && c >= ii - 4) return false; // before the tail moves the offsets on
      }
      o.cycle = c;
      at[c % ii].push(o);
    }
    // Hazards into the next iteration: the later-iteration op must issue after the reader.
    let ok = true;
    for (const h of HAZARDS) {
      const need = ops[h.from].cycle + h.gap - h.distance * ii;
      if (ops[h.to].cycle < need) {
        minCycle[h.to] = Math.max(minCycle[h.to], need);
        ok = false;
      }
    }
    if (ok) return true;
  }
  return false;
}

/**
 * The kernel with the NEON ops starting `delay` cycles into an iteration (the rhs loads before them, the previous
 * iteration's last rows' NEON ops in those cycles): the loop's function as lines of assembly, and a summary.
 */
function build(knobs: Knobs): { lines: string[]; loop: string; zig: string } {
  let ii = II_MIN;
  while (!schedule(ii, knobs)) {
    ii++;
    if (ii > 2 * II_MIN) throw new Error("no schedule");
  }
  const stages = Math.max(...ops.map((o) => Math.floor(o.cycle / ii)));
  const order = [...ops, ...TAIL_OPS].sort((a, b) => (a.cycle % ii) - (b.cycle % ii) || latency(a) - latency(b));

  // Registers a previous-iteration op of the first pass reads before anything of that pass writes them: zeroed, so
  // those ops compute zeros (and add zeros to the accumulators).
  const zero = new Set<string>(["v28", "v29", "v30", "v31"]);
  {
    const written = new Set<string>();
    for (const o of order) {
      if (o.cycle >= ii) { for (const r of o.reads) if (!written.has(r)) zero.add(r); }
      for (const w of o.writes) written.add(w);
    }
  }
  const kernel = [...order.map((o) => o.text), "b.ne 1b"];
  const epilogue: string[] = [];
  for (let e = 1; e <= stages; e++) {
    for (const o of order) if (Math.floor(o.cycle / ii) >= e) epilogue.push(o.text);
  }
  const SYMBOL = "onebit_bgemm_inorder_loop";
  const prologue = [
    ".text",
    `.weak ${SYMBOL}`,
    `.hidden ${SYMBOL}`,
    `.type ${SYMBOL}, %function`,
    ".p2align 4",
    `${SYMBOL}:`,
    // d8-d15 are callee-saved.
    "stp d8, d9, [sp, #-64]!",
    "stp d10, d11, [sp, #16]",
    "stp d12, d13, [sp, #32]",
    "stp d14, d15, [sp, #48]",
    "stp x19, x20, [sp, #-32]!",
    "stp x21, x22, [sp, #16]",
    "ldp x4, x5, [x0]",
    "ldp x6, x7, [x0, #16]",
    "ldp x16, x17, [x0, #32]",
    "ldp x0, x8, [x0, #48]",
    "mov x9, #0",
    "mov x10, #16",
    // The rhs pointers one iteration back: the loop moves them on before loading.
    ...LANE_PTRS.flat().map((p, i) => `sub ${p}, x1, #${1024 - 128 * i}`),
    "mov x15, x2",
    ...[...zero].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))).map((r) => `movi ${r}.16b, #0`),
  ];

  const lines = [
    ...prologue,
    "1:",
    ...kernel,
    ...epilogue,
    "st1 {v28.8h, v29.8h, v30.8h, v31.8h}, [x3]",
    "ldp x21, x22, [sp, #16]",
    "ldp x19, x20, [sp], #32",
    "ldp d14, d15, [sp, #48]",
    "ldp d12, d13, [sp, #32]",
    "ldp d10, d11, [sp, #16]",
    "ldp d8, d9, [sp], #64",
    "ret",
    `.size ${SYMBOL}, .-${SYMBOL}`,
  ];
  const neon = ops.filter((o) => o.kind === "neon").length;
  const zig = [
    "//! Generated by tools/gen_bgemm_inorder.ts: do not edit. The inner loop of bgemm_8x4__neon (see that tool):",
    `//! ${ii} cycles an iteration as scheduled (${neon} NEON ops), ${
      stages + 1
    } stages, ${zero.size} registers zeroed.`,
    "",
    `/// Global assembly of \`${SYMBOL}(rows: *const [8][*]const u32, rhs: [*]const u32, iterations: usize,`,
    "/// out: *[4]@Vector(8, u16))` (C calling convention; iterations >= 1): `out` gets the row pairs' u16 sums.",
    `pub const symbol = "${SYMBOL}";`,
    "pub const source =",
    ...lines.map((l) => `    \\\\${l}`),
    ";",
    "",
  ].join("\n");
  return { lines, loop: [".Lloop:", ...kernel.slice(0, -1), "b.ne .Lloop"].join("\n") + "\n", zig };
}

/** llvm-mca-14's cycles per iteration of `loop` on `cpu`. */
async function mcaCycles(loop: string, cpu: string): Promise<number> {
  const child = new Deno.Command("llvm-mca-14", {
    args: ["-mtriple=aarch64", `-mcpu=${cpu}`, "-iterations=200"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(loop));
  await w.close();
  const out = new TextDecoder().decode((await child.output()).stdout);
  return Number(out.match(/Total Cycles:\s+(\d+)/)![1]) / 200;
}

const dump = Deno.args.indexOf("--loop");
if (dump >= 0) {
  console.log(build({ delay: Number(Deno.args[dump + 1]), late: Number(Deno.args[dump + 2]) }).loop);
  Deno.exit(0);
}
if (Deno.args.includes("--search")) {
  for (let delay = 16; delay <= 40; delay += 4) {
    for (const late of [0, 20, 40, 60, 80]) {
      const cycles = await mcaCycles(build({ delay, late }).loop, "cortex-a53");
      console.log(`delay ${delay} late ${late}: ${cycles} cycles on cortex-a53`);
    }
  }
  Deno.exit(0);
}
const { zig } = build(KNOBS);
const path = new URL("../kernels_zig/bgemm_inorder_asm.zig", import.meta.url);
if (Deno.args.includes("--check")) {
  const old = await Deno.readTextFile(path).catch(() => "");
  if (old !== zig) {
    console.error("kernels_zig/bgemm_inorder_asm.zig is stale: run deno run -A tools/gen_bgemm_inorder.ts");
    Deno.exit(1);
  }
} else {
  await Deno.writeTextFile(path, zig);
  console.log(zig.split("\n")[1]);
}
