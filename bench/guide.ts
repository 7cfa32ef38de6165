/**
 * The measurements behind docs/designing_fast_bnns.md: small models built
 * from onebit's layers, converted by onebit's converter and timed in its
 * interpreter, one question each — channel counts, padding, where binary
 * pays, the order of BatchNorm and ReLU after a binary convolution, the
 * residual fusion, threads. Each case prints the op list the converter
 * emitted and the median time per invoke (and per op where that is the
 * point), so the guide's numbers can be re-taken on any machine:
 *
 *   deno run -A bench/guide.ts [--runs 200] [--backend native|wasm|reference] [--only channels,padding,...]
 *
 * Weights are random (seeded); BatchNorm statistics are randomised so that
 * no fused multiplier or threshold is trivial.
 */
import { parseArgs } from "node:util";
import { convert } from "../convert/convert.ts";
import { seededRandom } from "../graph/random.ts";
import { Activation } from "../layers/core.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import { Conv2D, QuantConv2D } from "../layers/conv.ts";
import { Dense, QuantDense } from "../layers/dense.ts";
import type { Layer } from "../layers/layer.ts";
import { Add } from "../layers/merge.ts";
import { input, type SymbolicTensor } from "../layers/symbolic.ts";
import { Model } from "../models/model.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import type { Backend } from "../kernels/backend.ts";
import { median, timeCalls } from "./_compare.ts";
import { cpuModel } from "./_openvino.ts";

const BINARY = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" } as const;

interface Timing {
  ops: string[];
  /** Median ms per invoke. */
  total: number;
  /** Median ms per invoke of each op label (summed over the ops of one call with the same label). */
  perOp: Map<string, number>;
}

/** Randomises every BatchNormalization's statistics (gamma, beta, mean in ±0.5 around the defaults, variance 0.5-1.5). */
function randomiseBatchNorms(model: Model, random: () => number): void {
  for (const layer of model.layers) {
    if (!(layer instanceof BatchNormalization)) continue;
    for (const w of layer.weights) {
      const v = w.variable;
      const centre = /gamma|variance/.test(v.name) ? 1 : 0;
      v.assign(Float32Array.from(v.data, () => centre + random() - 0.5));
    }
  }
}

/** A functional model of `build` applied to an input of `shape`, seeded. */
function model(shape: number[], build: (x: SymbolicTensor, seeded: <T extends Layer>(l: T) => T) => SymbolicTensor) {
  const random = seededRandom(7);
  const x = input(shape);
  const m = new Model(x, build(x, (l) => l.seed(random)));
  randomiseBatchNorms(m, random);
  return m;
}

