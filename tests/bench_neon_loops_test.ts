/**
 * bench/_neon_loops.ts: reading llvm-objdump's disassembly with DWARF lines,
 * finding innermost loops and a loop by the source line it runs, the loop's
 * vector mix, and llvm-mca's numbers.
 */
import assert from "node:assert/strict";
import {
  floatsStoredPerIteration,
  innermostLoops,
  lineOf,
  loopOfSite,
  mca,
  mcaSource,
  parseDisassembly,
  parseMca,
  siteLines,
  vectorMix,
} from "../bench/_neon_loops.ts";

/** `fn` throws an instance of `type` whose message contains `text`. */
function throwsWith(fn: () => unknown, type: ErrorConstructor, text: string): void {
  assert.throws(fn, (e: unknown) => e instanceof type && e.message.includes(text));
}

// Two functions: f has an outer loop (0x10..0x24) around an inner one (0x14..0x1c) and a loop around a call;
// g has an auto-vectorized loop and its scalar remainder, both on line 7.
const DISASM = `
0000000000000010 <f>:
; f():
; /src/kernels_zig/a.zig:3
      10:      	mov	x0, #0
; /src/kernels_zig/a.zig:4
      14:      	ldr	q0, [x1], #16
      18:      	add	v1.4s, v1.4s, v0.4s
      1c:      	b.ne	0x14 <f+0x4>
; /src/kernels_zig/a.zig:5
      20:      	subs	x2, x2, #1
      24:      	cbnz	x2, 0x10 <f>
      28:      	bl	0x100 <h>
      2c:      	b.ne	0x28 <f+0x18>
      30:      	ret

0000000000000040 <g>:
; /src/kernels_zig/b.zig:7
      40:      	ldp	q0, q1, [x0], #32
      44:      	fadd	v0.4s, v0.4s, v2.4s
      48:      	stp	q0, q1, [x3], #32
      4c:      	subs	x4, x4, #8
      50:      	b.ne	0x40 <g>
      54:      	ldr	s0, [x0], #4
      58:      	str	s0, [x3], #4
      5c:      	cbnz	x5, 0x54 <g+0x14>
      60:      	ret
`;

Deno.test("parseDisassembly: instructions by function, with the DWARF line before them", () => {
  const fns = parseDisassembly(DISASM);
  assert.deepStrictEqual([...fns.keys()], ["f", "g"]);
  const f = fns.get("f")!;
  assert.deepStrictEqual(f[0], { addr: 0x10, text: "mov x0, #0", file: "a.zig", line: 3 });
  assert.deepStrictEqual(f[2].line, 4);
  assert.deepStrictEqual(f[4], { addr: 0x20, text: "subs x2, x2, #1", file: "a.zig", line: 5 });
  assert.deepStrictEqual(fns.get("g")!.length, 9);
});

Deno.test("innermostLoops: the inner of two nested loops, never a loop around a call", () => {
  const fns = parseDisassembly(DISASM);
  const loops = innermostLoops(fns, "f");
  assert.deepStrictEqual(loops.length, 1);
  assert.deepStrictEqual(loops[0].insns.map((x) => x.addr), [0x14, 0x18, 0x1c]);
  assert.deepStrictEqual(innermostLoops(fns, "g").map((l) => l.insns[0].addr), [0x40, 0x54]);
  throwsWith(() => innermostLoops(fns, "nope"), RangeError, "'nope'");
});

Deno.test("lineOf: exactly one line holds the snippet", () => {
  assert.deepStrictEqual(lineOf("a\nb x\nc", "x", "t"), 2);
  throwsWith(() => lineOf("a\nb", "x", "here"), RangeError, "here: 'x' is on 0 lines");
  throwsWith(() => lineOf("x\nx", "x", "here"), RangeError, "on 2 lines");
});

