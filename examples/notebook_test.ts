/**
 * The notebook checker of tools/notebooks.ts on hand-made notebooks (each rule must catch its fault), and the
 * committed notebooks as they are: executed, without errors, with their displays. Executing them through Jupyter is
 * the "notebooks" suite of tools/test.sh (`deno task notebooks`), not a Deno test: it needs the Jupyter venv.
 */
import assert from "node:assert/strict";
import {
  type Cell,
  checkNotebook,
  countDisplays,
  type Expectation,
  EXPECTED,
  forCommit,
  kernelCheckNotebook,
  kernelCheckProblems,
  type Notebook,
  notebookJson,
  type Output,
} from "../tools/notebooks.ts";

const notebook = (...cells: Cell[]): Notebook => ({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 });
const code = (outputs: Output[], executionCount: number | null = 1): Cell => ({
  cell_type: "code",
  source: "x",
  metadata: {},
  execution_count: executionCount,
  outputs,
});
const html = (content: string): Output => ({ output_type: "display_data", data: { "text/html": content } });
const stderr = (text: string): Output => ({ output_type: "stream", name: "stderr", text });
const TABLE: Expectation = { what: "a table", mime: "text/html", match: /<table>/ };

Deno.test("checkNotebook: a clean executed notebook with its display passes", () => {
  const nb = notebook({ cell_type: "markdown", source: "# t", metadata: {} }, code([html("<table></table>")]));
  assert.deepEqual(checkNotebook(nb, [TABLE]), { problems: [], pending: [] });
});

Deno.test("checkNotebook: a code cell that did not run fails, named by its number", () => {
  const nb = notebook(code([html("<table></table>")]), code([], null));
  assert.deepEqual(checkNotebook(nb, [TABLE]).problems, ["cell 2 did not run"]);
});

Deno.test("checkNotebook: an error output fails with its name and message", () => {
  const error: Output = { output_type: "error", ename: "RangeError", evalue: "units must be positive, got 0" };
  const { problems } = checkNotebook(notebook(code([html("<table></table>"), error])), [TABLE]);
  assert.deepEqual(problems, ["cell 1 raised RangeError: units must be positive, got 0"]);
});

Deno.test("checkNotebook: an error on stderr fails; the backend notice and other stderr do not", () => {
  const notice = "onebit: running on the WebAssembly kernels (kernels/wasm/onebit.wasm), 3-10x slower than native. " +
    'NativeLibraryError: not built. (backend: "wasm" chooses them without this note.)';
  const quiet = notebook(code([html("<table></table>"), stderr(notice), stderr("Warning: slow\n")]));
  assert.deepEqual(checkNotebook(quiet, [TABLE]).problems, []);
  const loud = notebook(code([html("<table></table>"), stderr("progress\nerror: Uncaught (in promise) boom\n")]));
  assert.deepEqual(checkNotebook(loud, [TABLE]).problems, [
    "cell 1 wrote an error on stderr: error: Uncaught (in promise) boom",
  ]);
});

Deno.test("checkNotebook: a missing display fails with what, how many and what was found", () => {
  const nb = notebook(code([html("<table></table>"), html("<p>no table</p>")]));
  const two: Expectation = { ...TABLE, min: 2 };
  assert.deepEqual(checkNotebook(nb, [two]).problems, [
    "expected a table: at least 2 text/html output(s) matching /<table>/, found 1",
  ]);
  const svg: Expectation = { what: "a picture", mime: "image/svg+xml" };
  assert.deepEqual(checkNotebook(nb, [svg]).problems, [
    "expected a picture: at least 1 image/svg+xml output(s), found 0",
  ]);
});

Deno.test("checkNotebook: a pending display is reported, fails under strict, and says when it is already met", () => {
  const svg: Expectation = { what: "curves", mime: "image/svg+xml", pending: "fit's curves" };
  const without = notebook(code([]));
  assert.deepEqual(checkNotebook(without, [svg]), {
    problems: [],
    pending: [{ what: "curves", note: "fit's curves", met: false }],
  });
  assert.equal(checkNotebook(without, [svg], { strict: true }).problems.length, 1);
  const withSvg = notebook(code([{ output_type: "execute_result", data: { "image/svg+xml": ["<svg>", "</svg>"] } }]));
  assert.deepEqual(checkNotebook(withSvg, [svg]).pending, [{ what: "curves", note: "fit's curves", met: true }]);
});

Deno.test("checkNotebook: a display failing its check is not counted, and the check's problems are named", () => {
  const picture = (svg: string): Output => ({ output_type: "display_data", data: { "image/svg+xml": svg } });
  const check = (svg: string) => (svg.includes("<rect") ? [] : ["no box"]);
  const boxes: Expectation = { what: "a graph", mime: "image/svg+xml", check };
  const nb = notebook(code([picture("<svg><rect/></svg>"), picture("<svg></svg>")]));
  assert.deepEqual(checkNotebook(nb, [boxes]).problems, []);
  assert.deepEqual(checkNotebook(nb, [{ ...boxes, min: 2 }]).problems, [
    "expected a graph: at least 2 image/svg+xml output(s), found 1 (no box)",
  ]);
});

