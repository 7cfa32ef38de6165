/**
 * bindChannelAffine (kernels_zig/channel_affine.zig): y = x·scale[c] + shift[c] and its packed signs, checked
 * against a float64 loop rounded as MUL then ADD (Math.fround after each), on the reference, every compiled
 * backend and 1, 2 and 3 native threads (bit for bit), over channel counts around a word and row counts past
 * the 32K-value threading cut; and its argument checks. Also bindScalePreluAdd (MUL by a vector, PRELU, ADD).
 */
import assert from "node:assert/strict";
import { compiledVariants, floatNative, floatReference, floatWasm, native, reference, rng } from "./_backends.ts";

const CHANNELS = [1, 31, 32, 33, 64, 65, 127];

function oracle(
  x: Float32Array,
  scale: Float32Array,
  shift: Float32Array,
): { values: Float32Array; bits: Uint32Array } {
  const c = scale.length, rows = x.length / c, words = Math.ceil(c / 32);
  const values = new Float32Array(x.length), bits = new Uint32Array(rows * words);
  for (let j = 0; j < x.length; j++) {
    const y = Math.fround(Math.fround(x[j] * scale[j % c]) + shift[j % c]);
    values[j] = y;
    const r = Math.floor(j / c), i = j % c;
    if (y < 0) bits[r * words + (i >>> 5)] |= 1 << (i & 31);
  }
  return { values, bits };
}

function data(rows: number, c: number, seed: number) {
  const next = rng(seed);
  const x = Float32Array.from({ length: rows * c }, () => next() * 4 - 2);
  const scale = Float32Array.from({ length: c }, () => next() * 3 - 1.5);
  const shift = Float32Array.from({ length: c }, () => next() - 0.5);
  scale[0] = 0; // y = shift exactly; -0 shift on the next channel, when there is one
  if (c > 1) shift[1] = -0;
  x[0] = 0;
  return { x, scale, shift };
}

const words = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

Deno.test("channel affine: values and packed signs of MUL then ADD, on every backend", () => {
  const backends = [{ label: "reference", kernels: reference }, ...compiledVariants()];
  for (const c of CHANNELS) {
    for (const rows of [1, 3, Math.ceil(40000 / c)]) {
      const { x, scale, shift } = data(rows, c, 7 * c + rows);
      const want = oracle(x, scale, shift);
      for (const { label, kernels } of backends) {
        const what = `${label}, ${rows}×${c}`;
        const affine = kernels.bindChannelAffine(rows, c, { scale, shift });
        const values = new Float32Array(rows * c), bits = new Uint32Array(want.bits.length).fill(0xdeadbeef);
        affine.run(x, { values, bits });
        assert.deepEqual(words(values), words(want.values), `values (${what})`);
        assert.deepEqual(Array.from(bits), Array.from(want.bits), `bits (${what})`);
        const onlyBits = new Uint32Array(want.bits.length);
        affine.run(x, { bits: onlyBits });
        assert.deepEqual(Array.from(onlyBits), Array.from(want.bits), `bits alone (${what})`);
        const onlyValues = new Float32Array(rows * c);
        affine.run(x, { values: onlyValues });
        assert.deepEqual(words(onlyValues), words(want.values), `values alone (${what})`);
      }
    }
  }
});

Deno.test({
  name: "channel affine: 1, 2 and 3 native threads give the same bits",
  ignore: native === undefined,
  fn() {
    for (const c of [33, 192, 1024]) {
      const rows = Math.ceil(300000 / c);
      const { x, scale, shift } = data(rows, c, c);
      const run = (threads: number) => {
        const values = new Float32Array(rows * c), bits = new Uint32Array(rows * Math.ceil(c / 32));
        native!.with({ threads }).bindChannelAffine(rows, c, { scale, shift }).run(x, { values, bits });
        return [...words(values), ...bits];
      };
      const one = run(1);
      for (const threads of [2, 3]) assert.deepEqual(run(threads), one, `${rows}×${c} on ${threads} threads`);
    }
  },
});

