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
import { convert, Interpreter } from "../mod.ts";
import { bnReluBlock, type BnReluOrder } from "../convert/_test_blocks.ts";
import type { Backend } from "../kernels/backend.ts";
import { cpuModel } from "./_openvino.ts";

const { values } = parseArgs({
  options: { runs: { type: "string" }, backend: { type: "string" }, threads: { type: "string" } },
});
const runs = Number(values.runs ?? 400);
const backend = (values.backend ?? "auto") as Backend;
const threads = Number(values.threads ?? 1);

/** The block in one order, converted: its bytes and whether the order hint fired. */
function block(order: BnReluOrder, shape: number[]) {
  const model = bnReluBlock(order, shape, 1);
  const { bytes, report } = convert(model, { inputShape: shape, compareFloat: false });
  const hint = report.layers.some((l) => l.guidance.some((g) => g.includes("BatchNormalization then ReLU")));
  return { bytes, hint, ops: Object.entries(report.opCounts).map(([k, v]) => `${k}×${v}`).join(" ") };
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
