/**
 * The child process of `tools/kill_writes.ts`: writes one file the way a
 * user would (saveCheckpoint, model.save, ModelCheckpoint during fit,
 * saveKerasModel .keras/.h5, saveWeightsH5), deterministically from a
 * variant number, so the parent knows the complete old and new bytes.
 *
 *     deno run -A tools/_kill_writer.ts SCENARIO VARIANT TARGET
 *
 * `convert` is not here: the parent runs `convert/cli.ts` itself.
 * @module
 */
import {
  Activation,
  BatchNormalization,
  Dense,
  Flatten,
  MaxPool2D,
  type Model,
  modelCheckpoint,
  QuantConv2D,
  QuantDense,
  saveCheckpoint,
  saveKerasModel,
  saveWeightsH5,
  seededRandom,
  Sequential,
  Tensor,
} from "../mod.ts";
import { Adam, type Optimizer } from "../train/optimizers.ts";

/** The writers the parent can kill. */
export const WRITERS = ["checkpoint", "model_save", "fit_checkpoint", "keras", "h5", "weights_h5"] as const;
/** One of {@link WRITERS}. */
export type Writer = typeof WRITERS[number];

/** The epochs of the `fit_checkpoint` run (one checkpoint each). */
export const FIT_EPOCHS = 4;

/** A small BNN, large enough (about 1 M weights) that a write takes a few milliseconds. */
export function killModel(seed: number): Sequential {
  const bin = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" } as const;
  const model = new Sequential([
    new QuantConv2D(16, 3, { padding: "same", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" }),
    new BatchNormalization(),
    new QuantConv2D(32, 3, { ...bin, padding: "same" }),
    new MaxPool2D(2),
    new Flatten(),
    new QuantDense(512, bin),
    new BatchNormalization(),
    new Dense(10),
    new Activation("softmax"),
  ], { inputShape: [16, 16, 3], seed });
  model.apply(Tensor.zeros([1, 16, 16, 3]));
  return model;
}

/** The training data of `fit_checkpoint` (fixed: only the model's seed varies). */
export function killData(): { x: Tensor; y: Int32Array } {
  const r = seededRandom(7);
  const n = 16;
  return {
    x: new Tensor(Float32Array.from({ length: n * 16 * 16 * 3 }, () => r() * 2 - 1), [n, 16, 16, 3]),
    y: Int32Array.from({ length: n }, () => Math.floor(r() * 10)),
  };
}

/** Compiles `model` the way `fit_checkpoint` and a resumed run do. */
export function compileKillModel(model: Model, optimizer: Optimizer = new Adam(0.01)): void {
  model.compile({ optimizer, loss: "sparse_categorical_crossentropy" });
}

/** Fixed clock: `.keras` archives carry `date_saved`, which must not change the bytes between runs. */
function freezeClock(): void {
  const fixed = Date.parse("2026-01-01T00:00:00Z");
  const Real = Date;
  globalThis.Date = class extends Real {
    constructor(...args: unknown[]) {
      super(...((args.length === 0 ? [fixed] : args) as [number]));
    }
    static override now(): number {
      return fixed;
    }
  } as DateConstructor;
}

/** Writes `target` with `writer` from the model of seed `variant`. */
export async function write(writer: Writer, variant: number, target: string): Promise<void> {
  const model = killModel(variant);
  switch (writer) {
    case "checkpoint":
      return await saveCheckpoint(target, model, { optimizer: new Adam(0.01) });
    case "model_save":
      compileKillModel(model);
      return await model.save(target);
    case "fit_checkpoint": {
      compileKillModel(model);
      const { x, y } = killData();
      await model.fit(x, y, {
        epochs: FIT_EPOCHS,
        batchSize: 8,
        shuffle: false,
        verbose: 0,
        callbacks: [modelCheckpoint(target)],
      });
      return;
    }
    case "keras":
    case "h5":
      return await saveKerasModel(model, target);
    case "weights_h5":
      return await saveWeightsH5(model, target);
  }
}

if (import.meta.main) {
  const [writer, variant, target] = Deno.args;
  if (!(WRITERS as readonly string[]).includes(writer)) throw new RangeError(`unknown writer ${writer}`);
  freezeClock();
  await write(writer as Writer, Number(variant), target);
}
