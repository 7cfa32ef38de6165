/**
 * Every zoo model computes what larq-zoo's model computes: with weights
 * and inputs set by one formula (exact in float64, stated in
 * tools/py/zoo_fixtures.py, so neither needs storing), the outputs at
 * inference match larq-zoo's under TensorFlow
 * (tests/fixtures/larq/zoo_outputs.json). Weights are set in `model.weights`
 * order, which is Keras's `model.weights` order, so this also checks that
 * larq-zoo weight files map onto these models one to one. XNOR-Net (62 M
 * weights, 224×224 inputs at least) takes about 20 s here: it runs with
 * ONEBIT_SLOW=1; its summary test (zoo/larq_zoo_test.ts) always runs.
 */
import { assertClose } from "../graph/_test_util.ts";
import { noGrad } from "../graph/tape.ts";
import type { Model } from "../models/model.ts";
import type { ZooOptions } from "./_common.ts";
import { formulaInput, setFormulaWeights } from "./_test_weights.ts";
import { binaryAlexNet } from "./binary_alexnet.ts";
import { biRealNet } from "./birealnet.ts";
import { binaryDenseNet } from "./densenet.ts";
import { doReFaNet } from "./dorefanet.ts";
import { meliusNet22 } from "./meliusnet.ts";
import { quickNet } from "./quicknet.ts";
import { realToBinaryNet } from "./real_to_binary_net.ts";
import { binaryResNetE18 } from "./resnet_e.ts";
import { xnorNet } from "./xnornet.ts";

/** The same models as tools/py/zoo_fixtures.py's MODELS. */
const BUILDERS: Record<string, (o: ZooOptions) => Model> = {
  quicknet_small: (o) => quickNet("quicknet_small", o),
  birealnet: (o) => biRealNet(o),
  binary_resnet_e18: binaryResNetE18,
  binary_resnet_e18_32px: binaryResNetE18,
  binary_densenet28: (o) => binaryDenseNet("binary_densenet28", o),
  binary_densenet37_dilated: (o) => binaryDenseNet("binary_densenet37_dilated", o),
  meliusnet22: meliusNet22,
  xnornet: xnorNet,
  dorefanet: doReFaNet,
  binary_alexnet: binaryAlexNet,
  real_to_binary_net: realToBinaryNet,
};

const FIXTURE = JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/larq/zoo_outputs.json", import.meta.url)),
) as Record<string, { input_shape: number[]; batch: number; output: number[][] }>;

const SLOW = new Set(["xnornet"]);

for (const [name, build] of Object.entries(BUILDERS)) {
  const ignore = SLOW.has(name) && !Deno.env.get("ONEBIT_SLOW");
  Deno.test({ name: `${name}: larq-zoo's outputs with the same weights and inputs`, ignore }, () => {
    const want = FIXTURE[name];
    const warn = console.warn;
    console.warn = () => {}; // DoReFa-Net's starved-weights warnings (zoo/larq_zoo_test.ts counts them)
    let model: Model;
    try {
      model = build({ inputShape: want.input_shape, numClasses: 10 });
    } finally {
      console.warn = warn;
    }
    setFormulaWeights(model);
    const y = noGrad(() => model.apply(formulaInput([want.batch, ...want.input_shape])));
    assertClose(name, y.data, want.output.flat(), 2e-5);
  });
}
