/**
 * A folder is one floor: library code imports only folders below its own.
 * The autograd core (graph/) knows nothing of layers; layers know nothing
 * of training or models; training runs on the `Network` interface, so the
 * model containers (models/) sit above it, and Keras file I/O (keras/)
 * above them. Tests may reach up (they check
 * how floors work together), except graph/'s, which stay on their floor.
 */
import assert from "node:assert/strict";

/** Floors from the bottom; a folder may import folders of a lower rank. */
const RANK: Record<string, number> = {
  kernels: 0,
  tflite: 0,
  // Pictures are the bottom floor: the .tflite reader draws its graph (inspect --svg).
  viz: -1,
  runtime: 1,
  graph: 1,
  quantizers: 2,
  layers: 3,
  train: 4,
  models: 5,
  keras: 6,
  zoo: 7,
  convert: 8,
};

const root = new URL("../", import.meta.url);

function importsOf(folder: string, file: string): string[] {
  const text = Deno.readTextFileSync(new URL(`${folder}/${file}`, root));
  // Code only: doc comments show imports in their examples.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...code.matchAll(/(?:from |import\()"\.\.\/([a-z_]+)\//g)].map((m) => m[1]);
}

Deno.test("floors: library code imports only folders below its own", () => {
  const violations: string[] = [];
  for (const folder of Object.keys(RANK)) {
    for (const entry of Deno.readDirSync(new URL(folder, root))) {
      if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts") || entry.name.startsWith("_test")) continue;
      for (const target of importsOf(folder, entry.name)) {
        if (target in RANK && target !== folder && RANK[target] >= RANK[folder]) {
          violations.push(`${folder}/${entry.name} imports ${target}/`);
        }
      }
    }
  }
  assert.deepEqual(violations, []);
});

Deno.test("floors: graph/ (autograd), its tests included, imports nothing from layers/ or above", () => {
  for (const entry of Deno.readDirSync(new URL("graph", root))) {
    if (!entry.name.endsWith(".ts")) continue;
    const above = importsOf("graph", entry.name).filter((t) => (RANK[t] ?? 0) > RANK.graph);
    assert.deepEqual(above, [], `graph/${entry.name}`);
  }
});

Deno.test("mod.ts runs in a browser: its module graph imports no node: built-in (CLIs, which do, are separate entries)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("mod.ts", root).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; dependencies?: { specifier: string }[] }[];
  };
  const nodeImports = graph.modules.flatMap((m) =>
    (m.dependencies ?? []).filter((d) => d.specifier.startsWith("node:")).map((d) =>
      `${m.specifier.replace(root.href, "")} imports ${d.specifier}`
    )
  );
  assert.deepEqual(nodeImports, []);
});
