import assert from "node:assert/strict";
import { previewBundle, previewText } from "./preview.ts";
import { Tensor, Variable } from "./tensor.ts";
import { JUPYTER_DISPLAY } from "../viz/html.ts";

const range = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, (_, i) => i), shape);
};

Deno.test("Deno.inspect(tensor): dtype, shape, the first values per axis and an ellipsis", () => {
  assert.equal(
    Deno.inspect(range([3, 8])),
    "Tensor float32 [3, 8]\n[[ 0,  1,  2,  3,  4,  5, …],\n [ 8,  9, 10, 11, 12, 13, …],\n [16, 17, 18, 19, 20, 21, …]]",
  );
  assert.equal(
    previewText(range([8, 2]), { maxItems: 2, title: "t" }),
    "t\n[[0, 1],\n [2, 3],\n …]",
  );
  assert.equal(
    Deno.inspect(Tensor.from([[[1, 2], [3, 4]], [[5, 6], [7, -8.123456]]], "float64")),
    "Tensor float64 [2, 2, 2]\n[[[     1,      2],\n  [     3,      4]],\n\n [[     5,      6],\n  [     7, -8.123]]]",
  );
  assert.equal(Deno.inspect(Tensor.from(2.5)), "Tensor float32 []\n2.5");
  assert.equal(Deno.inspect(Tensor.zeros([0, 3])), "Tensor float32 [0, 3]\n[]");
  assert.equal(Deno.inspect(Tensor.from([NaN, -Infinity])), "Tensor float32 [2]\n[      NaN, -Infinity]");
});

Deno.test("a big tensor's inspect stays a few lines", () => {
  const text = Deno.inspect(Tensor.zeros([64, 3, 3, 128]));
  // The title; per shown entry of axis 0: 2 blocks of 3 rows, a blank line after each, "…"; 2 blank lines after
  // each of those; the last "…".
  const lines = text.split("\n");
  assert.equal(lines.length, 1 + 2 * (2 * (3 + 1) + 1) + 2 * 2 + 1, text);
  assert.equal(lines.filter((l) => l.trim().startsWith("[")).length, 12);
  assert.equal(lines[1], "[[[[0, 0, 0, 0, 0, 0, …],");
  assert.ok(text.endsWith("  …],\n\n\n …]"), text.slice(-40));
});

Deno.test("a variable's preview names it and says when it does not train", () => {
  const v = new Variable(Tensor.from([1.5, 0.25]), { name: "kernel", trainable: false });
  assert.equal(Deno.inspect(v), 'Variable "kernel" float32 [2] (not trainable)\n[ 1.5, 0.25]');
});

Deno.test("a notebook shows a tensor as a table of its first values with min, mean and max", () => {
  const bundle = range([8, 8])[JUPYTER_DISPLAY]();
  const html = bundle["text/html"] as string;
  assert.equal(bundle["text/plain"], Deno.inspect(range([8, 8])));
  assert.ok(html.startsWith("<div><b>Tensor float32 [8, 8]</b> — min 0, mean 31.5, max 63</div><table>"), html);
  assert.equal(html.match(/<tr>/g)!.length, 7); // 6 rows and a ⋮ row
  assert.equal(html.match(/<tr>.*?<\/tr>/)![0].match(/<td/g)!.length, 7); // 6 values and …
  assert.ok(html.includes(">13</td>") && !html.includes(">14</td>"));
  const cube = previewBundle(range([2, 2, 2]))["text/html"] as string;
  assert.ok(cube.includes("<pre>[[[0, 1],\n  [2, 3]],"), cube);
});

Deno.test("preview: maxItems must be an integer ≥ 1", () => {
  assert.throws(() => previewText(range([2]), { maxItems: 0 }), /maxItems is 0; an integer ≥ 1/);
});
