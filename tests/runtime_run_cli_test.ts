/**
 * `deno task run` (runtime/run_cli.ts) and what it stands on:
 *
 * - runtime/image.ts against TensorFlow 2.16 (tests/fixtures/images, made by
 *   tools/py/image_resize_fixtures.py): PNG decoding is bit-exact (8/16-bit,
 *   gray, gray+alpha, RGB(A), palette with tRNS, 2-bit gray), `tf.image.resize`
 *   to 1e-5 (measured: bit-exact), `tf.image.rgb_to_grayscale` to 1e-5, and
 *   the whole preprocessing of a model input to 1e-5. JPEG decoding (jpeg-js,
 *   plus libjpeg's fancy chroma upsampling and fixed-point YCbCr → RGB done
 *   here) differs from TF's default decode_jpeg (libjpeg-turbo, INTEGER_FAST
 *   IDCT) by at most 4 levels, mean ≤ 1.24, on 4:4:4, 4:2:2, 4:4:0, 4:2:0 and
 *   gray files: TF's own INTEGER_ACCURATE decode is as far (up to 4) from its
 *   default, and ours is within 3 (mean ≤ 0.22) of INTEGER_ACCURATE.
 * - runtime/npy.ts: round trips and NumPy's own files.
 * - The CLI end to end (spawned): top-k of an LCE-made model on a PNG, --json,
 *   --output equal to Interpreter.invoke on the same input, identity models
 *   whose output is the preprocessed input compared with TF's, several and
 *   quantized inputs, and every failure as one `run: ...` line with exit 1.
 */
import assert from "node:assert/strict";
import { decodeImage, type FloatImage, GRAY_WEIGHTS, normalize, resizeBilinear, toChannels } from "../runtime/image.ts";
import { Interpreter, type TensorSpec } from "../runtime/interpreter.ts";
import { encodeNpy, type NpyArray, readNpy } from "../runtime/npy.ts";
import { assignInputs, imageToInput, prepareInput, quantize, topK } from "../runtime/run_cli.ts";
import type { Tensor, TfliteModel } from "../tflite/model.ts";
import { Builtin, TensorType } from "../tflite/schema.ts";
import { writeModel } from "../tflite/writer.ts";

const root = new URL("../", import.meta.url).pathname;
const fixtures = `${root}tests/fixtures/images/`;
const quicknet = `${root}tests/fixtures/lce/quicknet_block.tflite`;

interface Manifest {
  images: {
    file: string;
    shape: number[];
    decoded: string;
    resized: { size: [number, number]; file: string }[];
    gray?: string;
    tf_fast_vs_accurate_max_abs?: number;
  }[];
  pipelines: {
    image: string;
    size: [number, number];
    channels: number;
    scale: number;
    mean: number[];
    std: number[];
    file: string;
  }[];
}
const manifest: Manifest = JSON.parse(Deno.readTextFileSync(`${fixtures}manifest.json`));
const npy = (name: string): NpyArray => readNpy(Deno.readFileSync(`${fixtures}${name}`));

/** Largest |a - b| / max(1, |b|), and the mean |a - b|. */
function diff(a: ArrayLike<number>, b: ArrayLike<number>): { rel: number; mean: number } {
  assert.equal(a.length, b.length);
  let rel = 0, sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    rel = Math.max(rel, d / Math.max(1, Math.abs(b[i])));
    sum += d;
  }
  return { rel, mean: sum / Math.max(a.length, 1) };
}

/** Measured against TF 2.16's default decode_jpeg (see the module doc): max 4, mean ≤ 1.24. */
const JPEG_MAX = 4, JPEG_MEAN = 1.5;

Deno.test("decodeImage: PNGs as tf.io.decode_png, JPEGs within the measured libjpeg-turbo difference", () => {
  for (const e of manifest.images) {
    const img = decodeImage(Deno.readFileSync(`${fixtures}${e.file}`));
    const want = npy(e.decoded);
    assert.deepEqual([img.height, img.width, img.channels], want.shape, e.file);
    const d = diff(img.data, want.data);
    if (e.file.endsWith(".png")) {
      assert.equal(d.rel, 0, `${e.file} decodes as TF does`);
      assert.equal(img.bitDepth, want.dtype === "uint16" ? 16 : 8);
    } else {
      // As far as TF's own two IDCTs are apart (manifest: tf_fast_vs_accurate_max_abs, 2-4 on these files).
      assert.ok(d.rel <= JPEG_MAX && d.mean <= JPEG_MEAN, `${e.file}: max ${d.rel}, mean ${d.mean}`);
    }
  }
});

