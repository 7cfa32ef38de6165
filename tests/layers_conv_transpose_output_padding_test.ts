/**
 * Conv2DTranspose with Keras's `output_padding`: read from Keras's own layer
 * configs, the layer gives Keras's outputs (fixture written by
 * tools/py/transpose_output_padding.py), and the converted file gives the
 * same in the interpreter (TRANSPOSE_CONV's output_shape carries the extra
 * rows), on the native kernels and the reference.
 */
import assert from "node:assert/strict";
import { Sequential } from "../models/sequential.ts";
import { Tensor } from "../graph/tensor.ts";
import { Conv2DTranspose } from "../layers/conv_variants.ts";
import { deserializeLayer, serializeLayer } from "../layers/registry.ts";
import { convert } from "../convert/convert.ts";
import { Interpreter } from "../runtime/interpreter.ts";

interface Case {
  config: Record<string, unknown>;
  kernel: number[];
  bias: number[];
  input: number[];
  input_shape: number[];
  output: number[];
  output_shape: number[];
}
const fixture = JSON.parse(
  Deno.readTextFileSync(new URL("fixtures/larq/conv_transpose_output_padding.json", import.meta.url)),
) as { cases: Case[] };

function close(label: string, got: ArrayLike<number>, want: number[], tol: number): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) {
      assert.fail(`${label}: [${i}] ${got[i]} vs Keras ${want[i]}`);
    }
  }
}

Deno.test("Conv2DTranspose output_padding: Keras configs, Keras's outputs, converted file in the interpreter", () => {
  assert.equal(fixture.cases.length, 4);
  for (const c of fixture.cases) {
    const label = `${c.config.padding} strides ${c.config.strides} output_padding ${c.config.output_padding}`;
    const layer = deserializeLayer({ class_name: "Conv2DTranspose", config: c.config }) as Conv2DTranspose;
    const x = new Tensor(Float32Array.from(c.input), c.input_shape);
    layer.apply(x);
    layer.kernel.assign(Float32Array.from(c.kernel));
    layer.bias!.assign(Float32Array.from(c.bias));
    const y = layer.apply(x);
    assert.deepEqual(y.shape, c.output_shape, label);
    close(label, y.data, c.output, 1e-5);
    assert.deepEqual(serializeLayer(layer).config.output_padding, c.config.output_padding, label);

    const { bytes } = convert(new Sequential([layer]), { inputShape: c.input_shape.slice(1) });
    for (const backend of ["native", "reference"] as const) {
      const out = Interpreter.fromBytes(bytes, { backend }).invoke([Float32Array.from(c.input)])[0];
      close(`${label} converted (${backend})`, out as Float32Array, c.output, 1e-5);
    }
  }
  assert.throws(() => new Conv2DTranspose(2, 3, { strides: 2, outputPadding: 2 }), /output_padding 2 must be/);
});
