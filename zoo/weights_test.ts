/**
 * The zoo builders' `weights`: a Keras weights file of another architecture
 * is a RangeError (committed files); and, live (tools/interop.sh writes them
 * with larq-zoo's own model code into ONEBIT_KERAS_ZOO), larq-zoo's
 * QuickNetSmall and BiRealNet weights files give larq-zoo's outputs.
 */
import assert from "node:assert/strict";
import { assertKerasOutputs, fixturePath, kerasFixtures } from "../keras/_test_fixtures.ts";
import { biRealNet } from "./birealnet.ts";
import { quickNet } from "./quicknet.ts";

Deno.test("quickNet / biRealNet with the weights of another architecture: a RangeError, no model", async () => {
  const mnist = fixturePath("larq_mnist_weights.h5");
  await assert.rejects(
    quickNet("quicknet_small", { inputShape: [32, 32, 3], numClasses: 10, weights: mnist }),
    /larq_mnist_weights\.h5 has no weights for layer "quant_conv2d\w*" \(the file has 10 layers with weights, the model 48\)/,
  );
  await assert.rejects(
    biRealNet({ inputShape: [32, 32, 3], numClasses: 10, weights: mnist }),
    /larq_mnist_weights\.h5 has no weights for layer "quant_conv2d\w*" \(the file has 10 layers with weights, the model 41\)/,
  );
});

const live = Deno.env.get("ONEBIT_KERAS_ZOO");
Deno.test({
  name: "larq-zoo's QuickNetSmall and BiRealNet weights files (live) load into quickNet / biRealNet with their outputs",
  ignore: !live,
  fn: async () => {
    const fixtures = kerasFixtures(live);
    const weights = (name: string) => fixturePath(fixtures[name].files[0], live);
    const options = { inputShape: [64, 64, 3], numClasses: 10 };
    const q = await quickNet("quicknet_small", { ...options, weights: weights("quicknet_small") });
    assertKerasOutputs("quicknet_small", q, fixtures.quicknet_small);
    const b = await biRealNet({ ...options, weights: weights("birealnet") });
    assertKerasOutputs("birealnet", b, fixtures.birealnet);
  },
});