Deno.test("resizeBilinear: tf.image.resize (bilinear, half-pixel centers, no antialias) to 1e-5", () => {
  for (const e of manifest.images) {
    const img = decodeImage(Deno.readFileSync(`${fixtures}${e.file}`));
    for (const r of e.resized) {
      const mine = resizeBilinear(img, r.size[0], r.size[1]);
      const want = npy(r.file);
      assert.deepEqual([mine.height, mine.width, mine.channels], want.shape);
      const d = diff(mine.data, want.data);
      // PNG: the same pixels, so TF's float32 arithmetic must come out (it does, bit for bit).
      assert.ok(e.file.endsWith(".png") ? d.rel <= 1e-5 : d.rel <= JPEG_MAX, `${e.file} → ${r.size}: ${d.rel}`);
    }
  }
});

Deno.test("resizeBilinear: hand-computed TF values and a float64 re-derivation", () => {
  // 2×2 → 4×4: source x = (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped at the edges.
  const small = resizeBilinear({ width: 2, height: 2, channels: 1, data: [0, 4, 8, 12] }, 4, 4);
  assert.deepEqual([...small.data], [0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12]);
  // Any size: the same formula in float64, written out independently.
  const src = { width: 5, height: 3, channels: 2, data: Array.from({ length: 30 }, (_, i) => (i * 37) % 256) };
  for (const [h, w] of [[7, 2], [1, 1], [3, 5], [2, 11]]) {
    const out = resizeBilinear(src, h, w);
    const at = (y: number, x: number, c: number) => src.data[(y * src.width + x) * 2 + c];
    const coord = (i: number, n: number, m: number) => {
      const v = (i + 0.5) * (n / m) - 0.5;
      return { lo: Math.max(Math.floor(v), 0), hi: Math.min(Math.ceil(v), n - 1), t: v - Math.floor(v) };
    };
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const cy = coord(y, src.height, h), cx = coord(x, src.width, w);
        for (let c = 0; c < 2; c++) {
          const top = at(cy.lo, cx.lo, c) + (at(cy.lo, cx.hi, c) - at(cy.lo, cx.lo, c)) * cx.t;
          const bot = at(cy.hi, cx.lo, c) + (at(cy.hi, cx.hi, c) - at(cy.hi, cx.lo, c)) * cx.t;
          const want = top + (bot - top) * cy.t;
          assert.ok(Math.abs(out.data[(y * w + x) * 2 + c] - want) <= 1e-4, `${h}×${w} at ${y},${x},${c}`);
        }
      }
    }
  }
  assert.throws(() => resizeBilinear(src, 0, 3), /positive integer/);
});

Deno.test("toChannels: tf.image.rgb_to_grayscale on the float image; gray to RGB; 16-bit as v / 257", () => {
  for (const e of manifest.images.filter((e) => e.gray)) {
    const img = decodeImage(Deno.readFileSync(`${fixtures}${e.file}`));
    const gray = toChannels(img, 1);
    const unit = img.bitDepth === 16 ? 257 : 1;
    const d = diff(gray.data.map((v) => v * unit), npy(e.gray!).data);
    assert.ok(d.rel <= 1e-5, `${e.file}: ${d.rel}`);
  }
  const g = decodeImage(Deno.readFileSync(`${fixtures}gray_13x11.png`));
  const rgb = toChannels(g, 3);
  for (let p = 0; p < 13 * 11; p++) for (let c = 0; c < 3; c++) assert.equal(rgb.data[3 * p + c], g.data[p]);
  const rgba = decodeImage(Deno.readFileSync(`${fixtures}rgba_5x6.png`));
  assert.deepEqual([...toChannels(rgba, 3).data.slice(0, 3)], [...rgba.data.slice(0, 3)]); // alpha dropped
  assert.deepEqual(GRAY_WEIGHTS, [0.2989, 0.587, 0.114].map(Math.fround));
  assert.throws(() => toChannels(rgba, 4), /1 \(grayscale\) or 3 \(RGB\)/);
});

