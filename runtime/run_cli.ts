/**
 * `deno task run MODEL.tflite --input FILE [...]`: runs a model on an image,
 * a `.npy` array or a raw float32 file and prints the top classes (or writes
 * the outputs as `.npy`), with the latency of the invoke.
 *
 * Images (PNG, JPEG; see `image.ts`) are converted to the input's channel
 * count (1: gray with `tf.image.rgb_to_grayscale`'s weights, 3: RGB, alpha
 * dropped), resized to its H×W as TF2's `tf.image.resize` does by default
 * (bilinear, half-pixel centers, no antialiasing), then scaled:
 * `(pixel * scale - mean) / std` with pixels in 0..255 (16-bit PNGs read as
 * v / 257). The default `--scale 1/255 --mean 0 --std 1` puts pixels in [0, 1];
 * e.g. ImageNet-style models want `--mean 0.485,0.456,0.406 --std 0.229,0.224,0.225`,
 * and `--scale 1 --mean 127.5 --std 127.5` gives [-1, 1].
 * `.npy` and raw inputs go to the model as they are (cast to float32). An
 * int8/uint8 (quantized) input gets float values quantized with the input
 * tensor's scale and zero point from the file (`round(x / scale) + zero_point`,
 * clamped), or takes a `.npy` of that integer type as is.
 *
 * Failures are one line, `run: <what is wrong and the fix>`, exit code 1;
 * usage mistakes print the usage and exit 2.
 * @module
 */
import { parseCli, runCli, UsageError } from "../_cli.ts";
import { writeFileAtomic } from "../_fs.ts";
import { ModelFormatError, ModelValidationError, UnsupportedModelError } from "../tflite/errors.ts";
import type { Quantization } from "../tflite/model.ts";
import { readModel } from "../tflite/reader.ts";
import { type Backend, badBackend, isBackend } from "../kernels/backend.ts";
import { MAX_THREADS } from "../kernels/binary_kernels.ts";
import { type DecodedImage, decodeImage, type Normalization, normalize, resizeBilinear, toChannels } from "./image.ts";
import { Interpreter, type TensorSpec } from "./interpreter.ts";
import { encodeNpy, type NpyArray, readNpy } from "./npy.ts";
import type { TensorData } from "./ops/_types.ts";

/** The usage text (printed by `--help` and on a usage mistake). */
export const USAGE = `usage: deno task run MODEL.tflite --input FILE [--input FILE ...] [options]
  --input FILE | NAME=FILE  once per model input, in order (or by input name): a .png/.jpg/.jpeg image,
                            a .npy array (shape of the input, with or without its batch of 1), or raw
                            little-endian float32 (.bin/.f32/.raw)
  --top N                   top N classes of each class-vector output (default 5; 0: none)
  --labels FILE             class names, one per line
  --output FILE.npy         write the outputs: FILE.npy, FILE_1.npy, ...; or one --output per output
  --scale S                 image pixels (0..255) become (pixel * S - MEAN) / STD; default S = 1/255,
  --mean MEAN --std STD     MEAN = 0, STD = 1 (values in [0, 1]); MEAN, STD: one value or one per channel
  --threads N               threads for the binary kernels (default 1)
  --backend auto|native|wasm|reference   kernels to run on (default auto: native if the library loads, else wasm)
  --json                    print a JSON report instead of text`;

/** The parsed command line. */
export interface RunArgs {
  model: string;
  /** `--input` values as given (FILE or NAME=FILE). */
  inputs: string[];
  top: number;
  labels?: string;
  outputs: string[];
  threads: number;
  backend: Backend;
  json: boolean;
  normalization: Normalization;
}

