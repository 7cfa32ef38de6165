import assert from "node:assert/strict";
import { fixtureTensor, passes, rand } from "../graph/_test_util.ts";
import * as ops from "../graph/ops.ts";
import { valueAndGrads } from "../graph/tape.ts";
import { Tensor } from "../graph/tensor.ts";
import type { Layer } from "./layer.ts";
import {
  type Factor,
  type FillMode,
  type FlipMode,
  RandomCrop,
  RandomFlip,
  RandomTranslation,
  RandomZoom,
  Rescaling,
} from "./preprocessing.ts";

const fixture = JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/keras/preprocessing.json", import.meta.url)),
);
const inputs: Record<string, Tensor> = Object.fromEntries(
  Object.entries(fixture.layers.inputs).map(([k, v]) => [k, fixtureTensor(v as { shape: number[]; data: string })]),
);

type Config = Record<string, unknown>;
const FROM_CONFIG: Record<string, (c: Config) => Layer> = {
  Rescaling: Rescaling.fromConfig,
  RandomFlip: RandomFlip.fromConfig,
  RandomTranslation: RandomTranslation.fromConfig,
  RandomCrop: RandomCrop.fromConfig,
  RandomZoom: RandomZoom.fromConfig,
};

interface LayerCase {
  name: string;
  class_name: string;
  config: Config;
  input: string;
  training: boolean;
  output: { shape: number[]; data: string };
}
const cases: LayerCase[] = fixture.layers.cases;
const byName = (name: string) => cases.find((c) => c.name === name)!;

/** Asserts bit-equal values and equal shapes. */
function assertSame(actual: Tensor, expected: Tensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const i = actual.data.findIndex((v, k) => v !== expected.data[k]);
  assert(i < 0, `${what}: value ${i} is ${actual.data[i]}, Keras has ${expected.data[i]}`);
}

/** A `random` that returns the given values in turn, then repeats the last one. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
}

Deno.test("preprocessing layers: tf-keras 2.16's outputs, bit for bit (layers built from Keras's configs)", () => {
  assert.equal(cases.length, 48);
  for (const c of cases) {
    const layer = FROM_CONFIG[c.class_name](c.config);
    const y = layer.apply(inputs[c.input], { training: c.training });
    assertSame(y, fixtureTensor(c.output), c.name);
  }
});

Deno.test("RandomTranslation, RandomZoom: draws map [0, 1) onto [lower, upper), heights first", () => {
  for (const fillMode of ["reflect", "wrap", "constant", "nearest"] as FillMode[]) {
    for (const interpolation of ["bilinear", "nearest"] as const) {
      const options = { fillMode, interpolation, fillValue: fillMode === "constant" ? 0.5 : 0 };
      const tag = `${fillMode}_${interpolation}`;
      // heights 0.5 of [0, 0.4] = 0.2 (both images), widths 0 of [-0.1, 0.3] = -0.1: Keras's (0.2, 0.2), (-0.1, -0.1)
      const shift = new RandomTranslation([0, 0.4], [-0.1, 0.3], options).seed(sequence(0.5, 0.5, 0));
      assertSame(
        shift.apply(inputs.batch, { training: true }),
        fixtureTensor(byName(`translation_${tag}`).output),
        tag,
      );
      // zoom 1 + 0.3 at the lower end of [0.3, 0.9], the width's too (widthFactor null)
      const zoom = new RandomZoom([0.3, 0.9], null, options).seed(() => 0);
      assertSame(zoom.apply(inputs.batch, { training: true }), fixtureTensor(byName(`zoom_out_${tag}`).output), tag);
      // a number f is the range [-f, f]: its lower end is Keras's (-0.45, -0.45) and (-0.25, -0.25)
      const large = new RandomTranslation(0.45, [0.3, 0.3], options).seed(() => 0);
      assertSame(
        large.apply(inputs.batch, { training: true }),
        fixtureTensor(byName(`translation_large_${tag}`).output),
        tag,
      );
      const mixed = new RandomZoom(0.25, [0.4, 0.4], options).seed(() => 0);
      assertSame(mixed.apply(inputs.batch, { training: true }), fixtureTensor(byName(`zoom_mixed_${tag}`).output), tag);
    }
  }
});

Deno.test("random layers: identity at inference (RandomCrop resizes), Rescaling always applies", () => {
  const x = inputs.batch;
  assert.equal(new RandomFlip().apply(x), x);
  assert.equal(new RandomTranslation(0.3, 0.3).apply(x), x);
  assert.equal(new RandomZoom(0.3).apply(x), x);
  assert.deepEqual(new RandomCrop(3, 3).apply(x).shape, [2, 3, 3, 3]);
  const r = new Rescaling(2, { offset: 1 });
  assert.deepEqual([...r.apply(Tensor.from([0, 1.5])).data], [1, 4]);
  assert.deepEqual([...r.apply(Tensor.from([0, 1.5]), { training: true }).data], [1, 4]);
});

/** Nested-array oracle: image `img` ([h][w][c]) flipped as asked. */
function flipped(img: number[][][], horizontal: boolean, vertical: boolean): number[] {
  const rows = vertical ? [...img].reverse() : img;
  return rows.map((row) => (horizontal ? [...row].reverse() : row)).flat(2);
}

