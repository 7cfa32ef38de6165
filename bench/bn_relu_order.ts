/**
 * What the order of BatchNormalization and ReLU after a binary convolution
 * costs (the converter's hint, convert/convert.ts BN_RELU_COST): the same
 * block built both ways, `QuantConv2D → BN → ReLU → QuantConv2D` and
 * `QuantConv2D → ReLU → BN → QuantConv2D`, with BatchNorm statistics that
 * are not the identity (moving means -3..3, so the ReLU cannot fuse by
 * accident), converted, checked (the hint fires on the first only, ops
 * listed), and timed with onebit's runtime: the median wall time of one
 * invoke over `--runs` invokes, alternating the two models, per size.
 *
 *   deno task bench:order [--runs 400] [--backend auto] [--threads 1]
 */
import { parseArgs } from "node:util";
import { BatchNormalization, convert, Interpreter, QuantConv2D, ReLU, Sequential, Tensor, weightClip } from "../mod.ts";
import type { Backend } from "../kernels/backend.ts";

const { values } = parseArgs({
  options: { runs: { type: "string" }, backend: { type: "string" }, threads: { type: "string" } },
});
const runs = Number(values.runs ?? 400);
const backend = (values.backend ?? "auto") as Backend;
const threads = Number(values.threads ?? 1);

const q = {
  inputQuantizer: "ste_sign",
  kernelQuantizer: "ste_sign",
  kernelConstraint: weightClip(),
  padding: "same",
  padValues: 1,
} as const;

/** The block in one order, converted: its bytes and whether the order hint fired. */
function block(order: "bn_relu" | "relu_bn", [h, w, c]: number[]) {
  const bn = new BatchNormalization();
  const mid = order === "bn_relu" ? [bn, new ReLU()] : [new ReLU(), bn];
  const model = new Sequential([new QuantConv2D(c, 3, q), ...mid, new QuantConv2D(c, 3, q)], { seed: 1 });
  model.apply(Tensor.zeros([1, h, w, c]));
  bn.movingMean.assign(Tensor.from(Array.from({ length: c }, (_, i) => (i % 7) - 3)));
  const { bytes, report } = convert(model, { inputShape: [h, w, c], compareFloat: false });
  const hint = report.layers.some((l) => l.guidance.some((g) => g.includes("BatchNormalization then ReLU")));
  return { bytes, hint, ops: Object.entries(report.opCounts).map(([k, v]) => `${k}×${v}`).join(" ") };
}

function cpuModel(): string {
  try {
    return /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

console.log(`${cpuModel()}; backend ${backend}, ${threads} thread(s), median of ${runs} invokes`);
for (const shape of [[16, 16, 64], [28, 28, 128], [56, 56, 64]]) {
  const [bad, good] = [block("bn_relu", shape), block("relu_bn", shape)];
  const its = [bad, good].map((b) => Interpreter.fromBytes(b.bytes, { backend, numThreads: threads }));
  const x = new Float32Array(shape[0] * shape[1] * shape[2]).map((_, i) => Math.sin(i * 0.37));
  const times: number[][] = [[], []];
  for (let r = 0; r < runs + 20; r++) {
    its.forEach((it, k) => {
      const t0 = performance.now();
      it.invoke([x]);
      if (r >= 20) times[k].push(performance.now() - t0);
    });
  }
  const [tb, tg] = times.map(median);
  console.log(
    `${shape.join("x")}, two 3x3 binary convs (${its[0].backend}): BN→ReLU ${tb.toFixed(3)} ms [${bad.ops}; hint ${
      bad.hint ? "fires" : "MISSING"
    }]  ReLU→BN ${tg.toFixed(3)} ms [${good.ops}; hint ${good.hint ? "FIRES" : "silent"}]  ratio ${
      (tb / tg).toFixed(2)
    }x`,
  );
}