/** What one input was made of, for the report. */
export interface InputReport {
  name: string;
  shape: number[];
  type: string;
  file: string;
  /** `image`, `npy` or `raw`. */
  kind: "image" | "npy" | "raw";
  /** The image as decoded (images only). */
  image?: { format: string; width: number; height: number; channels: number; bitDepth: number };
  /** Resize and scaling applied (images only). */
  preprocessing?: {
    resize: { height: number; width: number; method: string };
    channels: "gray" | "rgb";
    scale: number;
    mean: number[];
    std: number[];
  };
  /** The array's dtype and shape (.npy only). */
  npy?: { dtype: string; shape: number[] };
  /** Scale and zero point used to quantize float values for an int8/uint8 input. */
  quantized?: { scale: number; zeroPoint: number };
}

/** One model output, for the report. */
export interface OutputReport {
  name: string;
  shape: number[];
  type: string;
  /** Highest scores first (class-vector outputs). */
  top?: { index: number; label?: string; score: number }[];
  min: number;
  max: number;
  mean: number;
  /** Where it was written (`--output`). */
  file?: string;
}

/** Everything a run did: printed as text or, with `--json`, as JSON. */
export interface RunReport {
  model: string;
  /** `interpreter.kernels.backend`: where the binary kernels ran. */
  backend: "native" | "wasm" | "reference";
  threads: number;
  inputs: InputReport[];
  outputs: OutputReport[];
  /** Wall time of the one `invoke` (ms). */
  latency_ms: number;
}

const TF_RESIZE = "bilinear (tf.image.resize default: half-pixel centers, no antialias)";
const RAW_EXTENSIONS = [".bin", ".f32", ".raw"];
const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"];

/** A number option: finite, and passing `ok` (described by `want` in the error). */
function numberOption(flag: string, text: string, ok: (v: number) => boolean, want: string): number {
  const v = text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(v) || !ok(v)) throw new Error(`--${flag} must be ${want}, got "${text}"`);
  return v;
}

/** `--mean` / `--std`: one number or a comma-separated list. */
function numberList(flag: string, text: string, ok: (v: number) => boolean, want: string): number[] {
  const values = text.split(",").map((t) => t.trim() === "" ? NaN : Number(t));
  if (values.some((v) => !Number.isFinite(v) || !ok(v))) throw new Error(`--${flag} must be ${want}, got "${text}"`);
  return values;
}

/** Options taking a value that may be a negative number (`--mean -1`), which parseArgs would take for a flag. */
const NUMBER_OPTIONS = new Set(["--top", "--scale", "--mean", "--std", "--threads"]);

