/**
 * The worker of tests/fuzz_parsers.ts: runs one parser on one input and
 * replies with what happened (accepted, or the error's class and message).
 * The fuzzer ends the worker when a case runs past its time limit.
 * @module
 */
/// <reference lib="deno.worker" />
import { loadKerasModel } from "../keras/load.ts";
import { loadCheckpoint } from "../models/load.ts";
import { modelFromConfig } from "../models/serialize.ts";
import { decodeImage } from "../runtime/image.ts";
import { readNpy } from "../runtime/npy.ts";

/** The parsers fuzzed, by name: each takes a file's bytes. */
const PARSERS: Record<string, (bytes: Uint8Array, scratch: string) => Promise<unknown> | unknown> = {
  safetensors: async (bytes, scratch) => {
    await Deno.writeFile(scratch, bytes);
    return await loadCheckpoint(scratch);
  },
  config: (bytes) => modelFromConfig(new TextDecoder().decode(bytes)),
  keras: (bytes) => loadKerasModel(bytes),
  image: (bytes) => decodeImage(bytes),
  npy: (bytes) => readNpy(bytes),
};

self.onmessage = async (e: MessageEvent<{ parser: string; bytes: Uint8Array; scratch: string }>) => {
  const { parser, bytes, scratch } = e.data;
  try {
    await PARSERS[parser](bytes, scratch);
    self.postMessage({ ok: true });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    self.postMessage({ ok: false, name: error.constructor.name, message: error.message, stack: error.stack });
  }
};

self.postMessage("ready");
