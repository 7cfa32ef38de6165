/**
 * The Keras files of tests/fixtures/keras_files (tools/py/keras_files_fixtures.py),
 * or of the folder ONEBIT_KERAS_FIXTURES names (the live check writes them there),
 * and a check of a model's outputs against Keras's. @module
 */
import { assertClose, fixtureTensor } from "../graph/_test_util.ts";
import type { Model } from "../models/model.ts";

/** One model of the manifest: its files, parameter count, inputs and Keras's outputs. */
export interface KerasFixture {
  writer: string;
  files: string[];
  params: number;
  inputs: { shape: number[]; data: string }[];
  outputs: { shape: number[]; data: string }[];
}

/** The folder of the fixtures (a path). */
export const FIXTURES = Deno.env.get("ONEBIT_KERAS_FIXTURES") ??
  new URL("../tests/fixtures/keras_files", import.meta.url).pathname;

/** The models of a manifest.json (default: the committed fixtures). */
export function kerasFixtures(dir = FIXTURES): Record<string, KerasFixture> {
  return JSON.parse(Deno.readTextFileSync(`${dir}/manifest.json`)).models;
}

/** The path of a fixture file. */
export function fixturePath(name: string, dir = FIXTURES): string {
  return `${dir}/${name}`;
}

/** Asserts the model's outputs on the fixture's inputs equal Keras's (rtol 1e-4). */
export function assertKerasOutputs(label: string, model: Model, fixture: KerasFixture): void {
  const ys = model.applyAll(fixture.inputs.map(fixtureTensor));
  if (ys.length !== fixture.outputs.length) {
    throw new Error(`${label}: ${ys.length} outputs, Keras ${fixture.outputs.length}`);
  }
  ys.forEach((y, k) => {
    const want = fixtureTensor(fixture.outputs[k]);
    if (y.shape.join() !== want.shape.join()) {
      throw new Error(`${label}: output ${k} is [${y.shape}], Keras [${want.shape}]`);
    }
    assertClose(`${label} output ${k}`, y.data, want.data, 1e-4);
  });
}