Deno.test("checkNotebook: outputType counts only outputs of that type (a live display, not the cell's result)", () => {
  const svg: Expectation = { what: "live curves", mime: "image/svg+xml", outputType: "display_data" };
  const result = notebook(code([{ output_type: "execute_result", data: { "image/svg+xml": "<svg/>" } }]));
  assert.deepEqual(checkNotebook(result, [svg]).problems, [
    "expected live curves: at least 1 display_data image/svg+xml output(s), found 0",
  ]);
  const live = notebook(code([{ output_type: "display_data", data: { "image/svg+xml": "<svg/>" } }]));
  assert.deepEqual(checkNotebook(live, [svg]).problems, []);
});

Deno.test("countDisplays: counts outputs of the MIME type whose content (joined lines) matches", () => {
  const nb = notebook(
    code([html("<table>a</table>"), { output_type: "execute_result", data: { "text/html": ["<tab", "le>b"] } }]),
    code([{ output_type: "stream", name: "stdout", text: "<table>" }, html("<p>")]),
  );
  assert.equal(countDisplays(nb, TABLE), 2);
  assert.equal(countDisplays(nb, { what: "any html", mime: "text/html" }), 3);
  assert.equal(countDisplays(nb, { what: "b", mime: "text/html", match: /<table>b/ }), 1);
});

Deno.test("forCommit drops only the per-cell execution timestamps; notebookJson is nbformat's layout", () => {
  const cell: Cell = {
    ...code([]),
    metadata: { execution: { "iopub.status.busy": "2026-12-06T09:31:45Z" }, tags: ["x"] },
  };
  const committed = forCommit(notebook(cell));
  assert.deepEqual(committed.cells[0].metadata, { tags: ["x"] });
  assert.deepEqual(cell.metadata.tags, ["x"]);
  assert.ok("execution" in cell.metadata, "the executed notebook itself is left alone");
  assert.equal(
    notebookJson(notebook()),
    '{\n "cells": [],\n "metadata": {},\n "nbformat": 4,\n "nbformat_minor": 5\n}\n',
  );
});

Deno.test("forCommit takes the checkout's path out of outputs (text and every MIME type), nothing else", () => {
  const lib = "/home/me/onebit/zig-out/lib/libonebit.so";
  const nb = notebook(code([
    { output_type: "stream", name: "stdout", text: [`loaded ${lib}\n`, "done\n"] },
    { output_type: "display_data", data: { "text/html": `<small>(${lib})</small>`, "text/plain": lib } },
  ]));
  assert.deepEqual(forCommit(nb, "/home/me/onebit/").cells[0].outputs, [
    { output_type: "stream", name: "stdout", text: ["loaded zig-out/lib/libonebit.so\n", "done\n"] },
    {
      output_type: "display_data",
      data: { "text/html": "<small>(zig-out/lib/libonebit.so)</small>", "text/plain": "zig-out/lib/libonebit.so" },
    },
  ]);
  assert.equal(forCommit(nb, "/elsewhere/").cells[0].outputs![1].data!["text/plain"], lib);
});

Deno.test("kernel check: every cell prints its line and shows its table, every other one after an await", () => {
  const nb = kernelCheckNotebook(4);
  assert.equal(nb.cells.length, 4);
  assert.deepEqual(nb.cells.map((c) => String(c.source).includes("await")), [false, true, false, true]);
  assert.match(String(nb.cells[3].source), /console\.log\("line 3"\);\nDeno\.jupyter\.html`<table>3<\/table>`;$/);
});

Deno.test("kernel check: a cell that lost its line, its table or both is named", () => {
  const delivered = (i: number): Output[] => [
    { output_type: "stream", name: "stdout", text: [`line ${i}\n`] },
    { output_type: "execute_result", data: { "text/html": `<table>${i}</table>`, "text/plain": "" } },
  ];
  const nb = kernelCheckNotebook(4);
  nb.cells.forEach((c, i) => (c.outputs = delivered(i)));
  assert.deepEqual(kernelCheckProblems(nb), []);
  nb.cells[1].outputs = delivered(1).slice(0, 1);
  nb.cells[2].outputs = delivered(2).slice(1);
  nb.cells[3].outputs = delivered(2);
  assert.deepEqual(kernelCheckProblems(nb), [
    "cell 2 lost its table",
    "cell 3 lost its line",
    "cell 4 lost its line and table",
  ]);
});

const examples = new URL("./", import.meta.url);

Deno.test("every notebook in examples/ has its expected displays in tools/notebooks.ts, and each of those exists", () => {
  const files = [...Deno.readDirSync(examples)].map((e) => e.name).filter((n) => n.endsWith(".ipynb")).sort();
  assert.deepEqual(files, Object.keys(EXPECTED).sort());
});

for (const name of Object.keys(EXPECTED)) {
  Deno.test(`examples/${name} is committed executed: every cell ran, no error, its displays present`, async () => {
    const nb: Notebook = JSON.parse(await Deno.readTextFile(new URL(name, examples)));
    assert.equal((nb.metadata.kernelspec as { name: string }).name, "deno");
    assert.deepEqual(checkNotebook(nb, EXPECTED[name], { strict: true }).problems, []);
    assert.ok(nb.cells.every((c) => !("execution" in c.metadata)), "written by `deno task notebooks --write`");
    const checkout = new URL("../", import.meta.url).pathname;
    assert.ok(!JSON.stringify(nb).includes(checkout), `no output names this checkout (${checkout})`);
  });
}