async function time(m: Model, options: { runs: number; backend: Backend; threads?: number; fuse?: boolean }) {
  const { bytes } = convert(m);
  const it = Interpreter.fromBytes(bytes, {
    backend: options.backend,
    numThreads: options.threads ?? 1,
    fuse: options.fuse ?? true,
    profile: true,
  });
  const x = Float32Array.from({ length: it.inputs[0].shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
  await timeCalls(() => it.invoke([x]), { runs: Math.ceil(options.runs / 5), warmup: 0 });
  // One profile per call, so that each op's time is a median too (a shared machine's outliers skew means).
  const totals: number[] = [], ops = new Map<string, number[]>();
  for (let run = 0; run < options.runs; run++) {
    it.resetProfile();
    totals.push((await timeCalls(() => it.invoke([x]), { runs: 1, warmup: 0 }))[0]);
    const call = new Map<string, number>();
    for (const p of it.profile()) call.set(p.op, (call.get(p.op) ?? 0) + p.total_ms);
    for (const [op, ms] of call) ops.set(op, [...(ops.get(op) ?? []), ms]);
  }
  const perOp = new Map([...ops].map(([op, ms]) => [op, median(ms)]));
  return { ops: it.profile().map((p) => p.op), total: median(totals), perOp } satisfies Timing;
}

const us = (ms: number) => (ms * 1000).toFixed(1);
const row = (cells: (string | number)[]) => console.log(`| ${cells.join(" | ")} |`);
const header = (cells: string[]) => {
  row(cells);
  row(cells.map(() => "---"));
};

type Options = { runs: number; backend: Backend };

/** Input channels that are and are not multiples of 32, output channels that are and are not multiples of 8. */
async function channels(o: Options) {
  console.log("\n## channels: 3x3 binary conv, 28x28, same-one padding; LceBconv2d's own time\n");
  header([
    "input channels",
    "output channels",
    "32-bit words per pixel",
    "LceBconv2d µs",
    "G binary MAC/s (real MACs)",
  ]);
  const cases = [[96, 128], [100, 128], [128, 128], [129, 128], [160, 128], [128, 120], [128, 124], [128, 136]];
  for (const [cin, cout] of cases) {
    const m = model(
      [28, 28, cin],
      (x, s) =>
        s(new QuantConv2D(cout, 3, { ...BINARY, padding: "same", padValues: 1, useBias: false })).apply(
          x,
        ) as SymbolicTensor,
    );
    const conv = (await time(m, o)).perOp.get("LceBconv2d") ?? NaN;
    row([cin, cout, Math.ceil(cin / 32), us(conv), (28 * 28 * cout * 9 * cin / (conv * 1e6)).toFixed(0)]);
  }
}

/**
 * "same" padding with pad_values 1 (free) against 0 (a border correction and a float output) and "valid", on a binary
 * convolution that another binary convolution reads.
 */
async function padding(o: Options) {
  console.log(
    "\n## padding: 3x3 binary conv 28x28x128 -> 128 (padding as below), BatchNorm, 3x3 binary conv (same-one)\n",
  );
  header(["padding of the first conv", "per invoke µs", "ops (µs each)"]);
  const cases: [string, { padding: "same" | "valid"; padValues?: number }][] = [
    ["valid", { padding: "valid" }],
    ["same, pad_values=1", { padding: "same", padValues: 1 }],
    ["same, pad_values=0", { padding: "same", padValues: 0 }],
  ];
  for (const [name, pad] of cases) {
    const m = model([28, 28, 128], (x, s) => {
      const y = s(new QuantConv2D(128, 3, { ...BINARY, ...pad, useBias: false })).apply(x) as SymbolicTensor;
      const z = s(new BatchNormalization()).apply(y) as SymbolicTensor;
      return s(new QuantConv2D(128, 3, { ...BINARY, padding: "same", padValues: 1, useBias: false })).apply(
        z,
      ) as SymbolicTensor;
    });
    const t = await time(m, o);
    row([name, us(t.total), [...t.perOp].map(([k, v]) => `${k} ${us(v)}`).join(", ") + ` (${t.ops.join(" ")})`]);
  }
}

/** The same layer as a binary and as a float convolution, from big to small. */
async function wherePays(o: Options) {
  console.log("\n## where binary pays: one conv layer (then BatchNorm), binary vs float, per invoke\n");
  header(["layer", "MACs (M)", "binary µs", "float µs", "float / binary", "binary ops"]);
  const shapes: [string, number[], number, number, number][] = [
    // name, input shape, filters, kernel, strides
    ["3x3, 56x56x64 -> 64", [56, 56, 64], 64, 3, 1],
    ["3x3, 28x28x128 -> 128", [28, 28, 128], 128, 3, 1],
    ["3x3, 14x14x256 -> 256", [14, 14, 256], 256, 3, 1],
    ["3x3, 7x7x512 -> 512", [7, 7, 512], 512, 3, 1],
    ["3x3, 7x7x64 -> 64", [7, 7, 64], 64, 3, 1],
    ["1x1, 14x14x64 -> 64", [14, 14, 64], 64, 1, 1],
    ["3x3, 4x4x32 -> 32", [4, 4, 32], 32, 3, 1],
    ["first layer: 3x3/2, 224x224x3 -> 32", [224, 224, 3], 32, 3, 2],
  ];
  for (const [name, shape, filters, k, st] of shapes) {
    const layer = (binary: boolean) => (x: SymbolicTensor, s: <T extends Layer>(l: T) => T) => {
      const common = { padding: "same" as const, strides: st, useBias: false };
      const conv = binary
        ? new QuantConv2D(filters, k, { ...BINARY, ...common, padValues: 1 })
        : new Conv2D(filters, k, common);
      return s(new BatchNormalization()).apply(s(conv).apply(x) as SymbolicTensor) as SymbolicTensor;
    };
    const b = await time(model(shape, layer(true)), o), f = await time(model(shape, layer(false)), o);
    const out = Math.ceil(shape[0] / st) * Math.ceil(shape[1] / st);
    const macs = out * filters * k * k * shape[2] / 1e6;
    row([name, macs.toFixed(1), us(b.total), us(f.total), (f.total / b.total).toFixed(2) + "×", b.ops.join(" ")]);
  }
  console.log("\nlast layer: dense 512 -> 1000 on a flat input\n");
  header(["layer", "binary µs", "float µs", "float / binary", "binary ops"]);
  for (const units of [1000, 10]) {
    const dense = (binary: boolean) => (x: SymbolicTensor, s: <T extends Layer>(l: T) => T) =>
      s(binary ? new QuantDense(units, { ...BINARY }) : new Dense(units)).apply(x) as SymbolicTensor;
    const b = await time(model([512], dense(true)), o), f = await time(model([512], dense(false)), o);
    row([`dense 512 -> ${units}`, us(b.total), us(f.total), (f.total / b.total).toFixed(2) + "×", b.ops.join(" ")]);
  }
}

/**
 * BatchNorm then ReLU, or ReLU then BatchNorm, after the binary convolution of two residual blocks
 * (x + act(bconv(x)), float shortcuts, as in QuickNet).
 */
async function order(o: Options) {
  console.log("\n## order: 2 residual blocks x + {BN, ReLU}(bconv(x)), 28x28x128, same-one padding\n");
  header(["order after each binary conv", "per invoke µs", "ops (µs each)"]);
  const cases: [string, (s: <T extends Layer>(l: T) => T) => Layer[]][] = [
    ["BN only", (s) => [s(new BatchNormalization())]],
    ["ReLU, then BN", (s) => [new Activation("relu"), s(new BatchNormalization())]],
    ["BN, then ReLU", (s) => [s(new BatchNormalization()), new Activation("relu")]],
  ];
  for (const [name, between] of cases) {
    const m = model([28, 28, 128], (x, s) => {
      let y = x;
      for (let block = 0; block < 2; block++) {
        let h = s(new QuantConv2D(128, 3, { ...BINARY, padding: "same", padValues: 1, useBias: false })).apply(
          y,
        ) as SymbolicTensor;
        for (const l of between(s)) h = l.apply(h) as SymbolicTensor;
        y = new Add().apply([y, h]) as SymbolicTensor;
      }
      return y;
    });
    const t = await time(m, o);
    row([name, us(t.total), [...t.perOp].map(([k, v]) => `${k} ${us(v)}`).join(", ")]);
  }
}

/** Four residual blocks (binary conv, BN, add the block's input) with the residual fusion on and off. */
async function shortcuts(o: Options) {
  console.log("\n## shortcuts: 4 residual blocks x + BN(bconv(x)), 28x28x128, float shortcuts\n");
  header(["residual fusion", "per invoke µs", "ops (µs each)"]);
  const m = model([28, 28, 128], (x, s) => {
    let y = x;
    for (let i = 0; i < 4; i++) {
      const c = s(new QuantConv2D(128, 3, { ...BINARY, padding: "same", padValues: 1, useBias: false }));
      y = new Add().apply([
        y,
        s(new BatchNormalization()).apply(c.apply(y) as SymbolicTensor) as SymbolicTensor,
      ]) as SymbolicTensor;
    }
    return y;
  });
  for (const fuse of [true, false]) {
    const t = await time(m, { ...o, fuse });
    row([fuse ? "on (default)" : "off", us(t.total), [...t.perOp].map(([k, v]) => `${k} ${us(v)}`).join(", ")]);
  }
}

/** 1 and 2 threads on a large and a small binary layer, interleaved. */
async function threads(o: Options) {
  console.log("\n## threads: one 3x3 binary conv (+BN), 1 vs 2 threads\n");
  header(["layer", "1 thread µs", "2 threads µs", "2T/1T speed-up"]);
  for (
    const [name, shape] of [["56x56x64 -> 64", [56, 56, 64]], ["14x14x256 -> 256", [14, 14, 256]], ["7x7x64 -> 64", [
      7,
      7,
      64,
    ]]] as const
  ) {
    const m = model([...shape], (x, s) => {
      const c = s(new QuantConv2D(shape[2], 3, { ...BINARY, padding: "same", padValues: 1, useBias: false }));
      return s(new BatchNormalization()).apply(c.apply(x) as SymbolicTensor) as SymbolicTensor;
    });
    const one: number[] = [], two: number[] = [];
    for (let round = 0; round < 5; round++) {
      one.push((await time(m, { ...o, runs: Math.ceil(o.runs / 5), threads: 1 })).total);
      two.push((await time(m, { ...o, runs: Math.ceil(o.runs / 5), threads: 2 })).total);
    }
    row([name, us(median(one)), us(median(two)), (median(one) / median(two)).toFixed(2) + "×"]);
  }
}

const CASES = { channels, padding, wherePays, order, shortcuts, threads };

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "200" },
      backend: { type: "string", default: "native" },
      only: { type: "string" },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 5) throw new RangeError(`--runs must be an integer ≥ 5, got ${values.runs}`);
  const only = values.only?.split(",") ?? Object.keys(CASES);
  for (const name of only) {
    if (!(name in CASES)) throw new RangeError(`--only: unknown case ${name}; cases: ${Object.keys(CASES).join(", ")}`);
  }
  console.log(
    `# bench/guide.ts: ${cpuModel()}, ${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}, backend ${values.backend}, ${runs} runs`,
  );
  for (const name of only) await CASES[name as keyof typeof CASES]({ runs, backend: values.backend as Backend });
}
