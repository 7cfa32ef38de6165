/**
 * Quantizers declare themselves: camelCase options map to larq's config
 * keys (configs byte-identical to what onebit wrote before the options
 * became camelCase, kept here as literals), every config round-trips
 * through getQuantizer and fromConfig to a quantizer with the same values
 * and pseudo-gradients, and bad options fail with the option, the value and
 * what is accepted. (Values against larq itself: quantizers_test.ts.)
 */
import assert from "node:assert/strict";
import * as ops from "../graph/ops.ts";
import { valueAndGrads } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import { ApproxSign } from "./approx_sign.ts";
import { DoReFa } from "./dorefa.ts";
import { MagnitudeAwareSign } from "./magnitude_aware_sign.ts";
import { MagnitudeAwareSignUnclipped } from "./magnitude_aware_sign_unclipped.ts";
import { NoOp } from "./noop.ts";
import type { Quantizer, QuantizerClass } from "./quantizer.ts";
import { customQuantizer, getQuantizer, quantizerNames } from "./registry.ts";
import { SteHeaviside } from "./ste_heaviside.ts";
import { SteSign } from "./ste_sign.ts";
import { SteTern } from "./ste_tern.ts";
import { SwishSign } from "./swish_sign.ts";
import { XnorWeightScale } from "./xnor_weight_scale.ts";

/** Each quantizer from camelCase options, the config onebit wrote for it before this change, and its declared mode. */
const EXAMPLES: [Quantizer, string, string | null][] = [
  [new SteSign(), '{"class_name":"SteSign","config":{"clip_value":1}}', "sign"],
  [new SteSign({ clipValue: 1.25 }), '{"class_name":"SteSign","config":{"clip_value":1.25}}', "sign"],
  [new SteSign({ clipValue: null }), '{"class_name":"SteSign","config":{"clip_value":null}}', "sign"],
  [new ApproxSign(), '{"class_name":"ApproxSign","config":{}}', "sign"],
  [new SwishSign(), '{"class_name":"SwishSign","config":{"beta":5}}', "sign"],
  [new SwishSign({ beta: 2.5 }), '{"class_name":"SwishSign","config":{"beta":2.5}}', "sign"],
  [new MagnitudeAwareSign(), '{"class_name":"MagnitudeAwareSign","config":{"clip_value":1}}', null],
  [new MagnitudeAwareSign({ clipValue: 0.5 }), '{"class_name":"MagnitudeAwareSign","config":{"clip_value":0.5}}', null],
  [new SteHeaviside(), '{"class_name":"SteHeaviside","config":{"clip_value":1}}', "heaviside"],
  [new SteHeaviside({ clipValue: 0.5 }), '{"class_name":"SteHeaviside","config":{"clip_value":0.5}}', "heaviside"],
  [
    new SteTern(),
    '{"class_name":"SteTern","config":{"threshold_value":0.05,"ternary_weight_networks":false,"clip_value":1}}',
    null,
  ],
  [
    new SteTern({ thresholdValue: 0.25 }),
    '{"class_name":"SteTern","config":{"threshold_value":0.25,"ternary_weight_networks":false,"clip_value":1}}',
    null,
  ],
  [
    new SteTern({ ternaryWeightNetworks: true, clipValue: null }),
    '{"class_name":"SteTern","config":{"threshold_value":0.05,"ternary_weight_networks":true,"clip_value":null}}',
    null,
  ],
  [
    new SteTern({ thresholdValue: 0 }),
    '{"class_name":"SteTern","config":{"threshold_value":0,"ternary_weight_networks":false,"clip_value":1}}',
    null,
  ],
  [new DoReFa(), '{"class_name":"DoReFa","config":{"k_bit":2,"mode":"activations"}}', null],
  [new DoReFa({ kBit: 1 }), '{"class_name":"DoReFa","config":{"k_bit":1,"mode":"activations"}}', "dorefa"],
  [new DoReFa({ kBit: 2, mode: "weights" }), '{"class_name":"DoReFa","config":{"k_bit":2,"mode":"weights"}}', null],
  [new DoReFa({ kBit: 1, mode: "weights" }), '{"class_name":"DoReFa","config":{"k_bit":1,"mode":"weights"}}', null],
  [new DoReFa({ kBit: 31 }), '{"class_name":"DoReFa","config":{"k_bit":31,"mode":"activations"}}', null],
  [new NoOp({ precision: 1 }), '{"class_name":"NoOp","config":{"precision":1}}', "identity"],
  [new NoOp({ precision: 8 }), '{"class_name":"NoOp","config":{"precision":8}}', "identity"],
  [new XnorWeightScale(), '{"class_name":"xnor_weight_scale","config":{}}', null],
  [new MagnitudeAwareSignUnclipped(), '{"class_name":"magnitude_aware_sign_unclipped","config":{}}', null],
];

