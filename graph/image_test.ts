import assert from "node:assert/strict";
import { fixtureTensor, rand } from "./_test_util.ts";
import {
  type FillMode,
  flipLeftRight,
  flipUpDown,
  type Interpolation,
  resizeBilinear,
  smartCropBox,
  smartResize,
  transform,
  translationMatrix,
  zoomMatrix,
} from "./image.ts";
import * as ops from "./ops.ts";
import { valueAndGrads } from "./tape.ts";
import { Tensor } from "./tensor.ts";

const fixture = JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/keras/preprocessing.json", import.meta.url)),
);

interface ProjectiveCase {
  name: string;
  transforms: number[][];
  fill_mode: FillMode;
  interpolation: Interpolation;
  fill_value: number;
  output: { shape: number[]; data: string };
}

/** Largest |a - b| / max(1, |b|). */
function worst(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]) / Math.max(1, Math.abs(b.data[i])));
  return m;
}

Deno.test("transform: TF's ImageProjectiveTransformV3, every fill mode and interpolation", () => {
  const x = fixtureTensor(fixture.projective.input);
  const cases: ProjectiveCase[] = fixture.projective.cases;
  assert.equal(cases.length, 72);
  for (const c of cases) {
    const y = transform(x, c.transforms, {
      fillMode: c.fill_mode,
      interpolation: c.interpolation,
      fillValue: c.fill_value,
    });
    const err = worst(y, fixtureTensor(c.output));
    // Bit-exact: TF's float32 arithmetic in TF's order.
    assert(err === 0, `${c.name} ${c.fill_mode} ${c.interpolation}: off by ${err}`);
  }
});

Deno.test("transform: the identity leaves images as they are; k = 0 gives the fill value", () => {
  const x = rand([2, 3, 4, 2], 1);
  for (const fillMode of ["reflect", "wrap", "constant", "nearest"] as const) {
    for (const interpolation of ["bilinear", "nearest"] as const) {
      const y = transform(x, [[1, 0, 0, 0, 1, 0, 0, 0]], { fillMode, interpolation });
      assert.deepEqual([...y.data], [...x.data].map(Math.fround), `${fillMode} ${interpolation}`);
      assert.equal(y.dtype, "float64");
    }
  }
  // k = c0·x + c1·y + 1 is 0 at x = 1 on every row: those points are at infinity.
  const z = transform(Tensor.fill([1, 2, 3, 1], 5), [[1, 0, 0, 0, 1, 0, -1, 0]], { fillValue: -2 });
  assert.deepEqual([...z.data].filter((_, i) => i % 3 === 1), [-2, -2]);
});

/** Nested-array oracle: reverse the chosen axis of the chosen images. */
function flipOracle(x: Tensor, axis: 1 | 2, which: boolean[]): number[] {
  const imgs = x.toArray() as number[][][][];
  return imgs.map((img, b) => !which[b] ? img : axis === 1 ? [...img].reverse() : img.map((row) => [...row].reverse()))
    .flat(3);
}

Deno.test("flipLeftRight, flipUpDown: per-image reversal of width or height", () => {
  const x = rand([3, 4, 5, 2], 2);
  const which = [true, false, true];
  assert.deepEqual([...flipLeftRight(x, which).data], flipOracle(x, 2, which));
  assert.deepEqual([...flipUpDown(x, which).data], flipOracle(x, 1, which));
  assert.deepEqual([...flipLeftRight(x).data], flipOracle(x, 2, [true, true, true]));
  assert.deepEqual([...flipUpDown(flipUpDown(x)).data], [...x.data]);
});

Deno.test("translationMatrix, zoomMatrix: Keras's matrices in float32", () => {
  assert.deepEqual(translationMatrix(1.4, -0.7), [1, 0, -Math.fround(1.4), 0, 1, Math.fround(0.7), 0, 0]);
  const f = Math.fround;
  // Keras: x_offset = ((w - 1) / 2) · (1 - zx) = 3 · (1 - 1.3)
  assert.deepEqual(zoomMatrix(1.3, 0.75, 6, 7), [f(1.3), 0, f(3 * f(1 - f(1.3))), 0, 0.75, f(2.5 * 0.25), 0, 0]);
});