/** `--mean -1` → `--mean=-1`, so negative numbers reach the value checks. */
function joinNegativeValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (NUMBER_OPTIONS.has(args[i]) && /^-[\d.]/.test(args[i + 1] ?? "")) out.push(`${args[i]}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

/** The command-line options (node:util parseArgs syntax). */
const OPTIONS = {
  input: { type: "string", short: "i", multiple: true },
  output: { type: "string", short: "o", multiple: true },
  top: { type: "string" },
  labels: { type: "string" },
  scale: { type: "string" },
  mean: { type: "string" },
  std: { type: "string" },
  threads: { type: "string" },
  backend: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Parses the command line (`--help` is handled by the caller). Bad values throw; usage mistakes throw UsageError. */
export function parseRunArgs(args: string[]): RunArgs {
  const { values: v, positionals } = parseCli(joinNegativeValues(args), OPTIONS);
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "give the model file" : `one model only, got ${positionals}`);
  }
  if (!v.input?.length) throw new UsageError("give --input FILE, once per model input");
  const backend = v.backend ?? "auto";
  if (!isBackend(backend)) throw new Error(badBackend("--backend", backend));
  const int = (x: number) => Number.isInteger(x);
  return {
    model: positionals[0],
    inputs: v.input,
    top: v.top === undefined ? 5 : numberOption("top", v.top, (x) => int(x) && x >= 0, "an integer >= 0"),
    labels: v.labels,
    outputs: v.output ?? [],
    threads: v.threads === undefined
      ? 1
      : numberOption("threads", v.threads, (x) => int(x) && x >= 1 && x <= MAX_THREADS, `an integer 1..${MAX_THREADS}`),
    backend,
    json: v.json ?? false,
    normalization: {
      scale: v.scale === undefined ? 1 / 255 : numberOption("scale", v.scale, (x) => x !== 0, "a nonzero number"),
      mean: numberList("mean", v.mean ?? "0", () => true, "a number or numbers separated by commas"),
      std: numberList("std", v.std ?? "1", (x) => x !== 0, "nonzero numbers separated by commas"),
    },
  };
}

/** Reads a file, or fails with a one-line reason naming it (`what`: "model", "input", "labels file"). */
export async function readNamedFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : e instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : (e as Error).message;
    throw new Error(`cannot read ${what} "${path}": ${reason}; check the path`);
  }
}

/** Loads the model; its typed errors (ModelFormatError, ...) keep their message, prefixed with the path. */
export async function loadModel(
  path: string,
  options: { threads: number; backend: RunArgs["backend"] },
): Promise<{ interpreter: Interpreter; bytes: Uint8Array }> {
  const bytes = await readNamedFile(path, "model");
  try {
    return {
      interpreter: Interpreter.fromBytes(bytes, { numThreads: options.threads, backend: options.backend }),
      bytes,
    };
  } catch (e) {
    if (e instanceof ModelFormatError) throw new Error(`${path}: ${e.message} (is it a .tflite file?)`);
    if (e instanceof ModelValidationError || e instanceof UnsupportedModelError) {
      throw new Error(`${path}: ${e.message}`);
    }
    throw e; // NativeLibraryError (--backend native without the library) etc.: their own message
  }
}

/** One line per input: `"name" [1,16,16,3] FLOAT32`. */
function describeInputs(specs: readonly TensorSpec[]): string {
  return specs.map((s) => `"${s.name}" [${s.shape}] ${s.type}`).join(", ");
}

/**
 * Matches `--input` values to the model's inputs: `NAME=FILE` by name (when
 * NAME is an input's name), the others in order into the inputs left.
 * Returns the file of each input, in the model's order.
 */
export function assignInputs(specs: readonly TensorSpec[], given: readonly string[]): string[] {
  const files: (string | undefined)[] = specs.map(() => undefined);
  const positional: string[] = [];
  for (const g of given) {
    const eq = g.indexOf("=");
    const k = eq > 0 ? specs.findIndex((s) => s.name === g.slice(0, eq)) : -1;
    if (k < 0) positional.push(g);
    else if (files[k] !== undefined) throw new Error(`input "${specs[k].name}" is given twice; give it once`);
    else files[k] = g.slice(eq + 1);
  }
  const free = files.flatMap((f, k) => f === undefined ? [k] : []);
  if (positional.length !== free.length) {
    throw new Error(
      `the model has ${specs.length} input${specs.length === 1 ? "" : "s"} (${describeInputs(specs)}) but ` +
        `${given.length} --input ${given.length === 1 ? "was" : "were"} given; give --input once per input, ` +
        `in this order, or as --input NAME=FILE`,
    );
  }
  free.forEach((k, j) => files[k] = positional[j]);
  return files as string[];
}

/** Height, width and channels of an image input: shape [1, H, W, C] or [H, W, C]. */
export function imageGeometry(spec: TensorSpec): { height: number; width: number; channels: number } {
  const s = spec.shape;
  if (s.length === 4 && s[0] === 1) return { height: s[1], width: s[2], channels: s[3] };
  if (s.length === 3) return { height: s[0], width: s[1], channels: s[2] };
  throw new Error(
    `input "${spec.name}" has shape [${s}], not an image shape [1, H, W, C]; give a .npy or raw file instead`,
  );
}

/** An image as the input's float values: channels, TF bilinear resize, `(x * scale - mean) / std`. */
export function imageToInput(
  img: DecodedImage,
  spec: TensorSpec,
  n: Normalization,
): { values: Float32Array; preprocessing: NonNullable<InputReport["preprocessing"]> } {
  const { height, width, channels } = imageGeometry(spec);
  if (channels !== 1 && channels !== 3) {
    throw new Error(
      `input "${spec.name}" [${spec.shape}] has ${channels} channels; images convert to 1 (gray) or 3 (RGB) ` +
        `channels, so give a .npy or raw file instead`,
    );
  }
  const values = normalize(resizeBilinear(toChannels(img, channels), height, width), n);
  const per = (v: readonly number[]) => Array.from({ length: channels }, (_, k) => v[v.length === 1 ? 0 : k]);
  return {
    values,
    preprocessing: {
      resize: { height, width, method: TF_RESIZE },
      channels: channels === 1 ? "gray" : "rgb",
      scale: n.scale,
      mean: per(n.mean),
      std: per(n.std),
    },
  };
}

/** TFLite's float → int8/uint8: `round(x / scale) + zero_point` (half away from zero), clamped. */
export function quantize(values: ArrayLike<number>, q: { scale: number; zeroPoint: number }, type: string): TensorData {
  const [lo, hi] = type === "INT8" ? [-128, 127] : [0, 255];
  const out = type === "INT8" ? new Int8Array(values.length) : new Uint8Array(values.length);
  const scale = Math.fround(q.scale);
  for (let i = 0; i < values.length; i++) {
    const x = Math.fround(values[i] / scale);
    const r = Math.sign(x) * Math.round(Math.abs(x)) + q.zeroPoint;
    out[i] = Math.min(hi, Math.max(lo, r));
  }
  return out;
}

/** The per-tensor scale and zero point of a quantized input, or an error saying what is missing. */
function inputQuantization(spec: TensorSpec, q: Quantization | null): { scale: number; zeroPoint: number } {
  if (q === null || q.scale.length !== 1 || !(q.scale[0] > 0)) {
    throw new Error(
      `input "${spec.name}" is ${spec.type} but the file gives it no single scale and zero point to quantize ` +
        `float values with; give a .npy of ${spec.type.toLowerCase()} values instead`,
    );
  }
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] ?? 0 };
}

/** Float values (an image, a float .npy, a raw file) as the input's type: float32, or quantized int8/uint8. */
export function floatsToInput(
  values: ArrayLike<number>,
  spec: TensorSpec,
  quantization: () => Quantization | null,
): { data: TensorData; quantized?: { scale: number; zeroPoint: number } } {
  if (spec.type === "FLOAT32") return { data: values instanceof Float32Array ? values : Float32Array.from(values) };
  if (spec.type === "INT8" || spec.type === "UINT8") {
    const q = inputQuantization(spec, quantization());
    return { data: quantize(values, q, spec.type), quantized: q };
  }
  throw new Error(
    `input "${spec.name}" is ${spec.type}; images and float files feed FLOAT32, INT8 and UINT8 inputs; ` +
      `give a .npy of the input's type instead`,
  );
}

