/**
 * The lean entry (`runtime.ts`, `@onebit/onebit/runtime`): what a program
 * that only runs models imports. Its module graph holds no `npm:` package
 * and no `node:` built-in (Deno would set up its npm resolution and Node
 * compatibility for them: megabytes of resident memory, see bench:memory)
 * and nothing of training, conversion or pictures; every symbol it exports
 * is the very one mod.ts exports.
 */
import assert from "node:assert/strict";
import * as lean from "../runtime.ts";
import * as full from "../mod.ts";

const root = new URL("../", import.meta.url);

/** The specifiers of `entry`'s module graph (static and dynamic imports), as `deno info --json` lists them. */
async function moduleGraph(entry: string): Promise<{ modules: string[]; imports: string[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, root).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; dependencies?: { specifier: string }[] }[];
  };
  return {
    modules: graph.modules.map((m) => m.specifier.replace(root.href, "")),
    imports: graph.modules.flatMap((m) => (m.dependencies ?? []).map((d) => d.specifier)),
  };
}

Deno.test("runtime.ts: its module graph has no npm: or node: specifier, and nothing above the runtime", async () => {
  const { modules, imports } = await moduleGraph("runtime.ts");
  assert.deepEqual(imports.filter((s) => /^(npm|node|jsr|https?):/.test(s)), []);
  assert.deepEqual(modules.filter((m) => !/^(kernels|runtime|tflite|viz)\/|^runtime\.ts$|^_fs\.ts$/.test(m)), []);
  // Pictures only as descriptions and HTML: the drawing (dagre) is viz/graph.ts, which mod.ts imports.
  assert.deepEqual(modules.filter((m) => m.startsWith("viz/")).sort(), ["viz/graph_description.ts", "viz/html.ts"]);
});

Deno.test("runtime.ts: the check above fails on mod.ts (it does see npm: packages)", async () => {
  const { imports } = await moduleGraph("mod.ts");
  assert.ok(imports.some((s) => s.startsWith("npm:")), "mod.ts's graph lists its npm: packages");
});

Deno.test("runtime.ts exports the Interpreter and its backends, each the same object mod.ts exports", () => {
  for (const name of ["Interpreter", "BinaryKernels", "FloatKernels", "loadNative", "defaultWasm", "OpRegistry"]) {
    assert.ok(name in lean, `runtime.ts exports ${name}`);
  }
  for (const [name, value] of Object.entries(lean)) {
    assert.equal((full as Record<string, unknown>)[name], value, `mod.ts exports the same ${name}`);
  }
});
