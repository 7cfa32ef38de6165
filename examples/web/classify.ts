/**
 * What the web page and its test share: the bundled test digits, and one
 * 28×28 grayscale image (0 = background, 255 = ink, as MNIST) classified by
 * the converted BNN, with the preprocessing `examples/mnist_bnn.ts` trained
 * it on (v / 127.5 - 1).
 * @module
 */
import type { Interpreter } from "../../mod.ts";

/** One bundled digit: its true label and 784 pixels. */
export interface Digit {
  label: number;
  pixels: Uint8Array;
}

/** The digits of `digits.json` (base64 pixels) decoded. */
export function decodeDigits(json: { digits: { label: number; pixels: string }[] }): Digit[] {
  return json.digits.map((d) => ({ label: d.label, pixels: Uint8Array.from(atob(d.pixels), (c) => c.charCodeAt(0)) }));
}

/** The predicted digit and the model's ten scores for one image. */
export function classify(it: Interpreter, pixels: Uint8Array): { label: number; scores: number[] } {
  if (pixels.length !== 784) throw new RangeError(`an MNIST image has 784 pixels, got ${pixels.length}`);
  const x = Float32Array.from(pixels, (v) => v / 127.5 - 1);
  const scores = Array.from(it.invoke([x])[0] as Float32Array);
  return { label: scores.indexOf(Math.max(...scores)), scores };
}
