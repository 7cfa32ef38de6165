/**
 * bench/_lce_diff.ts's reading of bitpacked tensors, which bench:zoo uses to
 * say why onebit and LCE part: the differing bits of two packed tensors and,
 * for each, the float input it packed (ceil(C/32) words per pixel, LSB
 * first, x < 0 → 1), checked against a packer written here in float64 terms.
 */
import assert from "node:assert/strict";
import { differingBits, flippedInputs } from "../bench/_lce_diff.ts";

/** LCE's bitpacking, stated plainly: per pixel ceil(C/32) words, channel c in word c/32 at bit c%32, x < 0 → 1. */
function pack(x: Float32Array, channels: number): Int32Array {
  const words = Math.ceil(channels / 32), pixels = x.length / channels;
  const out = new Int32Array(pixels * words);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) if (x[p * channels + c] < 0) out[p * words + (c >> 5)] |= 1 << (c & 31);
  }
  return out;
}

const channels = 40, pixels = 3; // two words per pixel, the second half padding
const a = Float32Array.from({ length: pixels * channels }, (_, i) => Math.sin(i + 0.5));
/** Elements whose sign b flips, tiny in a: channel 0, 31, 32 and 39 of different pixels. */
const flipped = [0 * channels + 31, 1 * channels + 0, 1 * channels + 32, 2 * channels + 39];

Deno.test("differingBits + flippedInputs find exactly the sign flips, with their inputs", () => {
  const x = a.slice(), y = a.slice();
  for (const i of flipped) (x[i] = 1e-6), (y[i] = -2e-6);
  const bits = differingBits(pack(x, channels), pack(y, channels));
  assert.equal(bits.length, flipped.length);
  assert.deepEqual(flippedInputs(bits, x, y, channels), { oppositeSigns: 4, maxAbsInput: Math.fround(2e-6) });
});

Deno.test("flippedInputs counts a differing bit whose inputs share a sign as not opposite", () => {
  const x = a.slice();
  const packed = pack(x, channels), other = packed.slice();
  other[1 * 2 + 1] ^= 1 << 3; // pixel 1, channel 35: the bit differs, the floats do not
  const bits = differingBits(packed, other);
  assert.deepEqual(bits, [(1 * 2 + 1) * 32 + 3]);
  assert.deepEqual(flippedInputs(bits, x, x, channels), {
    oppositeSigns: 0,
    maxAbsInput: Math.abs(x[1 * channels + 35]),
  });
});