Deno.test("channel affine: argument checks name the value", () => {
  const scale = new Float32Array(3), shift = new Float32Array(3);
  assert.throws(() => reference.bindChannelAffine(2, 0, { scale, shift }), RangeError);
  assert.throws(() => reference.bindChannelAffine(2, 4, { scale, shift }), /scale/);
  const affine = reference.bindChannelAffine(2, 3, { scale, shift });
  assert.throws(() => affine.run(new Float32Array(5), { values: new Float32Array(6) }), /input/);
  assert.throws(() => affine.run(new Float32Array(6), { bits: new Uint32Array(1) }), /out\.bits/);
  assert.throws(() => affine.run(new Float32Array(6), {}), TypeError);
});

Deno.test("scale, PRELU, add: each op's rounding, on every float backend and 1-3 native threads", () => {
  const backends = [
    { label: "reference", f: floatReference },
    ...(floatNative
      ? [1, 2, 3].map((threads) => ({ label: `native/t${threads}`, f: floatNative!.with({ threads }) }))
      : []),
    { label: "wasm", f: floatWasm },
  ];
  for (const c of CHANNELS) {
    for (const rows of [1, 5, Math.ceil(70000 / c)]) {
      const next = rng(3 * c + rows);
      const x = Float32Array.from({ length: rows * c }, () => next() * 4 - 2);
      const residual = Float32Array.from({ length: rows * c }, () => next() * 2 - 1);
      const scale = Float32Array.from({ length: c }, () => next() * 2 - 0.5);
      const alpha = Float32Array.from({ length: c }, () => next() * 0.5);
      x[0] = -0;
      const want = Float32Array.from(x, (v, j) => {
        const m = Math.fround(v * scale[j % c]);
        return Math.fround((m >= 0 ? m : Math.fround(m * alpha[j % c])) + residual[j]);
      });
      for (const { label, f } of backends) {
        const out = new Float32Array(rows * c);
        f.bindScalePreluAdd(rows, c, { alpha }).run(x, scale, residual, out);
        assert.deepEqual(words(out), words(want), `${label}, ${rows}×${c}`);
        const inPlace = residual.slice();
        f.bindScalePreluAdd(rows, c, { alpha }).run(x, scale, inPlace, inPlace);
        assert.deepEqual(words(inPlace), words(want), `${label}, ${rows}×${c}, out = residual`);
      }
    }
  }
  assert.throws(() => floatReference.bindScalePreluAdd(2, 3, { alpha: new Float32Array(2) }), /alpha/);
  const op = floatReference.bindScalePreluAdd(2, 3, { alpha: new Float32Array(3) });
  const six = new Float32Array(6);
  assert.throws(() => op.run(six, new Float32Array(2), six, six), /scale/);
});

Deno.test("channel affine on a slice of wider rows: x copied at its stride, y's signs packed at a word stride", () => {
  const backends = [{ label: "reference", kernels: reference }, ...compiledVariants()];
  const [rows, c, wide, from] = [1500, 40, 160, 64]; // 60K values in the slice: past the threading cut
  const words = Math.ceil(wide / 32);
  const { x, scale, shift } = data(rows, c, 5);
  const want = oracle(x, scale, shift);
  for (const { label, kernels } of backends) {
    const values = new Float32Array(rows * wide).fill(9), bits = new Uint32Array(rows * words).fill(0xabcd);
    const affine = kernels.bindChannelAffine(rows, c, {
      scale,
      shift,
      valuesStride: wide,
      bitsStride: words,
      copyInput: true,
    });
    affine.run(x, {
      values: values.subarray(from, from + (rows - 1) * wide + c),
      bits: bits.subarray(from / 32, from / 32 + (rows - 1) * words + 2),
    });
    for (let r = 0; r < rows; r++) {
      const what = `${label}, row ${r}`;
      assert.deepEqual(
        words32(values.subarray(r * wide + from, r * wide + from + c)),
        words32(x.subarray(r * c, (r + 1) * c)),
        what,
      );
      assert.equal(values[r * wide + from - 1], 9, `${what}: the value before the slice`);
      assert.deepEqual(
        Array.from(bits.subarray(r * words + 2, r * words + 4)),
        Array.from(want.bits.subarray(r * 2, r * 2 + 2)),
        what,
      );
      assert.equal(bits[r * words + 1], 0xabcd, `${what}: the word before the slice`);
    }
  }
  assert.throws(() => reference.bindChannelAffine(2, 40, { scale, shift, valuesStride: 39 }), RangeError);
});

function words32(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.slice().buffer));
}
