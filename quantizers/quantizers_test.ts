/**
 * Every quantizer against golden values written by larq itself
 * (tools/py/larq_goldens.py): forward values and pseudo-gradients on inputs
 * with exact zeros (+0 and -0), clip boundaries (inclusive), thresholds and
 * rounding ties. Sign-like outputs and gradient masks must match exactly;
 * values computed through float transcendental functions or means within a
 * few float32 ulps (TF's tanh/cosh and summation order differ from ours).
 */
import assert from "node:assert/strict";
import * as ops from "../graph/ops.ts";
import { valueAndGrads } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import { customQuantizer, getQuantizer, quantizerNames } from "./registry.ts";

const golden = JSON.parse(Deno.readTextFileSync(new URL("../tests/fixtures/larq/quantizers.json", import.meta.url)));

interface Case {
  quantizer: string;
  config: Record<string, unknown>;
  shape: number[];
  x: number[];
  dy: number[];
  y: number[];
  dx: number[];
}

function close(label: string, got: ArrayLike<number>, want: number[], rtol: number) {
  for (let i = 0; i < want.length; i++) {
    const tol = rtol * Math.max(1, Math.abs(want[i]));
    if (!(Math.abs(got[i] - want[i]) <= tol) && !(Object.is(got[i], want[i]))) {
      assert.fail(`${label}[${i}]: got ${got[i]}, larq ${want[i]} (tolerance ${tol})`);
    }
  }
}

for (const c of golden.cases as Case[]) {
  Deno.test(`${c.quantizer} ${JSON.stringify(c.config)} matches larq: values and pseudo-gradients`, () => {
    const q = getQuantizer({ class_name: c.quantizer, config: c.config })!;
    const x = new Tensor(Float32Array.from(c.x), c.shape), dy = new Tensor(Float32Array.from(c.dy), c.shape);
    const { value, grads } = valueAndGrads(() => ops.sum(ops.mul(q.call(x), dy)), [x]);
    void value;
    const y = q.call(x);
    const exact =
      ["ste_sign", "approx_sign", "swish_sign", "ste_heaviside", "ste_tern", "noop"].includes(c.quantizer) ||
      (c.quantizer === "dorefa_quantizer" && c.config.mode !== "weights");
    close("y", y.data, c.y, exact ? 0 : 4e-7);
    const smooth = ["swish_sign", "dorefa_quantizer", "xnor_weight_scale"].includes(c.quantizer);
    close("dx", grads[0].data, c.dx, smooth ? 4e-6 : 2e-7);
    // Config round trip.
    const again = getQuantizer(q.getConfig())!;
    assert.deepEqual(again.getConfig(), q.getConfig());
  });
}

Deno.test("registry: aliases, unknown names and options give errors naming the fix", () => {
  for (const name of quantizerNames()) {
    if (name === "noop" || name === "NoOp") continue;
    assert.equal(getQuantizer(name)!.precision >= 1, true, name);
  }
  assert.equal(getQuantizer(null), null);
  assert.throws(() => getQuantizer("ste_sing"), /unknown quantizer "ste_sing"; known: ste_sign/);
  assert.throws(() => getQuantizer({ class_name: "SteSign", config: { clip: 1 } }), /unknown option "clip"/);
  assert.throws(() => getQuantizer("noop"), /NoOp config: precision is required/);
  assert.throws(() => getQuantizer({ class_name: "DoReFa", config: { k_bit: 2, mode: "weight" } }), /mode must be/);
  assert.throws(() => getQuantizer({ class_name: "SteSign", config: { clip_value: -1 } }), /clip_value must be/);
});

Deno.test("custom quantizers work through customGradient", () => {
  const q = customQuantizer((x) => ({ value: ops.sign(x), grad: (dy) => ops.mul(dy, 3) }), {
    precision: 1,
    name: "triple_ste",
  });
  const x = Tensor.from([-2, 0, 0.5]);
  const { grads } = valueAndGrads(() => ops.sum(q.call(x)), [x]);
  assert.deepEqual(q.call(x).toArray(), [-1, 1, 1]);
  assert.deepEqual(grads[0].toArray(), [3, 3, 3]);
  assert.throws(
    () => customQuantizer((x) => ({ value: x, grad: (dy) => dy }), { precision: 0, name: "bad" }),
    RangeError,
  );
});
