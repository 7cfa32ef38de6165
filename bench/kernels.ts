/**
 * Binary GEMM / binary convolution throughput against this CPU's limit.
 *
 *   deno task bench:kernels [--quick] [--json] [--runs N] [--lib libonebit.so ...] [--processes P]
 *
 * The limit of each micro-kernel is measured in the same run: its own
 * register-only XOR + popcount + accumulate loop (onebit_peak_loop), the
 * same instructions with no loads, on 1 and on 2 threads at once (vCPUs that
 * share a physical core's vector units do not double it).
 * Shapes are QuickNet's binary 3x3 convolutions (same-one padding, stride 1);
 * `bgemm` times the GEMM on a ready im2col buffer, `bconv2d` the whole bound
 * convolution as the interpreter calls it (im2col + GEMM).
 *
 * Machines here are noisy and lend the second vCPU unevenly, so 1 and 2
 * threads are timed in interleaved rounds (`--runs` of them), each between
 * two short peak-loop probes of how many cores the VM gives us right then.
 * Times are medians over rounds; 2T/1T is the median of the rounds' ratios,
 * over all rounds and over the calm ones (both probes at >= 1.9 cores).
 *
 * Whole processes differ too (the host places the vCPUs anew), so `--processes P` runs this benchmark P times in
 * child processes (per `--lib`, alternating libraries: the way to compare the 2-thread speed of two builds, each with
 * its own thread pool) and prints, for the fastest micro-kernel, medians over the processes.
 *
 * OpenVINO's x86 binary convolution beside onebit's (when the cross-check venv of tools/setup_py.sh exists; skip with
 * `--no-openvino`): in the same rounds as the fastest micro-kernel, a helper (tools/py/openvino_kernels.py) times
 * FakeQuantize(levels=2) + BinaryConvolution of each shape on 1 and 2 threads: `ov_call` is the whole infer() call
 * (binarizing the float input, its layout reorder, the kernel, Python's call overhead of ~10 µs), `ov_bconv` the
 * BinaryConvolution node alone (OpenVINO's performance counters, µs resolution). onebit's `bconv2d` starts from a
 * bitpacked input.
 */
import { parseArgs } from "node:util";
import { BinaryKernels, planConv } from "../kernels/binary_kernels.ts";
import { cpuModel, haveVenv, OpenvinoServer } from "./_openvino.ts";