Deno.test("RandomFlip: each image is itself or flipped, per mode; the seed repeats the sequence", () => {
  const x = rand([4, 3, 5, 2], 1);
  const images = x.toArray() as number[][][][];
  const variants: Record<FlipMode, [boolean, boolean][]> = {
    horizontal: [[false, false], [true, false]],
    vertical: [[false, false], [false, true]],
    horizontal_and_vertical: [[false, false], [true, false], [false, true], [true, true]],
  };
  for (const [mode, allowed] of Object.entries(variants) as [FlipMode, [boolean, boolean][]][]) {
    const a = new RandomFlip(mode, { seed: 11 }), b = new RandomFlip(mode, { seed: 11 });
    const seen = new Set<string>();
    for (let call = 0; call < 6; call++) {
      const y = a.apply(x, { training: true });
      assert.deepEqual([...b.apply(x, { training: true }).data], [...y.data], `${mode}: same seed, same flips`);
      const out = y.toArray() as number[][][][];
      images.forEach((img, i) => {
        const which = allowed.findIndex(([h, v]) =>
          JSON.stringify(flipped(img, h, v)) === JSON.stringify(out[i].flat(2))
        );
        assert(which >= 0, `${mode}: image ${i} is no allowed flip`);
        seen.add(String(which));
      });
    }
    assert.equal(seen.size, allowed.length, `${mode}: every variant drawn in 24 images`);
  }
  // A single image ([h, w, c]) is flipped as a batch of one.
  const one = new RandomFlip("horizontal").seed(() => 0).apply(Tensor.from(images[0]), { training: true });
  assert.deepEqual([...one.data], flipped(images[0], true, false).map(Math.fround));
});

Deno.test("RandomCrop in training: one random window per batch, repeatable from the seed", () => {
  const x = rand([2, 6, 7, 3], 2);
  const rows = x.toArray() as number[][][][];
  const windowOf = (y: Tensor): string => {
    const out = y.toArray() as number[][][][];
    for (let top = 0; top <= 2; top++) {
      for (let left = 0; left <= 3; left++) {
        const same = rows.every((img, i) =>
          JSON.stringify(img.slice(top, top + 4).map((r) => r.slice(left, left + 4))) === JSON.stringify(out[i])
        );
        if (same) return `${top},${left}`;
      }
    }
    return "none";
  };
  const a = new RandomCrop(4, 4, { seed: 3 }), b = new RandomCrop(4, 4, { seed: 3 });
  const windows = new Set<string>();
  for (let call = 0; call < 12; call++) {
    const y = a.apply(x, { training: true });
    assert.deepEqual(y.shape, [2, 4, 4, 3]);
    assert.deepEqual([...b.apply(x, { training: true }).data], [...y.data]);
    const w = windowOf(y);
    assert.notEqual(w, "none", "a window of the input, the same for both images");
    windows.add(w);
  }
  assert(windows.size >= 4, `windows vary: ${[...windows]}`);
  // random() → 1⁻ reaches the last window; 0 the first.
  assert.equal(windowOf(new RandomCrop(4, 4).seed(() => 0.999999).apply(x, { training: true })), "2,3");
  assert.equal(windowOf(new RandomCrop(4, 4).seed(() => 0).apply(x, { training: true })), "0,0");
});

Deno.test("RandomTranslation, RandomZoom: seeded sequences repeat, and differ call to call", () => {
  const x = rand([2, 5, 6, 1], 3);
  for (
    const make of [
      (seed: number) => new RandomTranslation(0.3, [-0.2, 0.4], { seed }),
      (seed: number) => new RandomZoom([-0.3, 0.2], 0.4, { seed, fillMode: "nearest" }),
    ]
  ) {
    const a = make(5), b = make(5), c = make(6);
    const ya = [0, 1, 2].map(() => [...a.apply(x, { training: true }).data]);
    const yb = [0, 1, 2].map(() => [...b.apply(x, { training: true }).data]);
    const yc = [0, 1, 2].map(() => [...c.apply(x, { training: true }).data]);
    assert.deepEqual(ya, yb);
    assert.notDeepEqual(ya, yc);
    assert.notDeepEqual(ya[0], ya[1]);
  }
});

