/**
 * The interpreter's Jupyter display: inputs and outputs, backend and
 * threads, the ops as they run (fusions included, binary ones marked) and
 * the graph picture, on a QuickNet block written by LCE's converter.
 */
import assert from "node:assert/strict";
import { classOf, elements, groups, parseSvg } from "../viz/_test_svg.ts";
import { JUPYTER_DISPLAY } from "../viz/html.ts";
import { graphSvg } from "../viz/graph.ts";
import { graphRenderer, setGraphRenderer } from "../viz/graph_description.ts";
import { readModel } from "../tflite/reader.ts";
import { Interpreter } from "./interpreter.ts";

const bytes = Deno.readFileSync(new URL("../tests/fixtures/lce/quicknet_block.tflite", import.meta.url));

/** The rows of the HTML table with a caption starting with `caption`, as cell texts (tags stripped). */
function tableRows(html: string, caption: string): string[][] {
  const table = html.split("<table>").find((t) => t.startsWith(`<caption>${caption}`));
  assert.ok(table, `a table "${caption}"`);
  const body = table.slice(table.indexOf("<tbody>"), table.indexOf("</tbody>"));
  return [...body.matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map((r) =>
    [...r[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1].replace(/<[^>]+>/g, ""))
  );
}

Deno.test("Interpreter display: inputs/outputs, backend and threads, op table, graph picture", async () => {
  for (const fuse of [true, false]) {
    const it = Interpreter.fromBytes(bytes, { backend: "reference", numThreads: 2, fuse });
    const bundle = await it[JUPYTER_DISPLAY]();
    const html = String(bundle["text/html"]), text = String(bundle["text/plain"]);
    assert.deepEqual(tableRows(html, "Inputs and outputs"), [
      ["input", it.inputs[0].name, "[1,16,16,3]", "FLOAT32"],
      ["output", it.outputs[0].name, "[1,10]", "FLOAT32"],
    ]);
    const ops = tableRows(html, "Ops as they run");
    // Unfused: the file's 12 ops; fused, each LceBconv2d takes its ADD, and the first also the next LceQuantize.
    const expected = fuse
      ? [
        ["CONV_2D", "2", "no"],
        ["LceQuantize", "1", "yes"],
        ["LceBconv2d+ADD+LceQuantize", "1", "yes"],
        ["LceBconv2d+ADD", "1", "yes"],
      ]
      : [["CONV_2D", "2", "no"], ["LceQuantize", "2", "yes"], ["LceBconv2d", "2", "yes"], ["ADD", "2", "no"]];
    for (const row of expected) assert.deepEqual(ops.find((r) => r[0] === row[0]), row, row[0]);
    const total = ops.reduce((s, r) => s + Number(r[1]), 0);
    assert.equal(total, fuse ? 9 : 12);
    const binary = ops.filter((r) => r[2] === "yes").reduce((s, r) => s + Number(r[1]), 0);
    assert.equal(text.split("\n")[0], `Interpreter: reference backend, 2 threads, ${total} ops (${binary} binary)`);
    assert.match(html, new RegExp(`<b>Interpreter: reference backend, 2 threads, ${total} ops`));
    // The picture: the file's graph, one box per operator, binary ones coloured.
    const svg = html.slice(html.indexOf("<svg"), html.indexOf("</svg>") + 6);
    const doc = parseSvg(svg);
    const opBoxes = groups(doc, "node ").filter((b) => /binary|float/.test(classOf(b)));
    assert.equal(opBoxes.length, readModel(bytes).subgraphs[0].operators.length);
    assert.deepEqual(
      opBoxes.filter((b) => classOf(b) === "node binary").map((b) => elements(b, "text")[0].textContent),
      ["LceQuantize", "LceBconv2d", "LceQuantize", "LceBconv2d"],
    );
  }
});

Deno.test("Interpreter display without viz/graph.ts (the lean entry): the tables, and a note instead of the picture", async () => {
  assert.equal(graphRenderer(), graphSvg, "importing viz/graph.ts registered its renderer");
  setGraphRenderer(null);
  try {
    const it = Interpreter.fromBytes(bytes, { backend: "reference" });
    const html = String((await it[JUPYTER_DISPLAY]())["text/html"]);
    assert.ok(!html.includes("<svg"), "no picture");
    assert.match(html, /No graph picture: it is drawn once viz\/graph.ts is imported/);
    assert.equal(tableRows(html, "Inputs and outputs").length, 2);
  } finally {
    setGraphRenderer(graphSvg);
  }
  assert.throws(() => setGraphRenderer("svg" as never), /setGraphRenderer: got string; a function or null/);
});