Deno.test("imageToInput: TF's whole preprocessing (resize, channels, (x * scale - mean) / std) to 1e-5", () => {
  for (const [k, p] of manifest.pipelines.entries()) {
    const img = decodeImage(Deno.readFileSync(`${fixtures}${p.image}`));
    const spec = { name: "x", shape: [1, ...p.size, p.channels], type: "FLOAT32", index: 0 };
    const { values, preprocessing } = imageToInput(img, spec, p);
    const want = npy(p.file);
    assert.deepEqual(want.shape, spec.shape);
    assert.ok(diff(values, want.data).rel <= 1e-5, `pipeline ${k}`);
    assert.equal(preprocessing.scale, p.scale);
    // The test's own arithmetic on the library's resize: per-channel mean/std, float32 results.
    const resized: FloatImage = resizeBilinear(toChannels(img, p.channels), p.size[0], p.size[1]);
    const own = resized.data.map((v, i) => {
      const c = i % p.channels;
      return (v * p.scale - p.mean[p.mean.length === 1 ? 0 : c]) / p.std[p.std.length === 1 ? 0 : c];
    });
    assert.deepEqual(values, own);
  }
  const img = decodeImage(Deno.readFileSync(`${fixtures}rgb_7x5.png`));
  assert.throws(() => normalize(toChannels(img, 3), { scale: 1, mean: [1, 2], std: [1] }), /--mean has 2 values/);
});

Deno.test("npy: round trips, NumPy's files, and what it refuses", () => {
  const cases = [
    new Float32Array([1.5, -2, 3e-8, 4, 5, 6]),
    new Float64Array([1e300, -0, 2, 3, 4, 5]),
    new Uint8Array([0, 255, 1, 2, 3, 4]),
    new Int8Array([-128, 127, 0, 1, 2, 3]),
    new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, 1, 2, 3]),
  ];
  for (const data of cases) {
    for (const shape of [[6], [2, 3], [1, 2, 3, 1]]) {
      const bytes = encodeNpy(data, shape);
      const headerEnd = 10 + new DataView(bytes.buffer).getUint16(8, true);
      assert.equal(headerEnd % 64, 0, "NumPy's 64-byte alignment");
      assert.equal(bytes[headerEnd - 1], 0x0a);
      const back = readNpy(bytes);
      assert.deepEqual(back.shape, shape);
      assert.deepEqual(back.data, data);
    }
  }
  assert.deepEqual(readNpy(encodeNpy(new Float32Array([7]), [])).shape, []);
  const numpy = npy("rgb16_6x4_png.decoded.npy"); // written by numpy.save
  assert.equal(numpy.dtype, "uint16");
  assert.deepEqual(numpy.shape, [4, 6, 3]);
  assert.equal(new TextDecoder().decode(encodeNpy(new Int16Array(2), [2], "<f2").subarray(10, 24)), "{'descr': '<f2");
  const f4 = encodeNpy(new Float32Array(6), [2, 3]);
  const swap = (from: string, to: string) => {
    const b = f4.slice();
    const head = new TextDecoder().decode(b.subarray(10, 128)).replace(from, to);
    for (let i = 0; i < head.length; i++) b[10 + i] = head.charCodeAt(i);
    return b;
  };
  assert.throws(() => readNpy(swap("<f4", ">f4")), /dtype >f4/);
  assert.throws(() => readNpy(swap("'fortran_order': False", "'fortran_order': True ")), /Fortran order/);
  assert.throws(() => readNpy(f4.subarray(0, f4.length - 1)), /23 data bytes, but shape \(2,3\)/);
  assert.throws(() => readNpy(new Uint8Array(20)), /not a \.npy file/);
  assert.throws(() => encodeNpy(new Float32Array(3), [2, 2]), /does not hold 3/);
});

