/**
 * The CLIs end to end: `deno task convert` on a module's model writes a file
 * our interpreter loads and `deno task inspect` describes; a bad model name,
 * a module without a model and an unsupported layer exit 1 with a message
 * and leave no file behind.
 */
import assert from "node:assert/strict";
import { Interpreter } from "../runtime/interpreter.ts";

const root = new URL("../", import.meta.url).pathname;

async function run(script: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", `${root}${script}`, ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("deno task convert / inspect: a module's model to a file, then its op table", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const module = `${dir}/tiny.ts`;
    await Deno.writeTextFile(
      module,
      `import { QuantConv2D, Sequential, weightClip, input, link, Model, GlobalAveragePooling2D } from "${root}mod.ts";
const x = input([6, 6, 32]);
const q = { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: weightClip() } as const;
const h = link(new QuantConv2D(32, 3, { ...q, padding: "same", padValues: 1 }), x);
export default new Model(x, link(new GlobalAveragePooling2D(), h));
`,
    );
    const out = `${dir}/tiny.tflite`;
    const c = await run("convert/cli.ts", [module, "-o", out, "--report"]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /wrote .*tiny\.tflite: \d+ bytes/);
    assert.match(c.stdout, /quant_conv2d\s+QuantConv2D\s+LceQuantize, LceBconv2d\s+yes/);
    const it = Interpreter.fromBytes(Deno.readFileSync(out), { backend: "reference" });
    assert.deepEqual(it.outputs[0].shape, [1, 32]);
    const i = await run("tflite/inspect.ts", [out]);
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout, /LceBconv2d\s+binary\s+channels_in=32/);
    assert.match(i.stdout, /Binary: 2 of 3 ops/); // LceQuantize and LceBconv2d run on bits
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task convert: bad input exits 1 with the reason and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = await run("convert/cli.ts", ["no_such_model", "-o", `${dir}/a.tflite`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown model "no_such_model": give a zoo name/);
    await Deno.writeTextFile(`${dir}/empty.ts`, "export const nothing = 1;\n");
    const empty = await run("convert/cli.ts", [`${dir}/empty.ts`, "-o", `${dir}/b.tflite`]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /must export \(default or "model"\) a Model/);
    await Deno.writeTextFile(
      `${dir}/tern.ts`,
      `import { QuantConv2D, Sequential } from "${root}mod.ts";
export default new Sequential([new QuantConv2D(4, 1, { inputQuantizer: "ste_tern", name: "tern" })]);
`,
    );
    const tern = await run("convert/cli.ts", [`${dir}/tern.ts`, "-o", `${dir}/c.tflite`, "--input-shape", "4,4,4"]);
    assert.equal(tern.code, 1);
    assert.match(tern.stderr, /layer "tern": input quantizer ste_tern/);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".tflite") || n.includes(".tmp")),
      [],
    );
    const inspect = await run("tflite/inspect.ts", [`${dir}/tern.ts`]);
    assert.equal(inspect.code, 1);
    assert.match(inspect.stderr, /inspect: .*tern\.ts/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task convert model.keras | model.h5: Keras files convert directly and run with Keras's outputs", async () => {
  const { fixtureTensor, assertClose } = await import("../graph/_test_util.ts");
  const { kerasFixtures, fixturePath } = await import("../keras/_test_fixtures.ts");
  const fixtures = kerasFixtures();
  const dir = await Deno.makeTempDir();
  try {
    // A larq model saved by tf-keras as .keras (binary convolutions), a float model saved by Keras 3 as .h5.
    for (const [file, name] of [["quicknet_style.keras", "quicknet_style"], ["k3_cnn.h5", "k3_cnn"]]) {
      const fixture = fixtures[name];
      const out = `${dir}/${name}.tflite`;
      const c = await run("convert/cli.ts", [
        fixturePath(file),
        "-o",
        out,
        "--batch",
        String(fixture.inputs[0].shape[0]),
      ]);
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout, new RegExp(`wrote .*${name}\\.tflite`));
      const it = Interpreter.fromBytes(Deno.readFileSync(out), { backend: "reference" });
      const [y] = it.invoke(fixture.inputs.map((x) => fixtureTensor(x).data as Float32Array));
      assertClose(file, y as Float32Array, fixtureTensor(fixture.outputs[0]).data, 1e-4);
    }
    const missing = await run("convert/cli.ts", [`${dir}/none.keras`]);
    assert.equal(missing.code, 2, "a usage error");
    assert.match(missing.stderr, /none\.keras not found/);
    const weightsOnly = await run("convert/cli.ts", [fixturePath("larq_mnist_weights.h5"), "-o", `${dir}/w.tflite`]);
    assert.equal(weightsOnly.code, 1);
    assert.match(weightsOnly.stderr, /weights only \(save_weights\); build the model, then loadWeightsH5/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