Deno.test("loopOfSite: the smallest loop running the line; the vectorized one when asked", () => {
  const fns = parseDisassembly(DISASM);
  const site = { name: "s", fn: "g", file: "b.zig", snippet: "" };
  assert.deepStrictEqual(loopOfSite(fns, site, 7).insns[0].addr, 0x54);
  assert.deepStrictEqual(loopOfSite(fns, { ...site, vector: true }, 7).insns[0].addr, 0x40);
  assert.deepStrictEqual(loopOfSite(fns, { ...site, fn: /^[fg]$/, file: "a.zig" }, 4).fn, "f");
  throwsWith(() => loopOfSite(fns, site, 8), RangeError, "no innermost loop of g runs b.zig:8");
  // An excluded line drops every loop that runs it.
  throwsWith(() => loopOfSite(fns, site, 7, [{ file: "b.zig", line: 7 }]), RangeError, "no innermost loop");
  assert.deepStrictEqual(loopOfSite(fns, { ...site, fn: "f", file: "a.zig" }, 4, [{ file: "b.zig", line: 7 }]).fn, "f");
  throwsWith(() => loopOfSite(fns, { ...site, fn: /^z/ }, 7), RangeError, "no function matches");
});

Deno.test("siteLines: the snippet's line and the lines of its exclusions, each in its own file", async () => {
  const files: Record<string, string> = { "a.zig": "x\ny\nz", "b.zig": "p\nq" };
  const site = { name: "s", fn: "f", file: "a.zig", snippet: "z", without: [{ file: "b.zig", snippet: "q" }] };
  assert.deepStrictEqual(await siteLines(site, (f) => Promise.resolve(files[f])), {
    line: 3,
    exclude: [{ file: "b.zig", line: 2 }],
  });
  await assert.rejects(() => siteLines({ ...site, snippet: "w" }, (f) => Promise.resolve(files[f])), RangeError);
});

Deno.test("vectorMix, floatsStoredPerIteration and mcaSource read the loop's instructions", () => {
  const fns = parseDisassembly(DISASM);
  const [vec, scalar] = innermostLoops(fns, "g");
  assert.deepStrictEqual(vectorMix(vec), { q: 3, total: 5 });
  assert.deepStrictEqual(vectorMix(scalar), { q: 0, total: 3 });
  assert.deepStrictEqual(floatsStoredPerIteration(vec), 8);
  assert.deepStrictEqual(floatsStoredPerIteration(scalar), 1);
  assert.deepStrictEqual(mcaSource(scalar), ".Lloop:\nldr s0, [x0], #4\nstr s0, [x3], #4\ncbnz x5, .Lloop\n");
});

Deno.test("parseMca: cycles per iteration and Block RThroughput; a TypeError without them", () => {
  const r = parseMca(
    "Iterations:        200\nInstructions:      400\nTotal Cycles:      503\nBlock RThroughput: 2.5\n",
  );
  assert.deepStrictEqual(r, { cyclesPerIteration: 2.515, rThroughput: 2.5 });
  throwsWith(() => parseMca("Iterations: 3"), TypeError, "'Total Cycles'");
});

const hasMca = new Deno.Command("sh", { args: ["-c", "command -v llvm-mca-14"] }).outputSync().success;

Deno.test({
  name: "mca: independent ops run at their resource bound, a dependency chain at its latency",
  ignore: !hasMca,
  fn: async () => {
    const independent = await mca("fadd v0.4s, v1.4s, v2.4s\nfadd v3.4s, v1.4s, v2.4s\n", "cortex-a72");
    assert.ok(Math.abs(independent.cyclesPerIteration / independent.rThroughput - 1) < 0.05);
    const chain = await mca("fadd v0.4s, v0.4s, v2.4s\nfadd v0.4s, v0.4s, v2.4s\n", "cortex-a72");
    assert.ok(chain.cyclesPerIteration > 2 * chain.rThroughput, `latency-bound: ${JSON.stringify(chain)}`);
  },
});
