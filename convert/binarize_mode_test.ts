/**
 * binarizeMode reads the mode each quantizer declares. Checked two ways:
 * against the table the converter's old instanceof logic (and its probe of
 * the forward pass for the other classes) gave, and against the probe of
 * the same quantizer hidden behind a customQuantizer, which declares
 * nothing, so the declaration has to agree with the forward pass.
 */
import assert from "node:assert/strict";
import { Tensor } from "../graph/tensor.ts";
import { ApproxSign } from "../quantizers/approx_sign.ts";
import { DoReFa } from "../quantizers/dorefa.ts";
import { MagnitudeAwareSign } from "../quantizers/magnitude_aware_sign.ts";
import { MagnitudeAwareSignUnclipped } from "../quantizers/magnitude_aware_sign_unclipped.ts";
import { NoOp } from "../quantizers/noop.ts";
import type { Quantizer } from "../quantizers/quantizer.ts";
import { customQuantizer } from "../quantizers/registry.ts";
import { SteHeaviside } from "../quantizers/ste_heaviside.ts";
import { SteSign } from "../quantizers/ste_sign.ts";
import { SteTern } from "../quantizers/ste_tern.ts";
import { SwishSign } from "../quantizers/swish_sign.ts";
import { XnorWeightScale } from "../quantizers/xnor_weight_scale.ts";
import { ConversionError } from "./errors.ts";
import { binarizeMode } from "./trace.ts";

const NO_LOWERING = "ConversionError";

/** What binarizeMode gave before the quantizers declared their mode (run on the previous commit). */
const BEFORE: [Quantizer, string | null][] = [
  [new SteSign(), "sign"],
  [new SteSign({ clipValue: null }), "sign"],
  [new ApproxSign(), "sign"],
  [new SwishSign(), "sign"],
  [new SwishSign({ beta: -2 }), "sign"],
  [new SteHeaviside(), "heaviside"],
  [new SteHeaviside({ clipValue: 0.5 }), "heaviside"],
  [new DoReFa({ kBit: 1 }), "dorefa"],
  [new DoReFa({ kBit: 2 }), NO_LOWERING],
  [new DoReFa({ kBit: 1, mode: "weights" }), NO_LOWERING],
  [new DoReFa({ kBit: 3, mode: "weights" }), NO_LOWERING],
  [new NoOp({ precision: 1 }), null],
  [new NoOp({ precision: 8 }), null],
  [new MagnitudeAwareSign(), NO_LOWERING],
  [new SteTern(), NO_LOWERING],
  [new SteTern({ thresholdValue: 0 }), NO_LOWERING],
  [new SteTern({ ternaryWeightNetworks: true }), NO_LOWERING],
  [new XnorWeightScale(), NO_LOWERING],
  [new MagnitudeAwareSignUnclipped(), NO_LOWERING],
];

function modeOf(q: Quantizer | null): string | null {
  try {
    return binarizeMode(q, "layer");
  } catch (e) {
    if (!(e instanceof ConversionError)) throw e;
    assert.match(
      e.message,
      new RegExp(`^layer "layer": input quantizer ${q!.name} \\(precision \\d+\\) has no TFLite`),
    );
    return NO_LOWERING;
  }
}

/** The same forward pass, declaring nothing: binarizeMode has to probe it. */
function undeclared(q: Quantizer): Quantizer {
  return customQuantizer((x) => ({ value: q.call(x), grad: (dy) => dy }), { precision: q.precision, name: q.name });
}

for (const [q, before] of BEFORE) {
  Deno.test(`binarizeMode(${JSON.stringify(q.getConfig())}) = ${before}, as before and as its forward pass shows`, () => {
    assert.equal(modeOf(q), before);
    if (q.binarizeMode === "identity") {
      const x = Tensor.from([-3, -0.5, -0, 0, 0.25, 0.5, 2]);
      assert.deepEqual(q.call(x).toArray(), x.toArray());
    } else {
      assert.equal(modeOf(undeclared(q)), before);
    }
  });
}

Deno.test("binarizeMode: no quantizer is the identity; a custom quantizer is probed", () => {
  assert.equal(binarizeMode(null, "layer"), null);
  const heaviside = customQuantizer((x) => ({ value: new SteHeaviside().call(x), grad: (dy) => dy }), {
    precision: 1,
    name: "my_step",
  });
  assert.equal(heaviside.binarizeMode, undefined);
  assert.equal(binarizeMode(heaviside, "layer"), "heaviside");
});
