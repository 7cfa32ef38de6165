/**
 * The quickstart notebook's code cells, run in order as one module (what the
 * Deno Jupyter kernel does cell by cell), so the notebook cannot rot.
 */
import assert from "node:assert/strict";

Deno.test("examples/quickstart.ipynb runs top to bottom", async () => {
  const nb = JSON.parse(await Deno.readTextFile(new URL("./quickstart.ipynb", import.meta.url)));
  const cells: string[] = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code").map((
    c: { source: string[] },
  ) => c.source.join(""));
  assert.ok(cells.length >= 6);
  // Each cell's last expression is its displayed value; print it so the run shows what a notebook would.
  const program = cells.map((c, i) => `// cell ${i + 1}\n${c}`).join("\n;\n") +
    "\nif (same < 95) throw new Error(`converted model agreed on ${same} of 100`);\nawait Deno.remove(path);\n";
  const file = new URL("./.quickstart_test.ts", import.meta.url);
  await Deno.writeTextFile(file, program);
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", file.pathname],
      cwd: new URL("..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text.slice(-2000));
    assert.match(text, /Binary MACs/);
  } finally {
    await Deno.remove(file);
  }
});