Deno.test("preprocessing layers: bad arguments name the layer, the value and what is accepted", () => {
  const cases: [() => unknown, RegExp, string][] = [
    [
      () => new RandomTranslation([0.3, 0.1], 0),
      /heightFactor cannot have upper < lower, got \[0.3,0.1\]/,
      "RangeError",
    ],
    [() => new RandomTranslation(0, 1.5), /widthFactor must lie in \[-1, 1\], got 1.5/, "RangeError"],
    [() => new RandomTranslation(-0.2, 0), /heightFactor cannot have upper < lower, got -0.2/, "RangeError"],
    [
      () => new RandomTranslation("0.2" as unknown as Factor, 0),
      /heightFactor must be a number or \[lower, upper\], got "0.2"/,
      "TypeError",
    ],
    [() => new RandomZoom([0.1, 0.2, 0.3] as unknown as Factor), /must be a number or \[lower, upper\]/, "TypeError"],
    [() => new RandomZoom(1.2), /RandomZoom: heightFactor must lie in \[-1, 1\], got 1.2/, "RangeError"],
    [() => new RandomZoom(0.2, [-1.5, 0]), /RandomZoom: widthFactor must be ≥ -1, got \[-1.5,0\]/, "RangeError"],
    [
      () => new RandomZoom(0.2, null, { fillMode: "mirror" as FillMode }),
      /RandomZoom: fillMode "mirror" is unknown; use one of reflect, wrap, constant, nearest/,
      "RangeError",
    ],
    [
      () => new RandomTranslation(0.2, 0.2, { interpolation: "bicubic" as "nearest" }),
      /RandomTranslation: interpolation "bicubic" is unknown; use one of bilinear, nearest/,
      "RangeError",
    ],
    [
      () => new RandomFlip("diagonal" as FlipMode),
      /RandomFlip: mode "diagonal" is unknown; use one of horizontal, vertical, horizontal_and_vertical/,
      "RangeError",
    ],
    [() => new RandomCrop(0, 4), /RandomCrop: height must be a positive integer, got 0/, "RangeError"],
    [() => new RandomCrop(4, 2.5), /RandomCrop: width must be a positive integer, got 2.5/, "RangeError"],
    [() => new RandomFlip("horizontal", { seed: 1.5 }), /RandomFlip: seed must be an integer or null/, "TypeError"],
    [() => new Rescaling(NaN), /Rescaling: scale must be a finite number, got NaN/, "TypeError"],
    [
      () => new RandomFlip("horizontal", { name: "flip" }).apply(Tensor.zeros([4, 4]), { training: true }),
      /layer "flip": expects images \[height, width, channels\] or \[batch, height, width, channels\], got shape \[4,4\]/,
      "RangeError",
    ],
    [
      () => new RandomCrop(2, 2, { name: "crop" }).apply(Tensor.zeros([1, 1, 4, 4, 1])),
      /layer "crop": expects images/,
      "RangeError",
    ],
  ];
  for (const [f, message, name] of cases) assert.throws(f, { name, message });
});

Deno.test("preprocessing layers: configs round-trip, and Keras's configs read back to Keras's keys", () => {
  const ours: Layer[] = [
    new Rescaling(1 / 255, { name: "r" }),
    new RandomFlip("vertical", { seed: 1 }),
    new RandomTranslation([-0.1, 0.2], 0.3, { fillMode: "wrap", interpolation: "nearest", seed: 2, fillValue: 0 }),
    new RandomZoom(0.2),
    new RandomZoom([0.1, 0.2], [-0.3, 0.5], { fillMode: "constant", fillValue: 3 }),
    new RandomCrop(8, 9, { seed: 4 }),
  ];
  for (const layer of ours) {
    const className = layer.constructor.name;
    const config = layer.getConfig();
    assert.deepEqual(FROM_CONFIG[className](JSON.parse(JSON.stringify(config))).getConfig(), config, className);
  }
  for (const { class_name, config } of fixture.configs as { class_name: string; config: Config }[]) {
    const { trainable: _t, dtype: _d, ...keras } = config;
    assert.deepEqual(FROM_CONFIG[class_name](config).getConfig(), keras, class_name);
  }
});

Deno.test("preprocessing layers on the tape: Rescaling and RandomCrop's crop are differentiable, the rest stop", () => {
  passes("Rescaling", (x) => new Rescaling(0.5, { offset: -1 }).apply(x), [rand([2, 3], 1)]);
  passes("RandomCrop (training)", (x) => new RandomCrop(2, 3).seed(() => 0.6).apply(x, { training: true }), [
    rand([2, 4, 5, 1], 2),
  ]);
  const x = rand([1, 4, 4, 1], 3);
  const layers = [new RandomTranslation(0.2, 0.2), new RandomZoom(0.2), new RandomFlip(), new RandomCrop(3, 3)];
  for (const layer of layers) {
    const { grads } = valueAndGrads(
      () => ops.sum(layer.apply(x, { training: layer instanceof RandomCrop ? false : true })),
      [x],
    );
    assert.deepEqual([...grads[0].data], new Array(16).fill(0), layer.name);
  }
});
