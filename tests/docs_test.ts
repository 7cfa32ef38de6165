/**
 * The docs stay true: the API documentation has no holes (`deno doc --lint
 * mod.ts` reports nothing), the Markdown files' relative links and anchors
 * lead somewhere, every `deno task` they show exists, and the benchmark
 * numbers README.md quotes are the ones BENCHMARKS.md leads with.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, root));

/** The Markdown files a reader lands on: README.md, BENCHMARKS.md and docs/*.md. */
function markdownFiles(): string[] {
  const docs = [...Deno.readDirSync(new URL("docs/", root))]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`);
  return ["README.md", "BENCHMARKS.md", ...docs.sort()];
}

/** Markdown without fenced code blocks and inline code spans (links inside them are not links). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of markdown.replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = heading.toLowerCase().replace(/[`*_]/g, "").replace(/[^\p{L}\p{N} -]/gu, "").replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

Deno.test("docs: anchorsOf numbers repeated headings and drops punctuation as GitHub does", () => {
  const md = "# A b\n## Why? (short)\n```sh\n# not a heading\n```\n## A b\n### `x.ts`: y\n";
  assert.deepEqual([...anchorsOf(md)], ["a-b", "why-short", "a-b-1", "xts-y"]);
});

Deno.test("docs: deno doc --lint mod.ts reports no problem", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", "mod.ts"],
    cwd: root,
    env: { NO_COLOR: "1" },
  }).output();
  const out = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  const problems = out.split("\n").filter((l) => /^error\[/.test(l));
  assert.equal(code, 0, `deno doc --lint mod.ts: ${problems.length} problems\n${out.slice(0, 4000)}`);
  assert.deepEqual(problems, []);
});

Deno.test("docs: relative links in README.md, BENCHMARKS.md and docs/ lead to existing files and headings", () => {
  const broken: string[] = [];
  for (const file of markdownFiles()) {
    const text = read(file);
    for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split("#");
      const url = new URL(path === "" ? file : path, new URL(file, root));
      let linked: string | null = null;
      try {
        linked = Deno.statSync(url).isFile ? Deno.readTextFileSync(url) : "";
      } catch {
        broken.push(`${file}: ${target} (no such file)`);
        continue;
      }
      if (anchor !== undefined && url.pathname.endsWith(".md") && !anchorsOf(linked).has(anchor)) {
        broken.push(`${file}: ${target} (no heading with that anchor)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("docs: every `deno task` the docs show is a task of deno.json", () => {
  const tasks = new Set(Object.keys(JSON.parse(read("deno.json")).tasks));
  const missing: string[] = [];
  for (const file of markdownFiles()) {
    for (const [, name] of read(file).matchAll(/deno(?:@[\d.]+)? task ([a-z][a-z0-9:-]*)/g)) {
      if (!tasks.has(name)) missing.push(`${file}: deno task ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

/** The numbers README.md quotes between its `<!-- numbers from BENCHMARKS.md` markers: numeric table cells and "N ms". */
export function quotedNumbers(markdown: string): string[] {
  const regions = [
    ...markdown.matchAll(/<!-- numbers from BENCHMARKS\.md[\s\S]*?<!-- end of numbers from BENCHMARKS\.md -->/g),
  ];
  const numbers: string[] = [];
  for (const [region] of regions) {
    for (const line of region.split("\n").filter((l) => l.startsWith("|"))) {
      for (const cell of line.split("|").slice(2, -1).map((c) => c.trim())) {
        if (/^\d+(\.\d+)?×?$/.test(cell)) numbers.push(cell);
        for (const [, ms] of cell.matchAll(/(\d+(?:\.\d+)?) ms\b/g)) numbers.push(ms);
      }
    }
  }
  return numbers;
}

Deno.test("docs: quotedNumbers reads numeric cells and 'N ms', not model names or versions", () => {
  const md = "| a | b |\n| QuickNet 18 | 2.3 |\n<!-- numbers from BENCHMARKS.md -->\n| m | x | y |\n| - | - | - |\n" +
    "| Net 18 | 3.30 | 39.2× |\n| v 2.3 | 5 ms, 1.5 ms x | |\n<!-- end of numbers from BENCHMARKS.md -->\n| c | 7.7 |\n";
  assert.deepEqual(quotedNumbers(md), ["3.30", "39.2×", "5", "1.5"]);
});

Deno.test("docs: the benchmark numbers README.md quotes are in BENCHMARKS.md's current numbers", () => {
  const bench = read("BENCHMARKS.md");
  const start = bench.indexOf("\n## Current numbers");
  assert.ok(start >= 0, "BENCHMARKS.md has no '## Current numbers' section");
  const end = bench.indexOf("\n## ", start + 1);
  const current = bench.slice(start, end < 0 ? undefined : end);
  const quoted = quotedNumbers(read("README.md"));
  assert.ok(quoted.length >= 20, `README.md quotes ${quoted.length} benchmark numbers between its markers`);
  const escape = (s: string) => s.replace(/[.]/g, "\\.");
  const missing = quoted.filter((n) => !new RegExp(`(?<![\\d.])${escape(n)}(?![\\d])`).test(current));
  assert.deepEqual(missing, [], "numbers in README.md that BENCHMARKS.md's current numbers do not have");
});

Deno.test({
  name: "docs: the TypeScript blocks of README.md and docs/ run (deno test --doc), leaving no file behind",
  sanitizeResources: false,
  async fn() {
    // A scratch working directory, so that files the examples write land there; `tests/` for the fixtures they read.
    const cwd = await Deno.makeTempDir({ prefix: "onebit_docs_" });
    try {
      await Deno.symlink(new URL("tests", root).pathname, `${cwd}/tests`);
      const files = markdownFiles().filter((f) => /^```ts\s*$/m.test(read(f))).map((f) => new URL(f, root).pathname);
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["test", "-A", "--doc", ...files],
        cwd,
        env: { NO_COLOR: "1" },
      }).output();
      const out = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
      assert.equal(code, 0, out.slice(-6000));
      assert.match(out, /ok \| [1-9]\d* passed \| 0 failed/);
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
