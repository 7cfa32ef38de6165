import assert from "node:assert/strict";
import { escapeHtml, htmlBundle, htmlTable, inJupyter, jupyterDisplay, setJupyterDisplay, svgBundle } from "./html.ts";

Deno.test("jupyterDisplay: null outside the Deno kernel (reading Deno.jupyter throws there)", () => {
  assert.throws(() => (Deno as unknown as { jupyter: unknown }).jupyter);
  assert.equal(jupyterDisplay(), null);
  assert.equal(inJupyter(), false);
});

Deno.test("setJupyterDisplay: a mock is used until undefined restores detection; bad values are TypeErrors", async () => {
  const calls: unknown[] = [];
  setJupyterDisplay((bundle, options) => void calls.push([bundle, options]));
  try {
    assert.equal(inJupyter(), true);
    await jupyterDisplay()!({ "text/plain": "x" }, { raw: true, display_id: "d" });
    assert.deepEqual(calls, [[{ "text/plain": "x" }, { raw: true, display_id: "d" }]]);
    setJupyterDisplay(null);
    assert.equal(inJupyter(), false);
  } finally {
    setJupyterDisplay(undefined);
  }
  assert.equal(inJupyter(), false);
  assert.throws(() => setJupyterDisplay("x" as never), /got string; a function, null or undefined/);
});

Deno.test("htmlTable: escaped cells, numeric columns right-aligned, row classes, footer", () => {
  const t = htmlTable(["name", "n"], [["<a>", 1], ["b&c", 2]], {
    rowClass: (i) => (i === 0 ? "binary" : undefined),
    footer: [["Total", 3]],
  });
  assert.equal(
    t,
    '<table><thead><tr><th>name</th><th style="text-align:right">n</th></tr></thead><tbody>' +
      '<tr class="binary"><td>&lt;a&gt;</td><td style="text-align:right">1</td></tr>' +
      '<tr><td>b&amp;c</td><td style="text-align:right">2</td></tr></tbody>' +
      '<tfoot><tr><th>Total</th><th style="text-align:right">3</th></tr></tfoot></table>',
  );
  assert.equal(escapeHtml(`'"`), "&#39;&quot;");
});

Deno.test("bundles: HTML and SVG with their text twins", () => {
  assert.deepEqual(htmlBundle("<b>x</b>", "x"), { "text/html": "<b>x</b>", "text/plain": "x" });
  assert.deepEqual(svgBundle("<svg/>", "p"), { "image/svg+xml": "<svg/>", "text/plain": "p" });
});