Deno.test("topK, assignInputs, quantize", () => {
  assert.deepEqual(topK([0.1, 0.7, 0.7, -1], 3, ["a", "b", "c", "d"]), [
    { index: 1, label: "b", score: 0.7 },
    { index: 2, label: "c", score: 0.7 },
    { index: 0, label: "a", score: 0.1 },
  ]);
  const specs: TensorSpec[] = ["a", "b"].map((name, index) => ({ name, shape: [1, 4], type: "FLOAT32", index }));
  assert.deepEqual(assignInputs(specs, ["x.npy", "y.npy"]), ["x.npy", "y.npy"]);
  assert.deepEqual(assignInputs(specs, ["b=y.npy", "x.npy"]), ["x.npy", "y.npy"]);
  assert.deepEqual(assignInputs(specs, ["c=1.npy", "b=y.npy"]), ["c=1.npy", "y.npy"]); // "c" is no input: a file
  assert.throws(() => assignInputs(specs, ["x.npy"]), /the model has 2 inputs \("a" \[1,4\] FLOAT32, "b"/);
  assert.throws(() => assignInputs(specs, ["b=1.npy", "b=2.npy"]), /input "b" is given twice/);
  // Half away from zero, then the zero point, clamped.
  const q8 = quantize([0.25, -0.25, 0.75, 100, -100], { scale: 0.5, zeroPoint: 3 }, "INT8");
  assert.deepEqual([...q8], [4, 2, 5, 127, -128]);
  assert.deepEqual([...quantize([0, 1, -1], { scale: 1 / 255, zeroPoint: 0 }, "UINT8")], [0, 255, 0]);
});

// ---------------------------------------------------------------- the CLI, spawned

async function run(args: string[], cwd = root) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}runtime/run_cli.ts`, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** A failure: exit 1, one stderr line `run: ...` matching `message`, no stack trace. */
function assertFails(r: { code: number; stderr: string }, message: RegExp, what: string) {
  assert.equal(r.code, 1, `${what}: exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0], /^run: /, what);
  assert.doesNotMatch(r.stderr, /^\s+at /m, what);
  assert.match(lines[0], message, what);
}

function tensor(name: string, shape: number[], type: number = TensorType.FLOAT32, q?: [number, number]): Tensor {
  const quantization = q ? { scale: [q[0]], zeroPoint: [q[1]], quantizedDimension: 0 } : null;
  return { name, shape, shapeSignature: null, type, buffer: 0, quantization, isVariable: false };
}

/** A one-subgraph model of builtin ops (no options) on the given tensors. */
function model(
  tensors: Tensor[],
  ops: [number, number[], number[]][],
  inputs: number[],
  outputs: number[],
): Uint8Array {
  const codes = [...new Set(ops.map(([c]) => c))];
  const m: TfliteModel = {
    version: 3,
    description: "run_cli_test",
    buffers: [new Uint8Array(0)],
    signatureDefs: [],
    metadata: [],
    operatorCodes: codes.map((c) => ({ builtinCode: c, customCode: null, version: 1 })),
    subgraphs: [{
      name: "main",
      tensors,
      inputs,
      outputs,
      operators: ops.map(([c, i, o]) => ({
        opcodeIndex: codes.indexOf(c),
        inputs: i,
        outputs: o,
        builtinOptionsType: 0,
        builtinOptions: null,
        customOptions: null,
      })),
    }],
  };
  return writeModel(m);
}

/** y = x, reshaped to [1, N]: its output is the preprocessed input. */
function identity(shape: number[], type: number = TensorType.FLOAT32, q?: [number, number]): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return model([tensor("x", shape, type, q), tensor("y", [1, n], type, q)], [[Builtin.RESHAPE, [0], [1]]], [0], [1]);
}

