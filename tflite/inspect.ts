/**
 * `deno task inspect model.tflite [--json] [--svg graph.svg]`: prints {@link summarize}'s account of a `.tflite`
 * file (every op with its tensors and options, enum options by name, tensor memory, how much of the model runs
 * binary) and, with `--svg`, writes the graph picture (viz/graph.ts: ops as boxes coloured binary or float,
 * edges labelled with shapes, bitpacked tensors dashed).
 * @module
 */
import { writeFileAtomic } from "../_fs.ts";
import { parseCli, runCli, UsageError } from "../_cli.ts";
import { formatSummary, summarize } from "./summary.ts";
import { modelSvg } from "./model_svg.ts";

export { formatSummary, modelGraph, type ModelSummary, type OpSummary, summarize } from "./summary.ts";
export { modelSvg } from "./model_svg.ts";

const USAGE = "usage: deno task inspect MODEL.tflite [--json] [--svg GRAPH.svg]";

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, {
    json: { type: "boolean" },
    svg: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return console.log(USAGE);
  if (positionals.length !== 1) throw new UsageError(`expected one MODEL.tflite, got ${positionals.length}`);
  if (values.svg === "") throw new UsageError("--svg needs a file name (--svg graph.svg)");
  const path = positionals[0];
  const bytes = await Deno.readFile(path);
  let svg: string | undefined;
  try {
    const s = summarize(bytes);
    console.log(values.json ? JSON.stringify(s, null, 2) : formatSummary(s));
    if (values.svg !== undefined) svg = await modelSvg(bytes);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  if (svg !== undefined && values.svg !== undefined) {
    await writeFileAtomic(values.svg, new TextEncoder().encode(svg));
    if (!values.json) console.log(`Graph picture: ${values.svg}`);
  }
}

if (import.meta.main) await runCli("inspect", USAGE, () => main(Deno.args));