/** Zeros of both signs, every clip value and threshold above with its neighbours, DoReFa's ties, extremes. */
const SWEEP = [
  -1e30,
  -3,
  -1.2501,
  -1.25,
  -1.2499,
  -1,
  -0.75,
  -0.5,
  -0.25,
  -0.05,
  -1e-7,
  -0,
  0,
  1e-7,
  0.05,
  0.25,
  0.4999999,
  0.5,
  0.5000001,
  0.75,
  0.9999999,
  1,
  1.0000001,
  1.2499,
  1.25,
  1.2501,
  3,
  1e30,
];

/** The sweep as a [n, 2] tensor (two output channels for the per-channel scales) and the gradient through each. */
function valuesAndGrads(q: Quantizer): { y: number[]; dx: number[] } {
  const x = new Tensor(Float32Array.from(SWEEP.flatMap((v) => [v, -0.5 * v])), [SWEEP.length, 2]);
  const dy = new Tensor(Float32Array.from(SWEEP.flatMap((_, i) => [1 + i / 8, -2 + i / 16])), x.shape);
  const { grads } = valueAndGrads(() => ops.sum(ops.mul(q.call(x), dy)), [x]);
  return { y: Array.from(q.call(x).data), dx: Array.from(grads[0].data) };
}

function assertSameNumbers(label: string, got: number[], want: number[]) {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) {
      assert.fail(`${label}[${i}] (x = ${SWEEP[i >> 1]}): got ${got[i]}, want ${want[i]}`);
    }
  }
}

function classOf(q: Quantizer): QuantizerClass {
  return q.constructor as unknown as QuantizerClass;
}

for (const [q, config, mode] of EXAMPLES) {
  Deno.test(`${config}: written as before, round-trips to the same values and pseudo-gradients`, () => {
    assert.equal(JSON.stringify(q.getConfig()), config);
    assert.equal(q.binarizeMode, mode);
    const want = valuesAndGrads(q);
    for (const again of [getQuantizer(JSON.parse(config))!, classOf(q).fromConfig(JSON.parse(config).config)]) {
      assert.equal(again.constructor, q.constructor);
      assert.equal(JSON.stringify(again.getConfig()), config);
      assert.equal(again.binarizeMode, mode);
      const got = valuesAndGrads(again);
      assertSameNumbers("y", got.y, want.y);
      assertSameNumbers("dx", got.dx, want.dx);
    }
  });
}

Deno.test("camelCase options land in the fields of their names, and change the pseudo-gradient where they should", () => {
  const tern = new SteTern({ thresholdValue: 0.25, ternaryWeightNetworks: false, clipValue: 0.5 });
  assert.deepEqual([tern.thresholdValue, tern.ternaryWeightNetworks, tern.clipValue], [0.25, false, 0.5]);
  assert.deepEqual(tern.call(Tensor.from([-0.25, -0.2, 0, 0.2, 0.25])).toArray(), [-1, 0, 0, 0, 1]);
  const dorefa = new DoReFa({ kBit: 3, mode: "weights" });
  assert.deepEqual([dorefa.kBit, dorefa.precision, dorefa.mode], [3, 3, "weights"]);
  // Clipped at 1.25 (inclusive, in float32): 1.25 passes, 1.2501 does not.
  const x = Tensor.from([-1.2501, -1.25, 1.25, 1.2501]);
  const { grads } = valueAndGrads(() => ops.sum(new SteSign({ clipValue: 1.25 }).call(x)), [x]);
  assert.deepEqual(grads[0].toArray(), [0, 1, 1, 0]);
});