async function withDir(f: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "run_cli_test_" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("deno task run: an LCE model on a PNG prints the top 5 and the latency", async () => {
  const r = await run([quicknet, "--input", `${fixtures}rgb_7x5.png`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.match(r.stdout, /^model {2}.*quicknet_block\.tflite \((native|reference) kernels, 1 thread\)$/m);
  assert.match(r.stdout, /PNG 7×5 RGB 8-bit → rgb, resized to 16×16 \(bilinear as tf\.image\.resize\)/);
  assert.match(r.stdout, /\(x \* 0\.00392157 - \[0,0,0\]\) \/ \[1,1,1\]/);
  assert.equal(r.stdout.match(/^\s+\d\. +\d+ +-?[\d.e+-]+$/gm)?.length, 5);
  assert.match(r.stdout, /^latency \d+\.\d{3} ms \(one invoke\)$/m);
});

Deno.test("deno task run --json --labels --output: the report, and outputs equal to Interpreter.invoke", async () => {
  await withDir(async (dir) => {
    const labels = `${dir}/labels.txt`;
    await Deno.writeTextFile(labels, Array.from({ length: 10 }, (_, i) => `class ${i}`).join("\n") + "\n");
    const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
    const image = `${fixtures}rgb_7x5.png`;
    const args = ["--input", image, "--mean", mean.join(","), "--std", std.join(","), "--backend", "reference"];
    const r = await run([quicknet, ...args, "--json", "--top", "3", "--labels", labels, "--output", `${dir}/y.npy`]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.backend, "reference");
    assert.equal(report.threads, 1);
    assert.ok(report.latency_ms > 0);
    const input = report.inputs[0];
    assert.deepEqual(input.image, { format: "png", width: 7, height: 5, channels: 3, bitDepth: 8 });
    assert.deepEqual(input.preprocessing.resize.height, 16);
    assert.deepEqual([input.preprocessing.scale, input.preprocessing.mean, input.preprocessing.std], [
      1 / 255,
      mean,
      std,
    ]);
    const out = report.outputs[0];
    assert.equal(out.file, `${dir}/y.npy`);
    assert.equal(out.top.length, 3);

    // In process: the same preprocessing (and TF's, to 1e-5), the same interpreter, the same numbers.
    const it = await Interpreter.fromFile(quicknet, { backend: "reference" });
    const prepared = prepareInput(
      it.inputs[0],
      image,
      Deno.readFileSync(image),
      { scale: 1 / 255, mean, std },
      () => null,
    );
    assert.ok(diff(prepared.data as Float32Array, npy(manifest.pipelines[0].file).data).rel <= 1e-5);
    const [want] = it.invoke([prepared.data]);
    const written = readNpy(Deno.readFileSync(`${dir}/y.npy`));
    assert.deepEqual(written.shape, [1, 10]);
    assert.deepEqual(written.data, want);
    assert.deepEqual(out.top, topK(want as Float32Array, 3).map((t) => ({ ...t, label: `class ${t.index}` })));
  });
});

Deno.test("deno task run: identity models output TF's preprocessing of each pipeline fixture", async () => {
  await withDir(async (dir) => {
    for (const [k, p] of manifest.pipelines.entries()) {
      const m = `${dir}/identity_${k}.tflite`;
      await Deno.writeFile(m, identity([1, ...p.size, p.channels]));
      const stats = ["--scale", String(p.scale), "--mean", p.mean.join(","), "--std", p.std.join(",")];
      const r = await run([
        m,
        "--input",
        `${fixtures}${p.image}`,
        ...stats,
        "--output",
        `${dir}/p${k}.npy`,
        "--top",
        "0",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /^\s+1\./m, "--top 0 prints no classes");
      const got = readNpy(Deno.readFileSync(`${dir}/p${k}.npy`));
      assert.ok(diff(got.data as Float32Array, npy(p.file).data).rel <= 1e-5, `pipeline ${k} (${p.image})`);
    }
  });
});

Deno.test("deno task run: several inputs (in order, by name), .npy and raw files, several outputs", async () => {
  await withDir(async (dir) => {
    const m = `${dir}/add.tflite`;
    // outputs: a + b, and a reshaped
    const ts = [tensor("a", [1, 4]), tensor("b", [1, 4]), tensor("sum", [1, 4]), tensor("a2", [4])];
    await Deno.writeFile(m, model(ts, [[Builtin.ADD, [0, 1], [2]], [Builtin.RESHAPE, [0], [3]]], [0, 1], [2, 3]));
    await Deno.writeFile(`${dir}/a.npy`, encodeNpy(new Float64Array([1, 2, 3, 4]), [4])); // no batch dim, float64
    await Deno.writeFile(`${dir}/b.f32`, new Uint8Array(new Float32Array([10, 20, 30, 40]).buffer));
    const r = await run([m, "--input", `b=${dir}/b.f32`, "--input", `${dir}/a.npy`, "--output", `${dir}/o.npy`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...readNpy(Deno.readFileSync(`${dir}/o.npy`)).data], [11, 22, 33, 44]);
    assert.deepEqual([...readNpy(Deno.readFileSync(`${dir}/o_1.npy`)).data], [1, 2, 3, 4]);
    const two = await run([
      m,
      "-i",
      `${dir}/a.npy`,
      "-i",
      `${dir}/b.f32`,
      "-o",
      `${dir}/s.npy`,
      "-o",
      `${dir}/t.npy`,
      "--json",
    ]);
    assert.equal(two.code, 0, two.stderr);
    const report = JSON.parse(two.stdout);
    assert.deepEqual(report.inputs.map((i: { kind: string }) => i.kind), ["npy", "raw"]);
    assert.deepEqual(report.outputs.map((o: { file: string }) => o.file), [`${dir}/s.npy`, `${dir}/t.npy`]);
    assert.deepEqual(report.outputs[0].top.map((t: { index: number }) => t.index), [3, 2, 1, 0]);
    assert.deepEqual([...readNpy(Deno.readFileSync(`${dir}/s.npy`)).data], [11, 22, 33, 44]);
    const one = await run([m, "--input", `${dir}/a.npy`]);
    assertFails(
      one,
      /the model has 2 inputs \("a" \[1,4\] FLOAT32, "b" \[1,4\] FLOAT32\) but 1 --input was given/,
      "count",
    );
    const outs = await run([
      m,
      "-i",
      `${dir}/a.npy`,
      "-i",
      `${dir}/b.f32`,
      "-o",
      "x.npy",
      "-o",
      "y.npy",
      "-o",
      "z.npy",
    ]);
    assertFails(outs, /2 outputs but 3 --output files/, "--output count");
  });
});

Deno.test("deno task run: int8/uint8 inputs are quantized with the file's scale and zero point", async () => {
  await withDir(async (dir) => {
    const image = `${fixtures}rgb_7x5.png`;
    for (
      const [type, name, q] of [[TensorType.INT8, "INT8", [1 / 128, -3]], [TensorType.UINT8, "UINT8", [
        1 / 250,
        2,
      ]]] as const
    ) {
      const m = `${dir}/q_${name}.tflite`;
      // int8: RESHAPE keeps the integers; uint8: DEQUANTIZE gives back q's floats.
      const bytes = type === TensorType.INT8 ? identity([1, 3, 2, 3], type, [...q]) : model(
        [tensor("x", [1, 3, 2, 3], type, [...q]), tensor("y", [1, 3, 2, 3])],
        [[Builtin.DEQUANTIZE, [0], [1]]],
        [0],
        [1],
      );
      await Deno.writeFile(m, bytes);
      const r = await run([m, "--input", image, "--output", `${dir}/q.npy`, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).inputs[0].quantized, { scale: Math.fround(q[0]), zeroPoint: q[1] });
      const img = decodeImage(Deno.readFileSync(image));
      const floats = normalize(resizeBilinear(toChannels(img, 3), 3, 2), { scale: 1 / 255, mean: [0], std: [1] });
      const want = Array.from(quantize(floats, { scale: q[0], zeroPoint: q[1] }, name) as Int8Array);
      const got = readNpy(Deno.readFileSync(`${dir}/q.npy`)).data;
      if (type === TensorType.INT8) assert.deepEqual([...got], want);
      else assert.ok(diff(got, want.map((v) => (v - q[1]) * Math.fround(q[0]))).rel <= 1e-6);
    }
    await Deno.writeFile(`${dir}/noq.tflite`, identity([1, 3, 2, 3], TensorType.INT8));
    assertFails(
      await run([`${dir}/noq.tflite`, "--input", image]),
      /is INT8 but the file gives it no single scale/,
      "no q",
    );
    await Deno.writeFile(`${dir}/i8.npy`, encodeNpy(new Int8Array(18).fill(5), [1, 3, 2, 3]));
    const raw = await run([`${dir}/noq.tflite`, "--input", `${dir}/i8.npy`, "--output", `${dir}/i.npy`]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.deepEqual([...readNpy(Deno.readFileSync(`${dir}/i.npy`)).data], Array(18).fill(5));
  });
});

Deno.test("deno task run: every failure is one line `run: ...`, exit 1, no stack trace", async () => {
  await withDir(async (dir) => {
    const png = `${fixtures}rgb_7x5.png`;
    const good = Deno.readFileSync(png), jpg = Deno.readFileSync(`${fixtures}photo_32x24.jpg`);
    const files: Record<string, Uint8Array> = {
      "garbage.tflite": new Uint8Array(200).map((_, i) => (i * 89) % 251),
      "magic.png": new TextEncoder().encode("GIF89a not a png"),
      "trunc.png": good.subarray(0, good.length - 20),
      "trunc.jpg": jpg.subarray(0, jpg.length / 2),
      "shape.npy": encodeNpy(new Float32Array(16 * 16), [1, 16, 16, 1]),
      "dtype.npy": encodeNpy(new Int16Array(16 * 16 * 3), [16, 16, 3]),
      "short.bin": new Uint8Array(16 * 16 * 3 * 4 - 4),
      "input.txt": new Uint8Array(3),
      "labels.txt": new TextEncoder().encode("cat\ndog\n"),
      "two.tflite": identity([1, 4, 4, 2]),
    };
    for (const [name, bytes] of Object.entries(files)) await Deno.writeFile(`${dir}/${name}`, bytes);
    const d = (f: string) => `${dir}/${f}`;
    const q = quicknet;
    const cases: [string, string[], RegExp][] = [
      ["missing model", [d("none.tflite"), "--input", png], /cannot read model ".*none\.tflite": no such file/],
      ["not a .tflite (a PNG)", [png, "--input", png], /rgb_7x5\.png: .*\(is it a \.tflite file\?\)$/],
      [
        "not a .tflite (garbage)",
        [d("garbage.tflite"), "--input", png],
        /garbage\.tflite: .+\(is it a \.tflite file\?\)$/,
      ],
      ["missing input", [q, "--input", d("none.png")], /cannot read input ".*none\.png": no such file/],
      ["input is a directory", [q, "--input", `${dir}/x.npy`], /cannot read input/],
      [
        "wrong magic",
        [q, "--input", d("magic.png")],
        /magic\.png is not a PNG or JPEG image \(it starts with 47 49 46 38\)/,
      ],
      ["truncated PNG", [q, "--input", d("trunc.png")], /trunc\.png is a truncated or corrupt PNG image/],
      ["truncated JPEG", [q, "--input", d("trunc.jpg")], /trunc\.jpg is a truncated or corrupt JPEG image/],
      ["npy shape", [q, "--input", d("shape.npy")], /has shape \(1,16,16,1\) but input ".*" is \[1,16,16,3\]/],
      ["npy dtype", [q, "--input", d("dtype.npy")], /has dtype <i2; .npy inputs must be little-endian float32/],
      [
        "raw size",
        [q, "--input", d("short.bin")],
        /short\.bin has 3068 bytes, .* takes 768 float32 values = 3072 bytes/,
      ],
      ["unknown extension", [q, "--input", d("input.txt")], /input\.txt: unknown input type "\.txt"; give a \.png/],
      ["too many inputs", [q, "--input", png, "--input", png], /the model has 1 input \(.*\) but 2 --input were given/],
      ["bad --top", [q, "--input", png, "--top", "-2"], /--top must be an integer >= 0, got "-2"/],
      ["bad --top (text)", [q, "--input", png, "--top", "five"], /--top must be an integer >= 0, got "five"/],
      ["bad --threads", [q, "--input", png, "--threads", "0"], /--threads must be an integer 1\.\.64, got "0"/],
      ["bad --threads (big)", [q, "--input", png, "--threads", "1000"], /--threads must be an integer 1\.\.64/],
      ["bad --scale", [q, "--input", png, "--scale", "x"], /--scale must be a nonzero number, got "x"/],
      ["bad --std", [q, "--input", png, "--std", "1,0,1"], /--std must be nonzero numbers/],
      [
        "bad --mean count",
        [q, "--input", png, "--mean", "1,2"],
        /--mean has 2 values; give one, or one per channel \(3\)/,
      ],
      ["bad --backend", [q, "--input", png, "--backend", "gpu"], /--backend must be auto, native, wasm or reference/],
      [
        "label count",
        [q, "--input", png, "--labels", d("labels.txt")],
        /labels\.txt has 2 labels but output ".*" has 10 classes/,
      ],
      ["missing labels", [q, "--input", png, "--labels", d("none.txt")], /cannot read labels file/],
      [
        "2-channel input",
        [d("two.tflite"), "--input", png],
        /has 2 channels; images convert to 1 \(gray\) or 3 \(RGB\)/,
      ],
      ["--output not .npy", [q, "--input", png, "--output", d("y.bin")], /outputs are written as \.npy/],
      [
        "--output folder missing",
        [q, "--input", png, "-o", d("no/y.npy")],
        /cannot write --output .*y\.npy: its folder/,
      ],
    ];
    await Deno.mkdir(`${dir}/x.npy`);
    const results = await Promise.all(cases.map(([, args]) => run(args)));
    cases.forEach(([what, , message], k) => assertFails(results[k], message, what));
    assert.deepEqual([...Deno.readDirSync(dir)].filter((e) => e.name.includes(".tmp")), [], "no partial files");
  });
});

Deno.test("deno task run: usage mistakes print the usage and exit 2; --help exits 0", async () => {
  for (const args of [[quicknet], [], [quicknet, "--input", "a.png", "--frobnicate"]]) {
    const r = await run(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^run: .*\nusage: deno task run MODEL\.tflite --input FILE/);
  }
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: deno task run/);
});