const args = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    runs: { type: "string" },
    lib: { type: "string", multiple: true },
    processes: { type: "string" },
    "no-openvino": { type: "boolean", default: false },
  },
});
const quick = args.values.quick;
const runs = Number(args.values.runs ?? (quick ? 5 : 21));
const callsPerRound = 5;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function time(fn: () => void, n: number): number {
  fn(); // warm-up: page faults, pool start, caches
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

interface Shape {
  name: string;
  hw: number;
  cin: number;
  cout: number;
}
const shapes: Shape[] = [
  { name: "56x56x64->64", hw: 56, cin: 64, cout: 64 },
  { name: "28x28x128->128", hw: 28, cin: 128, cout: 128 },
  { name: "14x14x256->256", hw: 14, cin: 256, cout: 256 },
  { name: "7x7x512->512", hw: 7, cin: 512, cout: 512 },
];

if (args.values.processes !== undefined) {
  await runProcesses(Number(args.values.processes));
  Deno.exit(0);
}

const native = BinaryKernels.native({ path: args.values.lib?.[0] });
const ukernels = native.ukernels().filter((u) => u.supported);
const fastest = ukernels.at(-1)!; // the fastest supported micro-kernel is listed last
const openvinoCalls = 21;
let openvino: OpenvinoServer | undefined;
if (!args.values["no-openvino"] && Deno.build.arch === "x86_64" && await haveVenv()) {
  const setup = await new Deno.Command("bash", { args: ["tools/setup_py.sh"], cwd: new URL("../", import.meta.url) })
    .output();
  if (!setup.success) throw new Error("tools/setup_py.sh failed");
  openvino = await OpenvinoServer.start("openvino_kernels.py", []);
}

// 1. The limit of every micro-kernel's instruction mix, on 1 and 2 threads.
const limits = new Map<string, number>(); // key: `${name}/t${threads}`, G bMAC/s
for (const u of ukernels) {
  for (const threads of [1, 2]) {
    const iterations = Math.ceil(2e9 / u.peakMacsPerIteration / (quick ? 4 : 1));
    const ms = time(() => native.peakLoop(u.index, iterations, threads), quick ? 3 : 7);
    limits.set(`${u.name}/t${threads}`, (threads * iterations * u.peakMacsPerIteration) / ms / 1e6);
  }
}

interface Row {
  op: string;
  shape: string;
  ukernel: string;
  threads: number;
  ms: number;
  gmacs: number;
  fractionOfLimit: number;
  /** 2T rows: median over rounds of t(1 thread) / t(2 threads), all rounds and calm rounds only. */
  speedup?: number;
  calmSpeedup?: number;
  calmRounds?: number;
}
const rows: Row[] = [];

function randomWords(n: number): Uint32Array {
  const out = new Uint32Array(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 0;
  }
  return out;
}

for (const s of shapes) {
  const geometry = {
    inputShape: [1, s.hw, s.hw, s.cin] as const,
    kernelSize: [3, 3] as const,
    padding: "same" as const,
  };
  const plan = planConv(geometry);
  const words = s.cin / 32;
  const input = randomWords(s.hw * s.hw * words);
  const filter = native.packRhs(randomWords(s.cout * 9 * words), s.cout);
  const lhs = native.im2col(input, geometry);
  const macs = plan.outH * plan.outW * s.cout * 9 * s.cin;
  const out = new Float32Array(plan.outH * plan.outW * s.cout);
  const workspace = new Uint32Array(lhs.length);
  for (const u of ukernels) {
    // Shared hosts lend the second vCPU unevenly: before and after each round, measure how much of it is there
    // (short peak loops on 1 and 2 threads); a round is calm when both probes see two whole cores.
    const probeIterations = Math.ceil(2e7 / u.peakMacsPerIteration);
    const probe = () => {
      const p1 = time(() => native.peakLoop(u.index, probeIterations, 1), 3);
      const p2 = time(() => native.peakLoop(u.index, probeIterations, 2), 3);
      return (2 * p1) / p2;
    };
    const calls = [1, 2].map((threads) => {
      const k = native.with({ ukernel: u.index, threads });
      const conv = k.bindBconv2dF32(filter, geometry);
      return {
        bgemm: () => k.bgemmF32(lhs, filter, { out }),
        bconv2d: () => conv.run(input, out, workspace),
      };
    });
    const times: Record<string, number[][]> = { bgemm: [[], []], bconv2d: [[], []] };
    const withOpenvino = openvino && u === fastest;
    if (withOpenvino) Object.assign(times, { ov_call: [[], []], ov_bconv: [[], []] });
    const calm: boolean[] = [];
    for (let round = 0; round < runs; round++) {
      const before = probe();
      for (const op of ["bgemm", "bconv2d"] as const) {
        for (const t of [0, 1]) times[op][t].push(time(calls[t][op], callsPerRound));
      }
      if (withOpenvino) {
        for (const t of [0, 1]) {
          const request = { hw: s.hw, cin: s.cin, cout: s.cout, threads: t + 1, runs: openvinoCalls };
          const answer = await openvino!.request(request);
          times.ov_call[t].push(median(answer.ms));
          times.ov_bconv[t].push(median(answer.node_us) / 1000);
        }
      }
      calm.push(Math.min(before, probe()) >= 1.9);
    }
    for (const op of Object.keys(times)) {
      const ratios = times[op][0].map((t1, i) => t1 / times[op][1][i]);
      for (const threads of [1, 2]) {
        const ms = median(times[op][threads - 1]);
        const gmacs = macs / ms / 1e6;
        const calmRatios = ratios.filter((_, i) => calm[i]);
        rows.push({
          op,
          shape: s.name,
          ukernel: op.startsWith("ov_") ? "openvino" : u.name,
          threads,
          ms,
          gmacs,
          fractionOfLimit: gmacs / limits.get(`${u.name}/t${threads}`)!,
          ...(threads === 2
            ? {
              speedup: median(ratios),
              calmSpeedup: calmRatios.length ? median(calmRatios) : NaN,
              calmRounds: calmRatios.length,
            }
            : {}),
        });
      }
    }
  }
}

const openvinoVersion = openvino?.hello.version as string | undefined;
await openvino?.close();
if (args.values.json) {
  console.log(
    JSON.stringify(
      { cpu: Deno.build.arch, cpuModel: cpuModel(), openvinoVersion, limitsGmacs: Object.fromEntries(limits), rows },
      null,
      2,
    ),
  );
} else {
  console.log(`onebit kernel benchmark (${cpuModel()}, medians of ${runs} interleaved rounds)\n`);
  console.log("limit: register-only XOR+popcount+accumulate loop of each micro-kernel (G bMAC/s)");
  console.log(`  ${"micro-kernel".padEnd(28)} ${"1 thread".padStart(9)} ${"2 threads".padStart(10)}  ratio`);
  for (const u of ukernels) {
    const one = limits.get(`${u.name}/t1`)!, two = limits.get(`${u.name}/t2`)!;
    console.log(
      `  ${u.name.padEnd(28)} ${one.toFixed(1).padStart(9)} ${two.toFixed(1).padStart(10)}  ${(two / one).toFixed(2)}x`,
    );
  }
  console.log(
    `\n2T/1T: median of the rounds' 1-thread/2-thread time ratios; calm: only rounds whose probes saw 2 cores`,
  );
  console.log(
    "op       shape            micro-kernel                 thr      ms   G bMAC/s  % limit  2T/1T   calm (rounds)",
  );
  for (const r of rows) {
    const two = r.threads === 2
      ? `${r.speedup!.toFixed(2)}x  ${r.calmSpeedup!.toFixed(2)}x (${r.calmRounds}/${runs})`
      : "";
    console.log(
      `${r.op.padEnd(8)} ${r.shape.padEnd(16)} ${r.ukernel.padEnd(28)} ${String(r.threads).padStart(3)} ${
        r.ms.toFixed(3).padStart(7)
      } ${r.gmacs.toFixed(1).padStart(10)} ${(100 * r.fractionOfLimit).toFixed(1).padStart(7)}%  ${two}`,
    );
  }
  if (openvinoVersion) printOpenvino(rows, fastest.name, openvinoVersion);
}

/** onebit's bconv2d (fastest micro-kernel) beside OpenVINO's whole call and its BinaryConvolution node, µs. */
function printOpenvino(rows: Row[], ukernel: string, version: string, ms = (r: Row) => r.ms) {
  console.log(
    `\nOpenVINO ${version.split("-")[0]} beside onebit bconv2d (${ukernel}), µs; ratio = OpenVINO time / onebit time`,
  );
  console.log("shape            thr  onebit   OV call   OV node  call/onebit  node/onebit");
  for (const s of shapes) {
    for (const threads of [1, 2]) {
      const find = (op: string) =>
        rows.find((r) =>
          r.op === op && r.shape === s.name && r.threads === threads && (op !== "bconv2d" || r.ukernel === ukernel)
        );
      const ours = find("bconv2d"), call = find("ov_call"), node = find("ov_bconv");
      if (!ours || !call || !node) continue;
      const us = (r: Row) => (1000 * ms(r)).toFixed(1);
      console.log(
        `${s.name.padEnd(16)} ${String(threads).padStart(3)} ${us(ours).padStart(7)} ${us(call).padStart(9)} ${
          us(node).padStart(9)
        } ${(ms(call) / ms(ours)).toFixed(2).padStart(11)}x ${(ms(node) / ms(ours)).toFixed(2).padStart(11)}x`,
      );
    }
  }
}

/** The benchmark in child processes, `processes` per library, aggregated. */
async function runProcesses(processes: number): Promise<void> {
  if (!Number.isInteger(processes) || processes < 1) throw new RangeError("--processes must be a positive integer");
  const libs: (string | undefined)[] = args.values.lib?.length ? args.values.lib : [undefined];
  const results = libs.map(() =>
    [] as { limitsGmacs: Record<string, number>; rows: Row[]; cpuModel: string; openvinoVersion?: string }[]
  );
  for (let i = 0; i < processes; i++) {
    for (const [l, lib] of libs.entries()) {
      const argv = ["run", "-A", new URL(import.meta.url).pathname, "--json", "--runs", String(runs)];
      if (quick) argv.push("--quick");
      if (lib) argv.push("--lib", lib);
      if (args.values["no-openvino"]) argv.push("--no-openvino");
      const out = await new Deno.Command(Deno.execPath(), { args: argv, stdout: "piped", stderr: "inherit" }).output();
      if (!out.success) throw new Error(`bench/kernels.ts child process failed (exit ${out.code})`);
      results[l].push(JSON.parse(new TextDecoder().decode(out.stdout)));
    }
  }
  const fmt = (v: number, d: number) => v.toFixed(d);
  for (const [l, lib] of libs.entries()) {
    const procs = results[l];
    // the fastest supported micro-kernel is listed last (then OpenVINO's rows)
    const ukernel = procs[0].rows.filter((r) => !r.op.startsWith("ov_")).at(-1)!.ukernel;
    const limit = (t: number) => procs.map((p) => p.limitsGmacs[`${ukernel}/t${t}`]);
    console.log(
      `\n${lib ?? "default library"}: ${processes} processes of ${runs} rounds, ${ukernel}, ${procs[0].cpuModel}`,
    );
    console.log(
      `limit G bMAC/s: 1 thread ${fmt(median(limit(1)), 0)} (${fmt(Math.min(...limit(1)), 0)}-${
        fmt(Math.max(...limit(1)), 0)
      }), 2 threads ${fmt(median(limit(2)), 0)} (${fmt(Math.min(...limit(2)), 0)}-${fmt(Math.max(...limit(2)), 0)})`,
    );
    console.log(
      "op       shape            1T µs  G bMAC/s  % limit   2T µs  G bMAC/s  % limit  2T/1T all  calm (range)        calm rounds",
    );
    const medianRows: Row[] = [];
    for (const s of shapes) {
      for (const op of ["bgemm", "bconv2d", "ov_call", "ov_bconv"]) {
        const name = op.startsWith("ov_") ? "openvino" : ukernel;
        const pick = (t: number) =>
          procs.map((p) =>
            p.rows.find((r) => r.ukernel === name && r.op === op && r.shape === s.name && r.threads === t)!
          ).filter((r) => r);
        const one = pick(1), two = pick(2);
        if (!one.length || !two.length) continue;
        for (const rs of [one, two]) medianRows.push({ ...rs[0], ms: median(rs.map((r) => r.ms)) });
        const m = (rs: Row[], f: (r: Row) => number) => median(rs.map(f));
        const calm = two.map((r) => r.calmSpeedup!).filter((v) => v !== null && Number.isFinite(v));
        const calmText = calm.length
          ? `${fmt(median(calm), 2)}x (${fmt(Math.min(...calm), 2)}-${fmt(Math.max(...calm), 2)})`
          : "-";
        console.log(
          `${op.padEnd(8)} ${s.name.padEnd(16)} ${fmt(m(one, (r) => r.ms * 1000), 1).padStart(6)} ${
            fmt(m(one, (r) => r.gmacs), 0).padStart(9)
          } ${fmt(m(one, (r) => 100 * r.fractionOfLimit), 0).padStart(7)}% ${
            fmt(m(two, (r) => r.ms * 1000), 1).padStart(7)
          } ${fmt(m(two, (r) => r.gmacs), 0).padStart(9)} ${
            fmt(m(two, (r) => 100 * r.fractionOfLimit), 0).padStart(7)
          }%  ${fmt(m(two, (r) => r.speedup!), 2).padStart(8)}x  ${calmText.padEnd(18)} ${
            String(two.reduce((a, r) => a + r.calmRounds!, 0)).padStart(6)
          }/${runs * processes}`,
        );
      }
    }
    const version = procs[0].openvinoVersion;
    if (version) printOpenvino(medianRows, ukernel, version);
  }
}
