/**
 * The shared workspace of calls that pass none (kernels/_scratch.ts): a convolution after others, whose
 * workspace is then left dirty and larger, gives the bits of a call on a fresh zeroed workspace.
 */
import assert from "node:assert/strict";
import { Scratch } from "./_scratch.ts";
import { FloatKernels, type WindowGeometry } from "./float_kernels.ts";
import { BinaryKernels } from "./binary_kernels.ts";

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
}

Deno.test("Scratch: grows to the largest length asked, reuses its buffer, at least 1 element", () => {
  const s = new Scratch((n) => new Uint32Array(n));
  const a = s.get(0);
  assert.equal(a.length, 1);
  const b = s.get(50);
  assert.equal(b.length, 50);
  b.fill(7);
  assert.equal(s.get(20), b);
  assert.equal(s.get(20)[19], 7);
  assert.notEqual(s.get(51), b);
});

const geos: WindowGeometry[] = [
  { inputShape: [2, 9, 9, 16], kernelSize: [3, 3], padding: "same" },
  { inputShape: [1, 6, 7, 40], kernelSize: [3, 3], strides: [2, 2], padding: "valid" },
  { inputShape: [3, 5, 5, 8], kernelSize: [2, 2], dilations: [2, 2], padding: "same" },
];

for (const backend of ["native", "wasm"] as const) {
  let float: FloatKernels | undefined, binary: BinaryKernels | undefined;
  try {
    float = FloatKernels[backend]({ threads: backend === "native" ? 2 : 1 });
    binary = BinaryKernels[backend]({ threads: backend === "native" ? 2 : 1 });
  } catch (e) {
    if (backend === "wasm" || Deno.env.get("ONEBIT_REQUIRE_NATIVE") === "1") throw e;
  }
  Deno.test({
    name: `${backend}: convolutions without a workspace give the bits of a fresh one, after calls that dirtied it`,
    ignore: float === undefined,
    fn() {
      // Largest first, so later calls get a larger, dirty buffer.
      for (const round of [0, 1]) {
        for (const g of [...geos].reverse()) {
          const cin = g.inputShape[3], cout = 33 + round, kh = g.kernelSize[0], kw = g.kernelSize[1];
          const x = rand(g.inputShape.reduce((a, b) => a * b, 1), cin + round), w = rand(cout * kh * kw * cin, cout);
          const packed = float!.packRhs(w, cout);
          const clean = new Float32Array(Math.max(1, float!.conv2dWorkspaceFloats(g)));
          const want = float!.conv2d(x, packed, { ...g, workspace: clean });
          assert.deepEqual(float!.conv2d(x, packed, g), want, `float ${JSON.stringify(g)} round ${round}`);
          const bits = binary!.bitpack(x, cin), wBits = binary!.packRhs(binary!.bitpack(w, cin), cout);
          const bclean = new Uint32Array(Math.max(1, binary!.bindBconv2dF32(wBits, g).workspaceWords));
          const bwant = binary!.bconv2dF32(bits, wBits, { ...g, workspace: bclean });
          assert.deepEqual(binary!.bconv2dF32(bits, wBits, g), bwant, `binary ${JSON.stringify(g)} round ${round}`);
        }
      }
    },
  });
}