/** Checks a .npy's shape against the input's (with or without its batch of 1). */
function checkNpyShape(arr: NpyArray, spec: TensorSpec, file: string): void {
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (same(arr.shape, spec.shape) || (spec.shape[0] === 1 && same(arr.shape, spec.shape.slice(1)))) return;
  throw new Error(
    `${file} has shape (${arr.shape}) but input "${spec.name}" is [${spec.shape}]; save an array of that shape ` +
      `(the batch dimension of 1 may be left out)`,
  );
}

/** A .npy array as the input's data: same-type integers as they are, floats cast or quantized. */
export function npyToInput(
  arr: NpyArray,
  spec: TensorSpec,
  file: string,
  quantization: () => Quantization | null,
): { data: TensorData; quantized?: { scale: number; zeroPoint: number } } {
  checkNpyShape(arr, spec, file);
  const integer = arr.dtype !== "float32" && arr.dtype !== "float64";
  if (spec.type === "INT8" && arr.dtype === "int8") return { data: arr.data as Int8Array };
  if (spec.type === "UINT8" && arr.dtype === "uint8") return { data: arr.data as Uint8Array };
  if (spec.type === "INT32" && integer) return { data: Int32Array.from(arr.data as ArrayLike<number>) };
  if (spec.type === "FLOAT32" || !integer) return floatsToInput(arr.data as ArrayLike<number>, spec, quantization);
  throw new Error(
    `${file} holds ${arr.dtype} but input "${spec.name}" is ${spec.type}; give ${spec.type.toLowerCase()} ` +
      `or float values`,
  );
}

