/**
 * The resume check of `tools/kill_writes.ts`: loads a fit checkpoint left
 * by a killed run (after epoch EPOCH), trains the remaining epochs the same
 * way, and writes the checkpoint bytes at the end, which must equal the
 * uninterrupted run's.
 *
 *     deno run -A tools/_kill_resume.ts CHECKPOINT EPOCH OUT
 * @module
 */
import { loadCheckpoint } from "../models/load.ts";
import { compileKillModel, FIT_EPOCHS, killData } from "./_kill_writer.ts";

const [path, epoch, out] = Deno.args;
const { model, optimizer } = await loadCheckpoint(path);
if (!optimizer) throw new RangeError(`${path} has no optimizer state`);
compileKillModel(model, optimizer);
const { x, y } = killData();
await model.fit(x, y, { epochs: FIT_EPOCHS - Number(epoch), batchSize: 8, shuffle: false, verbose: 0 });
await Deno.writeFile(out, model.checkpointBytes());