Deno.test("registry: every name maps to a class that declares it, once; instances carry the declaration", () => {
  const names = quantizerNames();
  assert.equal(new Set(names).size, names.length);
  const covered = new Set(EXAMPLES.map(([q]) => q.constructor));
  for (const name of names) {
    const cls = classOf(name === "noop" || name === "NoOp" ? new NoOp({ precision: 2 }) : getQuantizer(name)!);
    assert.ok(covered.has(cls as never), `${name} has an example`);
    assert.ok(name === cls.alias || cls.classNames.includes(name), name);
  }
  for (const [q] of EXAMPLES) {
    assert.equal(q.name, classOf(q).alias);
    assert.equal(q.className, classOf(q).classNames[0]);
    assert.ok(names.includes(q.name) && names.includes(q.className), q.name);
  }
  // The names getQuantizer accepted before the classes declared them.
  assert.deepEqual(names, [
    "ste_sign",
    "SteSign",
    "approx_sign",
    "ApproxSign",
    "swish_sign",
    "SwishSign",
    "magnitude_aware_sign",
    "MagnitudeAwareSign",
    "ste_heaviside",
    "SteHeaviside",
    "ste_tern",
    "SteTern",
    "dorefa_quantizer",
    "DoReFa",
    "DoReFaQuantizer",
    "noop",
    "NoOp",
    "xnor_weight_scale",
    "magnitude_aware_sign_unclipped",
  ]);
});

Deno.test("getQuantizer: larq's configs as larq writes them (Keras keys, precision) and DoReFa's aliases", () => {
  const larqSteSign = {
    name: "ste_sign",
    trainable: true,
    dtype: "float32",
    metrics: [],
    precision: 1,
    clip_value: 1.25,
  };
  assert.equal((getQuantizer({ class_name: "SteSign", config: larqSteSign }) as SteSign).clipValue, 1.25);
  const larqNoOp = { name: "no_op", trainable: true, dtype: "float32", precision: 4 };
  assert.equal(getQuantizer({ class_name: "NoOp", config: larqNoOp })!.precision, 4);
  const fromPrecision = getQuantizer({ class_name: "DoReFaQuantizer", config: { precision: 3, mode: "weights" } });
  assert.deepEqual(fromPrecision!.getConfig(), { class_name: "DoReFa", config: { k_bit: 3, mode: "weights" } });
  assert.equal(getQuantizer({ class_name: "dorefa_quantizer", config: { k_bit: 2, precision: 3 } })!.precision, 2);
  assert.equal(getQuantizer({ class_name: "SteTern", config: { precision: 2 } })!.precision, 2);
  assert.equal((getQuantizer({ class_name: "SteSign" } as never) as SteSign).clipValue, 1);
  const same = new SteSign();
  assert.equal(getQuantizer(same), same);
  assert.equal(getQuantizer(null), null);
  assert.equal(getQuantizer(undefined), null);
});

Deno.test("getQuantizer: unknown names and options, and ill-typed values, say what is accepted", () => {
  assert.throws(() => getQuantizer("ste_sing"), {
    name: "RangeError",
    message:
      /^unknown quantizer "ste_sing"; known: ste_sign, SteSign, .*magnitude_aware_sign_unclipped, or a Quantizer/,
  });
  for (const name of ["constructor", "toString", "__proto__"]) {
    assert.throws(() => getQuantizer(name), RangeError, name);
  }
  assert.throws(() => getQuantizer({ class_name: "SteSign", config: { clip: 1 } }), {
    name: "RangeError",
    message: 'SteSign config: unknown option "clip"; it takes clip_value',
  });
  assert.throws(() => getQuantizer({ class_name: "SteSign", config: { clipValue: 1 } }), /unknown option "clipValue"/);
  assert.throws(() => getQuantizer({ class_name: "ApproxSign", config: { clip_value: 1 } }), /it takes no options/);
  assert.throws(() => getQuantizer({ class_name: "SteTern", config: { threshold: 0.1 } }), {
    message: /it takes threshold_value, ternary_weight_networks, clip_value$/,
  });
  assert.throws(() => getQuantizer({ class_name: "SteSign", config: { clip_value: -1 } }), {
    name: "RangeError",
    message: "SteSign config: clip_value must be a positive number, or null (no clipping of the gradient), got -1",
  });
  assert.throws(() => getQuantizer({ class_name: "DoReFa", config: { k_bit: "2" } }), {
    name: "TypeError",
    message: 'DoReFa config: k_bit must be an integer in [1, 31], got "2"',
  });
  assert.throws(() => getQuantizer({ class_name: "DoReFa", config: { k_bit: 2, mode: "weight" } }), {
    name: "RangeError",
    message: 'DoReFa config: mode must be "activations" or "weights", got "weight"',
  });
  assert.throws(() => getQuantizer({ class_name: "SteTern", config: { ternary_weight_networks: "yes" } }), TypeError);
  assert.throws(() => getQuantizer({ class_name: "SwishSign", config: { beta: null } }), TypeError);
  assert.throws(() => getQuantizer("noop"), {
    name: "TypeError",
    message: "NoOp config: precision is required: an integer ≥ 1",
  });
  assert.throws(() => getQuantizer({ class_name: "SteSign", config: 5 } as never), {
    name: "TypeError",
    message: "SteSign config: must be an object of larq's options, got 5",
  });
});