/** A raw file: little-endian float32, exactly the input's element count. */
export function rawToFloats(bytes: Uint8Array, spec: TensorSpec, file: string): Float32Array {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== count * 4) {
    throw new Error(
      `${file} has ${bytes.length} bytes, but input "${spec.name}" [${spec.shape}] takes ${count} float32 ` +
        `values = ${count * 4} bytes; write exactly that many little-endian float32 values`,
    );
  }
  const copy = new Float32Array(count);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/** What an input file holds, by its extension: an image, a .npy array or raw float32. */
export function inputKind(file: string): InputReport["kind"] {
  const base = file.slice(Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\")) + 1);
  const ext = base.lastIndexOf(".") > 0 ? base.slice(base.lastIndexOf(".")).toLowerCase() : "";
  if (IMAGE_EXTENSIONS.includes(ext)) return "image";
  if (ext === ".npy") return "npy";
  if (RAW_EXTENSIONS.includes(ext)) return "raw";
  throw new Error(
    `${file}: unknown input type "${ext || "(no extension)"}"; give a ${IMAGE_EXTENSIONS.join("/")} image, ` +
      `a .npy array, or raw little-endian float32 (${RAW_EXTENSIONS.join("/")})`,
  );
}

/** One input from its file, chosen by extension: image, .npy or raw float32. */
export function prepareInput(
  spec: TensorSpec,
  file: string,
  bytes: Uint8Array,
  n: Normalization,
  quantization: () => Quantization | null,
): { data: TensorData; report: InputReport } {
  const kind = inputKind(file);
  const base = { name: spec.name, shape: [...spec.shape], type: spec.type, file };
  if (kind === "image") {
    let img: DecodedImage;
    try {
      img = decodeImage(bytes);
    } catch (e) {
      throw new Error(`${file} ${(e as Error).message}; give a valid PNG or JPEG file`);
    }
    const { values, preprocessing } = imageToInput(img, spec, n);
    const { data, quantized } = floatsToInput(values, spec, quantization);
    const { format, width, height, channels, bitDepth } = img;
    const image = { format, width, height, channels, bitDepth };
    return { data, report: { ...base, kind: "image", image, preprocessing, ...(quantized && { quantized }) } };
  }
  if (kind === "npy") {
    let arr: NpyArray;
    try {
      arr = readNpy(bytes);
    } catch (e) {
      throw new Error(`${file} ${(e as Error).message}`);
    }
    const { data, quantized } = npyToInput(arr, spec, file, quantization);
    const npy = { dtype: arr.dtype, shape: arr.shape };
    return { data, report: { ...base, kind: "npy", npy, ...(quantized && { quantized }) } };
  }
  const { data, quantized } = floatsToInput(rawToFloats(bytes, spec, file), spec, quantization);
  return { data, report: { ...base, kind: "raw", ...(quantized && { quantized }) } };
}

/** A class vector: one dimension of more than 1 element, the last (shape [1, N], [N], [1, 1, 1, N]). */
export function isClassVector(shape: readonly number[]): boolean {
  return shape.length > 0 && shape.at(-1)! > 1 && shape.slice(0, -1).every((d) => d === 1);
}

/** The `k` highest scores, highest first (ties: lower index first). */
export function topK(
  values: ArrayLike<number | bigint>,
  k: number,
  labels?: readonly string[],
): { index: number; label?: string; score: number }[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => Number(values[b]) - Number(values[a]) || a - b);
  return idx.slice(0, k).map((index) => ({
    index,
    ...(labels && { label: labels[index] }),
    score: Number(values[index]),
  }));
}

