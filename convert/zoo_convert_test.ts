/**
 * The zoo through the converter: every model converts (DoReFa-Net's 2-bit
 * activations are refused with the reason, as LCE's converter cannot
 * convert it either), the op multiset is LCE's conversion of the same
 * larq-zoo model (tests/fixtures/lce/zoo_ops.json, tools/py/zoo_models.py)
 * up to the differences listed and explained below, and onebit's
 * interpreter on the file (reference and wasm kernels; native too with
 * ONEBIT_REQUIRE_NATIVE=1) computes what the TS model computes.
 */
import assert from "node:assert/strict";
import { assertClose } from "../graph/_test_util.ts";
import { noGrad } from "../graph/tape.ts";
import type { Model } from "../models/model.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { summarize } from "../tflite/inspect.ts";
import type { ZooOptions } from "../zoo/_common.ts";
import { binaryAlexNet } from "../zoo/binary_alexnet.ts";
import { biRealNet } from "../zoo/birealnet.ts";
import { binaryDenseNet } from "../zoo/densenet.ts";
import { doReFaNet } from "../zoo/dorefanet.ts";
import { meliusNet22 } from "../zoo/meliusnet.ts";
import { quickNet } from "../zoo/quicknet.ts";
import { realToBinaryNet } from "../zoo/real_to_binary_net.ts";
import { binaryResNetE18 } from "../zoo/resnet_e.ts";
import { xnorNet } from "../zoo/xnornet.ts";
import { formulaInput, setFormulaWeights } from "../zoo/_test_weights.ts";
import { convert } from "./convert.ts";
import { ConversionError } from "./errors.ts";

/** Model → builder and the input size used here (64 px keeps larq-zoo's large-input stems; XNOR-Net needs ≥ 217). */
const ZOO: Record<string, [(o: ZooOptions) => Model, number]> = {
  quicknet_small: [(o) => quickNet("quicknet_small", o), 64],
  quicknet: [(o) => quickNet("quicknet", o), 64],
  quicknet_large: [(o) => quickNet("quicknet_large", o), 64],
  birealnet: [biRealNet, 64],
  binary_resnet_e18: [binaryResNetE18, 64],
  binary_densenet28: [(o) => binaryDenseNet("binary_densenet28", o), 64],
  binary_densenet37: [(o) => binaryDenseNet("binary_densenet37", o), 64],
  binary_densenet37_dilated: [(o) => binaryDenseNet("binary_densenet37_dilated", o), 64],
  binary_densenet45: [(o) => binaryDenseNet("binary_densenet45", o), 64],
  meliusnet22: [meliusNet22, 64],
  xnornet: [xnorNet, 224],
  binary_alexnet: [binaryAlexNet, 96],
  real_to_binary_net: [realToBinaryNet, 64],
};

/**
 * Where onebit's file differs from LCE's, "OP ours vs LCE's":
 * - MeliusNet22: the grouped stem's Split becomes one SLICE per group (the
 *   converter's graph has one output per op; TFLite's SPLIT has several).
 * - BinaryAlexNet: binary conv → MaxPool → BatchNorm(scale=False) → binary
 *   conv. Its BN scales are positive, so onebit moves the BN before the
 *   pool (monotone) into the conv's output transform and pools the packed
 *   bits (LceBMaxPool2d); LCE keeps a float MAX_POOL_2D and the BN's MUL/ADD.
 * - XNOR-Net: the same move, and more: LCE leaves the 6×6 conv's
 *   xnor_weight_scale (37.7 M weights) unfolded — computed at run time (ABS,
 *   MEAN, MUL, TRANSPOSE, clip as RELU_N1_TO_1) with a float CONV_2D on
 *   dequantized inputs; onebit evaluates the quantizer at conversion and
 *   runs that layer binary.
 */
const KNOWN: Record<string, string[]> = {
  meliusnet22: ["SLICE 12 vs 0", "SPLIT 0 vs 2"],
  binary_alexnet: ["ADD 0 vs 3", "LceBMaxPool2d 3 vs 0", "MAX_POOL_2D 0 vs 3", "MUL 0 vs 3"],
  xnornet: [
    "ABS 0 vs 1",
    "ADD 1 vs 4",
    "CONV_2D 1 vs 2",
    "LceBMaxPool2d 2 vs 0",
    "LceBconv2d 6 vs 5",
    "LceDequantize 0 vs 2",
    "LceQuantize 5 vs 7",
    "MAX_POOL_2D 1 vs 3",
    "MEAN 0 vs 1",
    "MUL 1 vs 5",
    "RELU_N1_TO_1 0 vs 1",
    "TRANSPOSE 0 vs 1",
  ],
};

const LCE_OPS = JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/lce/zoo_ops.json", import.meta.url)),
) as Record<string, Record<string, number>>;

/** The interpreter's backends checked: the TS reference, WebAssembly, and native where the build is required. */
const BACKENDS = [
  "reference",
  "wasm",
  ...(Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1" ? ["native"] as const : []),
] as const;

/** XNOR-Net's conversion and run take about half a minute here: with ONEBIT_SLOW=1. */
const SLOW = new Set(["xnornet"]);

function opDiff(bytes: Uint8Array, theirs: Record<string, number>): string[] {
  const ours: Record<string, number> = {};
  for (const o of summarize(bytes).ops) ours[o.op] = (ours[o.op] ?? 0) + 1;
  return [...new Set([...Object.keys(ours), ...Object.keys(theirs)])].sort()
    .filter((k) => ours[k] !== theirs[k])
    .map((k) => `${k} ${ours[k] ?? 0} vs ${theirs[k] ?? 0}`);
}

for (const [name, [build, size]] of Object.entries(ZOO)) {
  const ignore = SLOW.has(name) && !Deno.env.get("ONEBIT_SLOW");
  Deno.test(
    { name: `${name}: converts to LCE's op multiset; the interpreter gives the model's outputs`, ignore },
    () => {
      const model = build({ inputShape: [size, size, 3], numClasses: 10 });
      // Non-zero BatchNorm statistics: no binarized pre-activation sits exactly on a tie (see _test_weights.ts).
      setFormulaWeights(model);
      const { bytes } = convert(model);
      assert.ok(LCE_OPS[name], `no LCE op counts for ${name}: run tools/py/zoo_models.py`);
      assert.deepEqual(opDiff(bytes, LCE_OPS[name]), KNOWN[name] ?? []);
      const x = formulaInput([1, size, size, 3]);
      const want = noGrad(() => model.apply(x));
      for (const backend of BACKENDS) {
        const got = Interpreter.fromBytes(bytes, { backend }).invoke([x.data as Float32Array])[0];
        assertClose(`${name} (${backend})`, got as Float32Array, want.data, 1e-4);
      }
    },
  );
}

Deno.test("DoReFa-Net: its 2-bit activations are refused, naming the layer and what converts (LCE's converter crashes on it)", () => {
  const warn = console.warn;
  console.warn = () => {};
  try {
    const model = doReFaNet({ inputShape: [96, 96, 3], numClasses: 10 });
    assert.throws(
      () => convert(model),
      (e) =>
        e instanceof ConversionError &&
        /quant_conv2d.*input quantizer dorefa_quantizer \(precision 2\) has no TFLite lowering/.test(e.message),
    );
  } finally {
    console.warn = warn;
  }
});
