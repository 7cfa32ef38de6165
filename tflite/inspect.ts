/**
 * `deno task inspect model.tflite [--json]`: prints {@link summarize}'s account of a `.tflite` file (every op with
 * its tensors and options, tensor memory, how much of the model runs binary).
 * @module
 */
import { parseCli, runCli, UsageError } from "../_cli.ts";
import { formatSummary, summarize } from "./summary.ts";

export { formatSummary, type ModelSummary, type OpSummary, summarize } from "./summary.ts";

const USAGE = "usage: deno task inspect MODEL.tflite [--json]";

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) return console.log(USAGE);
  if (positionals.length !== 1) throw new UsageError(`expected one MODEL.tflite, got ${positionals.length}`);
  const path = positionals[0];
  const bytes = await Deno.readFile(path);
  try {
    const s = summarize(bytes);
    console.log(values.json ? JSON.stringify(s, null, 2) : formatSummary(s));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

if (import.meta.main) await runCli("inspect", USAGE, () => main(Deno.args));