/** Labels, one per line (a final newline is not a label). */
export function parseLabels(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Checks the labels against every class-vector output's class count. */
export function checkLabels(labels: readonly string[], specs: readonly TensorSpec[], file: string): void {
  const classes = specs.filter((s) => isClassVector(s.shape));
  if (classes.length === 0) {
    throw new Error(`--labels ${file} was given, but no output is a class vector ([1, N]); leave --labels out`);
  }
  for (const s of classes) {
    const n = s.shape.at(-1)!;
    if (labels.length !== n) {
      throw new Error(
        `${file} has ${labels.length} labels but output "${s.name}" has ${n} classes; give one label per line, ` +
          `one per class`,
      );
    }
  }
}

/** `--output` files: one per output, or one name `F.npy` for all (F.npy, F_1.npy, ...). */
export function outputFiles(given: readonly string[], count: number): string[] {
  for (const f of given) {
    if (!f.toLowerCase().endsWith(".npy")) {
      throw new Error(`--output ${f}: outputs are written as .npy; end it in .npy`);
    }
  }
  if (given.length === count) return [...given];
  if (given.length === 1) {
    return Array.from({ length: count }, (_, k) => k === 0 ? given[0] : given[0].replace(/\.npy$/i, `_${k}.npy`));
  }
  throw new Error(
    `the model has ${count} outputs but ${given.length} --output files were given; give one, or ${count}`,
  );
}

/** The NumPy descr of an output tensor type whose typed array does not say it (float16 bits, bools). */
function npyDescr(type: string): string | undefined {
  return type === "FLOAT16" ? "<f2" : type === "BOOL" ? "|b1" : undefined;
}

/** Min, max and mean of an output. */
function stats(values: ArrayLike<number | bigint>): { min: number; max: number; mean: number } {
  let min = Infinity, max = -Infinity, sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, max, mean: values.length ? sum / values.length : NaN };
}

/** The report of each output: stats, top-k for class vectors. */
export function reportOutputs(
  specs: readonly TensorSpec[],
  results: readonly TensorData[],
  top: number,
  labels?: readonly string[],
): OutputReport[] {
  return specs.map((s, k) => ({
    name: s.name,
    shape: [...s.shape],
    type: s.type,
    ...(top > 0 && isClassVector(s.shape) && { top: topK(results[k], top, labels) }),
    ...stats(results[k]),
  }));
}

/** Writes the outputs as .npy files (atomically). */
async function writeOutputs(
  specs: readonly TensorSpec[],
  results: readonly TensorData[],
  files: readonly string[],
  reports: OutputReport[],
): Promise<void> {
  for (let k = 0; k < specs.length; k++) {
    try {
      await writeFileAtomic(files[k], encodeNpy(results[k], specs[k].shape, npyDescr(specs[k].type)));
    } catch (e) {
      const reason = e instanceof Deno.errors.NotFound ? "its folder does not exist" : (e as Error).message;
      throw new Error(`cannot write --output ${files[k]}: ${reason}`);
    }
    reports[k].file = files[k];
  }
}

/** Reads every input file and prepares it for the model. */
async function prepareInputs(
  interpreter: Interpreter,
  modelBytes: Uint8Array,
  args: RunArgs,
): Promise<{ data: TensorData[]; reports: InputReport[] }> {
  const files = assignInputs(interpreter.inputs, args.inputs);
  files.forEach(inputKind); // an unknown extension fails before any file is read
  let model: ReturnType<typeof readModel> | undefined;
  const data: TensorData[] = [], reports: InputReport[] = [];
  for (const [k, spec] of interpreter.inputs.entries()) {
    const bytes = await readNamedFile(files[k], "input");
    const quantization = () => (model ??= readModel(modelBytes)).subgraphs[0].tensors[spec.index].quantization;
    const p = prepareInput(spec, files[k], bytes, args.normalization, quantization);
    data.push(p.data);
    reports.push(p.report);
  }
  return { data, reports };
}

