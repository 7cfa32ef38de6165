/**
 * LceBMaxPool2d's kernel, native (1 and 2 threads) and wasm against the TS
 * reference and against an independent ±1 float max pool, on a sweep of
 * shapes, filters, strides and both paddings; bad geometry is refused.
 */
import assert from "node:assert/strict";
import { seededRandom } from "../graph/random.ts";
import { native, reference, wasm } from "./_backends.ts";

function floatMaxPoolBits(
  words: Uint32Array,
  [n, h, w, c]: number[],
  [fh, fw]: number[],
  [sh, sw]: number[],
  pad: [number, number],
  [oh, ow]: number[],
): Uint32Array {
  const out = new Uint32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let k = 0; k < c * 32; k++) {
          let best = -Infinity;
          for (let ky = 0; ky < fh; ky++) {
            for (let kx = 0; kx < fw; kx++) {
              const iy = oy * sh + ky - pad[0], ix = ox * sw + kx - pad[1];
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const bit = (words[((b * h + iy) * w + ix) * c + (k >>> 5)] >>> (k & 31)) & 1;
              best = Math.max(best, bit ? -1 : 1);
            }
          }
          if (best < 0) out[((b * oh + oy) * ow + ox) * c + (k >>> 5)] |= 1 << (k & 31);
        }
      }
    }
  }
  return out;
}

Deno.test("LceBMaxPool2d kernel: native = wasm = reference = a float max pool of ±1 values", () => {
  const r = seededRandom(9);
  const kernels = [reference, wasm, ...(native ? [native, native.with({ threads: 2 })] : [])];
  for (const [n, h, w, c] of [[1, 5, 5, 1], [2, 8, 7, 3], [1, 9, 4, 2]]) {
    for (const [fh, fw] of [[2, 2], [3, 3], [1, 3]]) {
      for (const [sh, sw] of [[1, 1], [2, 2], [2, 1]]) {
        for (const padding of ["valid", "same"] as const) {
          if (padding === "valid" && (fh > h || fw > w)) continue;
          const input = Uint32Array.from({ length: n * h * w * c }, () => (r() * 2 ** 32) >>> 0);
          const outs = kernels.map((k) => {
            const bound = k.bindBMaxPool2d({
              inputShape: [n, h, w, c],
              kernelSize: [fh, fw],
              strides: [sh, sw],
              padding,
            });
            const out = new Uint32Array(bound.outputLength);
            bound.run(input, out);
            return out;
          });
          const oh = padding === "same" ? Math.ceil(h / sh) : Math.floor((h - fh) / sh) + 1;
          const ow = padding === "same" ? Math.ceil(w / sw) : Math.floor((w - fw) / sw) + 1;
          const padTop = padding === "same" ? Math.floor(Math.max((oh - 1) * sh + fh - h, 0) / 2) : 0;
          const padLeft = padding === "same" ? Math.floor(Math.max((ow - 1) * sw + fw - w, 0) / 2) : 0;
          const want = floatMaxPoolBits(input, [n, h, w, c], [fh, fw], [sh, sw], [padTop, padLeft], [oh, ow]);
          outs.forEach((o, i) =>
            assert.deepEqual(o, want, `kernel ${i}: [${n},${h},${w},${c}] ${fh}x${fw} s${sh}x${sw} ${padding}`)
          );
        }
      }
    }
  }
  assert.throws(() => reference.bindBMaxPool2d({ inputShape: [1, 2, 2, 1], kernelSize: [3, 3], padding: "valid" }));
  const bound = reference.bindBMaxPool2d({ inputShape: [1, 4, 4, 1], kernelSize: [2, 2], strides: [2, 2] });
  assert.throws(() => bound.run(new Uint32Array(3), new Uint32Array(bound.outputLength)), /input/);
});
