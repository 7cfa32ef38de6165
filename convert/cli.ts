/**
 * `deno task convert MODEL -o OUT.tflite [--report] [--measure] [--batch N] [--input-shape H,W,C]`
 *
 * `--measure` also times every layer with the runtime on this machine, binary as converted and as a float layer
 * (convert/measure.ts), and prints the report with those columns.
 *
 * MODEL is a zoo name (quicknet, quicknet_small, quicknet_large,
 * birealnet; random weights, seed 0), a Keras model file (`.keras` or
 * `.h5`, as larq/tf-keras or Keras 3 save it), a checkpoint
 * (`.safetensors`, from saveCheckpoint), or the path of a module whose
 * default export (or `model` export) is a onebit Model or Sequential, or a
 * function (possibly async) returning one. The file is written atomically:
 * nothing is left behind when conversion fails.
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Model } from "../models/model.ts";
import type { Sequential } from "../models/sequential.ts";
import { loadCheckpoint } from "../models/load.ts";
import { loadKerasModel } from "../keras/load.ts";
import { biRealNet } from "../zoo/birealnet.ts";
import { quickNet } from "../zoo/quicknet.ts";
import { intOption, parseCli, runCli, UsageError } from "../_cli.ts";
import { writeFileAtomic } from "../_fs.ts";
import { convert, formatReport } from "./convert.ts";
import { measureLayers } from "./measure.ts";
import { ConversionError } from "./errors.ts";

const ZOO: Record<string, (inputShape?: number[]) => Model> = {
  quicknet: (s) => quickNet("quicknet", { inputShape: s }),
  quicknet_small: (s) => quickNet("quicknet_small", { inputShape: s }),
  quicknet_large: (s) => quickNet("quicknet_large", { inputShape: s }),
  birealnet: (s) => biRealNet({ inputShape: s }),
};

const USAGE = `usage: deno task convert MODEL [-o OUT.tflite] [--report] [--measure] [--batch N] [--input-shape H,W,C]
  MODEL: ${Object.keys(ZOO).join(" | ")} | model.keras | model.h5 | checkpoint.safetensors |
         path/to/module.ts (default export: a Model, a Sequential, or a function returning one)`;

async function loadModel(spec: string, inputShape?: number[]): Promise<Model | Sequential> {
  const zoo = ZOO[spec.replace(/^zoo:/, "")];
  if (zoo) return zoo(inputShape);
  if (/\.(keras|h5|safetensors|ts|js|mjs|tsx)$/.test(spec) && !(await exists(spec))) {
    throw new UsageError(`${spec} not found: give an existing model file, checkpoint or module, or a zoo name`);
  }
  if (/\.(keras|h5)$/.test(spec)) return await loadKerasModel(spec);
  if (spec.endsWith(".safetensors")) return (await loadCheckpoint(spec)).model;
  if (!/\.(ts|js|mjs|tsx)$/.test(spec)) {
    throw new ConversionError(
      "",
      `unknown model "${spec}": give a zoo name (${
        Object.keys(ZOO).join(", ")
      }), a .keras or .h5 model, a .safetensors checkpoint or a .ts/.js module`,
    );
  }
  const mod = await import(pathToFileURL(resolve(spec)).href);
  let m = mod.default ?? mod.model;
  if (typeof m === "function" && !("layers" in m)) m = await m();
  if (!m || typeof m !== "object" || !("layers" in m) || !("apply" in m)) {
    throw new ConversionError(
      "",
      `${spec} must export (default or "model") a Model, a Sequential, or a function returning one`,
    );
  }
  return m;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, {
    output: { type: "string", short: "o" },
    report: { type: "boolean" },
    measure: { type: "boolean" },
    batch: { type: "string" },
    "input-shape": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return console.log(USAGE);
  if (positionals.length !== 1) throw new UsageError(`expected one MODEL, got ${positionals.length}`);
  const spec = positionals[0];
  const inputShape = values["input-shape"]?.split(",").map(Number);
  if (inputShape && inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UsageError(`--input-shape must be positive integers like 224,224,3, got ${values["input-shape"]}`);
  }
  const batch = intOption("batch", values.batch, 1);
  const model = await loadModel(spec, inputShape);
  const out = values.output ??
    `${spec.replace(/^zoo:/, "").replace(/\.(keras|h5|safetensors|ts|js|mjs|tsx)$/, "").split("/").pop()}.tflite`;
  const t0 = performance.now();
  const { bytes, report } = convert(model, { batch, inputShape, description: `onebit: ${spec}`, compareFloat: true });
  await writeFileAtomic(out, bytes);
  const total = report.binaryMacs + report.floatMacs;
  console.log(
    `wrote ${out}: ${bytes.length} bytes in ${(performance.now() - t0).toFixed(0)} ms; ` +
      `${report.layers.filter((l) => l.binary).length} of ${report.layers.length} layers binary, ` +
      `${(100 * report.binaryMacs / Math.max(total, 1)).toFixed(1)}% of MACs`,
  );
  if (values.measure) {
    console.log("\n" + formatReport(measureLayers(model, { batch, inputShape, description: `onebit: ${spec}` })));
  } else if (values.report) console.log("\n" + formatReport(report));
}

if (import.meta.main) await runCli("convert", USAGE, () => main(Deno.args));