Deno.test("resizeBilinear: each image as kernels/_tf_resize (TF's resize), identity at the same size", () => {
  const x = rand([2, 3, 5, 2], 3, 0, 10);
  const y = resizeBilinear(x, [4, 2]);
  assert.deepEqual(y.shape, [2, 4, 2, 2]);
  // A float64 re-derivation of TF's half-pixel bilinear for one output value: image 1, (y, x) = (3, 1), channel 0.
  const src = (yy: number, xx: number) => x.data[((1 * 3 + yy) * 5 + xx) * 2];
  const sy = (3 + 0.5) * 3 / 4 - 0.5, sx = (1 + 0.5) * 5 / 2 - 0.5; // 2.125, 3.25
  const [y0, x0] = [Math.floor(sy), Math.floor(sx)], [y1, x1] = [Math.min(y0 + 1, 2), Math.min(x0 + 1, 4)];
  const top = src(y0, x0) + (src(y0, x1) - src(y0, x0)) * (sx - x0);
  const bottom = src(y1, x0) + (src(y1, x1) - src(y1, x0)) * (sx - x0);
  assert(Math.abs(y.data[((1 * 4 + 3) * 2 + 1) * 2] - (top + (bottom - top) * (sy - y0))) < 1e-5);
  assert.deepEqual([...resizeBilinear(x, [3, 5]).data], [...x.data].map(Math.fround));
});

Deno.test("smartCropBox, smartResize: the largest centred box of the target's aspect ratio", () => {
  assert.deepEqual(smartCropBox(6, 7, [4, 4]), { top: 0, left: 0, height: 6, width: 6 }); // left = trunc(0.5)
  assert.deepEqual(smartCropBox(6, 7, [5, 3]), { top: 0, left: 2, height: 6, width: 3 });
  assert.deepEqual(smartCropBox(6, 7, [2, 7]), { top: 2, left: 0, height: 2, width: 7 });
  assert.deepEqual(smartCropBox(6, 7, [12, 14]), { top: 0, left: 0, height: 6, width: 7 });
  const x = rand([1, 6, 7, 1], 4);
  // The target's own aspect ratio at another size: a plain resize.
  assert.deepEqual([...smartResize(x, [12, 14]).data], [...resizeBilinear(x, [12, 14]).data]);
  // Same height, narrower: a centred crop without resampling.
  const crop = smartResize(x, [6, 3]);
  const rows = x.toArray() as number[][][][];
  assert.deepEqual([...crop.data], rows[0].map((r) => r.slice(2, 5)).flat(2).map(Math.fround));
});

Deno.test("image ops: bad input names the op, the value and what is accepted", () => {
  const x = Tensor.zeros([1, 2, 2, 1]);
  assert.throws(() => transform(Tensor.zeros([2, 2, 1]), [translationMatrix(0, 0)]), {
    name: "RangeError",
    message: /transform takes \[batch, height, width, channels\], got shape \[2,2,1\]/,
  });
  assert.throws(() => transform(Tensor.zeros([3, 2, 2, 1]), [translationMatrix(0, 0), translationMatrix(1, 0)]), {
    name: "RangeError",
    message: /one per image \(3\), got 2/,
  });
  assert.throws(() => transform(x, [[1, 0, 0]]), { name: "RangeError", message: /transforms\[0\] must be 8/ });
  assert.throws(() => transform(x, [translationMatrix(0, 0)], { fillMode: "mirror" as FillMode }), {
    name: "RangeError",
    message: /unknown fillMode "mirror"; use one of reflect, wrap, constant, nearest/,
  });
  assert.throws(() => transform(x, [translationMatrix(0, 0)], { interpolation: "cubic" as Interpolation }), {
    name: "RangeError",
    message: /unknown interpolation "cubic"; use one of bilinear, nearest/,
  });
  assert.throws(() => flipLeftRight(x, [true, false]), { name: "RangeError", message: /one boolean per image \(1\)/ });
  assert.throws(() => resizeBilinear(x, [0, 2]), { name: "RangeError", message: /positive integers, got \[0,2\]/ });
  assert.throws(() => smartResize(x, [2.5, 2] as [number, number]), { name: "RangeError", message: /smartCropBox/ });
});

Deno.test("image ops on a recorded tensor: nothing recorded, gradients stop (documented)", () => {
  const x = rand([1, 3, 3, 1], 5);
  const { value, grads } = valueAndGrads(() => {
    const moved = transform(x, [translationMatrix(0.5, 0)]);
    return ops.sum(ops.add(flipLeftRight(moved), ops.mul(x, 2)));
  }, [x]);
  assert(Number.isFinite(value.item()));
  assert.deepEqual([...grads[0].data], new Array(9).fill(2)); // only the x·2 branch is differentiated
});
