/** Helpers shared by the graph tests: seeded tensors and a gradient-check assertion. @module */
import assert from "node:assert/strict";
import { checkGradients } from "./grad_check.ts";
import { Tensor } from "./tensor.ts";

/** float64 values uniform in [lo, hi), from a seeded LCG. */
export function rand(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float64Array.from(
      { length: n },
      () => lo + (hi - lo) * ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32),
    ),
    shape,
  );
}

/** Asserts that f's gradients match central finite differences. */
export function passes(name: string, f: (...xs: Tensor[]) => Tensor, xs: Tensor[]): void {
  const r = checkGradients(f, xs);
  assert(r.worst <= 1, `${name}: ${r.where} (${r.worst.toFixed(2)}× tolerance)`);
}

/** One case of tests/fixtures/keras/conv3d_local.json (tools/py/gen_conv3d_local_fixtures.py). */
export interface KerasCase {
  layer: string;
  options: Record<string, number[] | number | string | null>;
  kernel_shape: number[];
  kernel: number[];
  input_shape: number[];
  input: number[];
  output_shape: number[];
  output: number[];
}

/** The cases of tf-keras layer `layer` in tests/fixtures/keras/conv3d_local.json (at least one). */
export function kerasCases(layer: string): KerasCase[] {
  const url = new URL("../tests/fixtures/keras/conv3d_local.json", import.meta.url);
  const all = (JSON.parse(Deno.readTextFileSync(url)) as { cases: KerasCase[] }).cases;
  const cases = all.filter((c) => c.layer === layer);
  assert(cases.length > 0, `no ${layer} cases in ${url}`);
  return cases;
}

/** Asserts |got - want| ≤ tol·(1 + |want|) elementwise, and equal lengths. */
export function assertClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) {
      assert.fail(`${label}: [${i}] ${got[i]} vs ${want[i]}`);
    }
  }
}

/** A fixture array as tools/py writes it (`{ shape, data }`, data base64 little-endian float32). */
export function fixtureTensor(a: { shape: number[]; data: string }): Tensor {
  return new Tensor(new Float32Array(Uint8Array.from(atob(a.data), (c) => c.charCodeAt(0)).buffer), a.shape);
}