Deno.test("constructors: snake_case keys point to their camelCase names; bad values name the option", () => {
  assert.throws(() => new SteSign({ clip_value: 1 } as never), {
    name: "RangeError",
    message: `SteSign: unknown option "clip_value"; it takes clipValue ` +
      "(clip_value is its key in larq's config; in TypeScript it is clipValue)",
  });
  assert.throws(() => new DoReFa({ k_bit: 1 } as never), /in TypeScript it is kBit/);
  const bad: [() => unknown, string, RegExp][] = [
    [() => new SteSign({ clipValue: "1" as never }), "TypeError", /^SteSign: clipValue must be .*, got "1"$/],
    [() => new SteSign({ clipValue: 0 }), "RangeError", /clipValue must be a positive number/],
    [() => new SteHeaviside({ clipValue: Number.NaN }), "RangeError", /^SteHeaviside: clipValue .* got NaN$/],
    [() => new MagnitudeAwareSign({ clipValue: -0.5 }), "RangeError", /^MagnitudeAwareSign: clipValue/],
    [() => new SwishSign({ beta: Infinity }), "RangeError", /^SwishSign: beta must be a finite number, got Infinity$/],
    [() => new SteTern({ thresholdValue: -0.1 }), "RangeError", /^SteTern: thresholdValue must be a number ≥ 0/],
    [() => new SteTern({ thresholdValue: Number.NaN }), "RangeError", /thresholdValue/],
    [
      () => new SteTern({ ternaryWeightNetworks: 1 as never }),
      "TypeError",
      /ternaryWeightNetworks must be true or false/,
    ],
    [() => new DoReFa({ kBit: 1.5 }), "RangeError", /^DoReFa: kBit must be an integer in \[1, 31\], got 1.5$/],
    [() => new DoReFa({ kBit: 0 }), "RangeError", /kBit/],
    [() => new DoReFa({ kBit: 32 }), "RangeError", /kBit/],
    [() => new DoReFa({ mode: "weight" as never }), "RangeError", /^DoReFa: mode must be "activations" or "weights"/],
    [() => new DoReFa({ mode: 1 as never }), "TypeError", /mode/],
    [() => new NoOp({ precision: 0 }), "RangeError", /^NoOp: precision must be an integer ≥ 1, got 0$/],
    [() => new NoOp({} as never), "TypeError", /^NoOp: precision is required: an integer ≥ 1$/],
    [() => new NoOp(undefined as never), "TypeError", /^NoOp: precision is required/],
    [() => new SteSign(null as never), "TypeError", /^SteSign: options must be an object, got null$/],
  ];
  for (const [make, name, message] of bad) assert.throws(make, { name, message });
});

Deno.test("customQuantizer declares no mode and no options; getQuantizer passes it through", () => {
  const q = customQuantizer((x) => ({ value: ops.sign(x), grad: (dy) => dy }), { precision: 1, name: "my_sign" });
  assert.equal(q.binarizeMode, undefined);
  assert.deepEqual(q.getConfig(), { class_name: "my_sign", config: {} });
  assert.equal(getQuantizer(q), q);
});
