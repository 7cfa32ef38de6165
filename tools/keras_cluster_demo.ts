/**
 * The road to a cluster, onebit's two ends (tools/py/cluster_roundtrip.py is
 * the middle, on TensorFlow; `deno task test:interop` runs all three):
 *
 *     deno run -A tools/keras_cluster_demo.ts export DIR [NAME...]  # onebit → DIR/NAME.keras
 *     .tools/venv/bin/python tools/py/cluster_roundtrip.py DIR   # larq, MirroredStrategy → NAME.trained.keras
 *     deno run -A tools/keras_cluster_demo.ts check DIR    # onebit imports, converts, runs
 *
 * The models: larq's MNIST BNN (`larqMnistCnn`, a Sequential) and
 * QuickNetSmall for 32×32×3 inputs and 10 classes (functional: x + y,
 * same-one padding, a fixed non-trainable blur pool), with seeded weights
 * and BatchNormalization statistics of both signs. `check` loads each
 * trained file, checks training changed it (and nothing a layer marked not
 * trainable), that onebit's model gives tf-keras's outputs (rtol 1e-4),
 * converts it and runs the .tflite in the interpreter with the same
 * outputs, and that the conversion has the same ops, binary where they
 * were before training. tests/keras_cluster_test.ts runs the same check on
 * the committed result of one such run (tests/fixtures/cluster/).
 */
import { runCli, UsageError } from "../_cli.ts";
import { convert } from "../convert/convert.ts";
import { assertClose, fixtureTensor } from "../graph/_test_util.ts";
import { seededRandom } from "../graph/random.ts";
import { loadKerasModel } from "../keras/load.ts";
import { saveKerasModel } from "../keras/save.ts";
import { builtLayers } from "../keras/weights.ts";
import { BatchNormalization } from "../layers/batch_norm.ts";
import type { Model } from "../models/model.ts";
import { Interpreter } from "../runtime/interpreter.ts";
import { larqMnistCnn } from "../zoo/larq_mnist.ts";
import { quickNet } from "../zoo/quicknet.ts";

const USAGE = "usage: deno run -A tools/keras_cluster_demo.ts export DIR [NAME...] | check DIR";

/** BatchNormalization statistics of both signs (seeded), so the converter's folding sees negative scales. */
function randomizeBatchNorms(model: Model, seed: number): Model {
  const r = seededRandom(seed);
  for (const layer of builtLayers(model).filter((l) => l instanceof BatchNormalization)) {
    for (const { variable } of layer.weights) {
      const kind = variable.name.split("/").at(-1)!;
      variable.assign(Float32Array.from(variable.data, () => {
        if (kind === "gamma") return (0.5 + r()) * (r() < 0.3 ? -1 : 1);
        if (kind === "moving_variance") return 0.5 + 1.5 * r();
        return r() - 0.5; // beta, moving_mean
      }));
    }
  }
  return model;
}

/** The models onebit sends to the cluster, by name: the same weights on every call. */
export const CLUSTER_MODELS: Record<string, () => Model> = {
  larq_mnist: () => randomizeBatchNorms(larqMnistCnn({ seed: 3 }), 3),
  quicknet_small: () =>
    randomizeBatchNorms(quickNet("quicknet_small", { inputShape: [32, 32, 3], numClasses: 10, seed: 5 }), 5),
};

/** One model of cluster.json (tools/py/cluster_roundtrip.py): the trained file and tf-keras's outputs on it. */
export interface ClusterRecord {
  trained: string;
  steps: number;
  weights_changed: number;
  mirrored_equal: number;
  sync_on_read_averaged: number;
  sync_on_read_differing: number;
  inputs: { shape: number[]; data: string }[];
  outputs: { shape: number[]; data: string }[];
}

/** Which weights differ between two models of one architecture; throws if a non-trainable layer's did. */
function changedWeights(name: string, before: Model, after: Model): number {
  let changed = 0;
  const afterLayers = builtLayers(after);
  builtLayers(before).forEach((layer, i) => {
    layer.weights.forEach((w, k) => {
      const a = w.variable.data, b = afterLayers[i].weights[k].variable.data;
      const differs = a.some((v, j) => v !== b[j]);
      if (differs && !layer.trainable) {
        throw new Error(`${name}: ${w.variable.name} changed, but its layer is not trainable`);
      }
      if (differs) changed++;
    });
  });
  return changed;
}

/** The conversion's op counts and the layers that run binary. */
function binaryOps(model: Model, batch: number) {
  const { bytes, report } = convert(model, { batch });
  return { bytes, ops: report.opCounts, binary: report.layers.filter((l) => l.binary).map((l) => l.layer) };
}