/** Runs the model as the parsed command line says and returns the report (printing is the caller's). */
export async function run(a: RunArgs): Promise<RunReport> {
  const { interpreter, bytes } = await loadModel(a.model, a);
  let labels: string[] | undefined;
  if (a.labels !== undefined) {
    labels = parseLabels(new TextDecoder().decode(await readNamedFile(a.labels, "labels file")));
    checkLabels(labels, interpreter.outputs, a.labels);
  }
  const files = a.outputs.length ? outputFiles(a.outputs, interpreter.outputs.length) : [];
  const inputs = await prepareInputs(interpreter, bytes, a);
  const t0 = performance.now();
  const results = interpreter.invoke(inputs.data);
  const latency = performance.now() - t0;
  const outputs = reportOutputs(interpreter.outputs, results, a.top, labels);
  if (files.length) await writeOutputs(interpreter.outputs, results, files, outputs);
  return {
    model: a.model,
    backend: interpreter.kernels.backend,
    threads: a.threads,
    inputs: inputs.reports,
    outputs,
    latency_ms: latency,
  };
}

/** A number for the text report: integers as they are, others to 6 significant digits. */
function num(v: number): string {
  return Number.isInteger(v)
    ? String(v)
    : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6
    ? String(Number(v.toPrecision(6)))
    : v.toExponential(4);
}

/** How an input was made, in one line. */
function describeInput(r: InputReport): string {
  const head = `input  "${r.name}" [${r.shape}] ${r.type} <- ${r.file}`;
  const q = r.quantized ? `, quantized with scale ${num(r.quantized.scale)}, zero point ${r.quantized.zeroPoint}` : "";
  if (r.kind === "npy") return `${head}: .npy ${r.npy!.dtype} (${r.npy!.shape})${q}`;
  if (r.kind === "raw") return `${head}: raw float32${q}`;
  const i = r.image!, p = r.preprocessing!;
  const color = ["", "gray", "gray+alpha", "RGB", "RGBA"][i.channels];
  return `${head}: ${i.format.toUpperCase()} ${i.width}×${i.height} ${color} ${i.bitDepth}-bit → ${p.channels}, ` +
    `resized to ${p.resize.height}×${p.resize.width} (bilinear as tf.image.resize), ` +
    `(x * ${num(p.scale)} - [${p.mean.map(num)}]) / [${p.std.map(num)}]${q}`;
}

/** The report as text: inputs, top-k or stats of each output, files written, latency. */
export function formatRunReport(r: RunReport): string {
  const lines = [`model  ${r.model} (${r.backend} kernels, ${r.threads} thread${r.threads === 1 ? "" : "s"})`];
  lines.push(...r.inputs.map(describeInput));
  for (const o of r.outputs) {
    const where = o.file ? `, written to ${o.file}` : "";
    lines.push(
      `output "${o.name}" [${o.shape}] ${o.type}: min ${num(o.min)}, max ${num(o.max)}, mean ${num(o.mean)}${where}`,
    );
    const width = Math.max(...(o.top ?? []).map((t) => String(t.index).length));
    for (const [k, t] of (o.top ?? []).entries()) {
      const label = t.label === undefined ? "" : `  ${t.label}`;
      lines.push(
        `  ${String(k + 1).padStart(2)}. ${String(t.index).padStart(width)}  ${num(t.score).padStart(10)}${label}`,
      );
    }
  }
  lines.push(`latency ${r.latency_ms.toFixed(3)} ms (one invoke)`);
  return lines.join("\n");
}

if (import.meta.main) {
  await runCli("run", USAGE, async () => {
    if (Deno.args.includes("--help") || Deno.args.includes("-h")) return console.log(USAGE);
    const args = parseRunArgs(Deno.args);
    const report = await run(args);
    console.log(args.json ? JSON.stringify(report, null, 2) : formatRunReport(report));
  });
}