/**
 * Checks a model trained on the cluster against the one onebit sent: the
 * weights changed (none of a non-trainable layer), onebit's model and the
 * interpreter on its conversion give tf-keras's outputs (rtol 1e-4), and
 * the conversion has the original's ops, binary where they were. Returns a
 * one-line summary; throws naming what differs.
 */
export function checkTrained(name: string, sent: Model, trained: Model, record: ClusterRecord): string {
  const changed = changedWeights(name, sent, trained);
  if (changed === 0) throw new Error(`${name}: ${record.trained} has the weights onebit sent; it was not trained`);
  const xs = record.inputs.map(fixtureTensor), want = fixtureTensor(record.outputs[0]);
  assertClose(`${name}: onebit's model vs tf-keras`, trained.applyAll(xs)[0].data, want.data, 1e-4);
  const batch = xs[0].shape[0];
  const before = binaryOps(sent, batch), after = binaryOps(trained, batch);
  if (JSON.stringify(after.ops) !== JSON.stringify(before.ops) || after.binary.join() !== before.binary.join()) {
    throw new Error(
      `${name}: converted after training ${JSON.stringify(after.ops)}, before ${JSON.stringify(before.ops)}`,
    );
  }
  if (!(after.ops.LceBconv2d > 0)) throw new Error(`${name}: no binary convolution in ${JSON.stringify(after.ops)}`);
  const interpreter = Interpreter.fromBytes(after.bytes);
  const [y] = interpreter.invoke(xs.map((x) => x.data as Float32Array));
  assertClose(`${name}: the interpreter (${interpreter.backend}) vs tf-keras`, y as Float32Array, want.data, 1e-4);
  return `${name}: trained ${record.steps} steps (${changed} weights changed, ${record.mirrored_equal} mirrored ` +
    `variables equal on every replica); onebit and the interpreter (${interpreter.backend}) give tf-keras's outputs ` +
    `(rtol 1e-4); converted: ${after.ops.LceBconv2d} LceBconv2d, ${after.binary.length} layers binary, as before training`;
}

/** Writes DIR/NAME.keras for each model named (default: all) and DIR/manifest.json listing them. */
async function exportModels(dir: string, names: string[]): Promise<void> {
  const unknown = names.filter((n) => !CLUSTER_MODELS[n]);
  if (unknown.length > 0) {
    throw new UsageError(`unknown model ${unknown}; the models are ${Object.keys(CLUSTER_MODELS)}`);
  }
  await Deno.mkdir(dir, { recursive: true });
  const models: Record<string, { file: string }> = {};
  for (const name of names.length > 0 ? names : Object.keys(CLUSTER_MODELS)) {
    await saveKerasModel(CLUSTER_MODELS[name](), `${dir}/${name}.keras`);
    models[name] = { file: `${name}.keras` };
    console.log(`${name}: wrote ${dir}/${name}.keras`);
  }
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify({ models }, null, 1) + "\n");
}

/**
 * Checks every model of DIR/cluster.json ({@link checkTrained}; and, when
 * DIR/NAME.keras is there, that it is the model {@link CLUSTER_MODELS}
 * builds). Returns a line on the cluster, then one for each model.
 */
export async function checkModels(dir: string): Promise<string[]> {
  const cluster = JSON.parse(await Deno.readTextFile(`${dir}/cluster.json`));
  const lines = [
    `${cluster.strategy} over ${cluster.devices.join(", ")} (TensorFlow ${cluster.tensorflow}, larq ${cluster.larq})`,
  ];
  for (const [name, record] of Object.entries(cluster.models as Record<string, ClusterRecord>)) {
    const make = CLUSTER_MODELS[name];
    if (!make) {
      throw new RangeError(`${dir}/cluster.json: unknown model ${name}; expected ${Object.keys(CLUSTER_MODELS)}`);
    }
    const sent = make();
    // The file onebit wrote is the model rebuilt here (the committed fixture keeps only the trained file).
    const exported = await Deno.stat(`${dir}/${name}.keras`).then(() => true, () => false);
    if (exported && changedWeights(name, sent, await loadKerasModel(`${dir}/${name}.keras`)) !== 0) {
      throw new Error(`${name}: ${dir}/${name}.keras is not the model CLUSTER_MODELS builds`);
    }
    lines.push(checkTrained(name, sent, await loadKerasModel(`${dir}/${record.trained}`), record));
  }
  return lines;
}

if (import.meta.main) {
  await runCli("keras_cluster_demo", USAGE, async () => {
    const [command, dir, ...names] = Deno.args;
    if (!dir || (command !== "export" && command !== "check")) throw new UsageError("give export or check, and DIR");
    if (command === "export") await exportModels(dir, names);
    else for (const line of await checkModels(dir)) console.log(line);
  });
}
