/**
 * onebit's lean entry for running models: the `Interpreter` (`.tflite` files
 * made by onebit or by Larq Compute Engine's converter), its backends
 * (native, WebAssembly, TypeScript reference) and their types, and nothing
 * of training, conversion or pictures. It imports no `npm:` package and no
 * `node:` built-in (tests/package_lean_entry_test.ts checks its module
 * graph), so a program that only runs models pays neither Deno's npm set-up
 * nor the rest of the library's modules: import it as `@onebit/onebit/runtime`
 * (or `runtime.ts` by URL). `mod.ts` exports the same symbols and the rest.
 *
 * The interpreter's notebook display shows no graph picture here (that
 * needs `viz/graph.ts`, which loads dagre from npm); importing mod.ts adds it.
 *
 * @example
 * ```ts
 * import { Interpreter } from "./runtime.ts";
 * const bytes = Deno.readFileSync(new URL("./tests/fixtures/lce/quicknet_block.tflite", import.meta.url));
 * const it = Interpreter.fromBytes(bytes, { backend: "reference" });
 * const [y] = it.invoke([new Float32Array(16 * 16 * 3).fill(0.5)]);
 * console.log(it.inputs[0].shape, y.length); // [ 1, 16, 16, 3 ] 10
 * ```
 * @module
 */
export { Interpreter, type InterpreterOptions, type OpProfile, type TensorSpec } from "./runtime/interpreter.ts";
export { type Backend, BACKENDS, type LibraryOptions } from "./kernels/backend.ts";
export type { KernelLibrary } from "./kernels/abi.ts";
export {
  defaultLibraryUrl,
  libraryFileName,
  type LibrarySource,
  loadNative,
  type NativeLibrary,
  NativeLibraryError,
  openNative,
  type OpenNativeOptions,
  platformTriple,
  prepareNative,
} from "./kernels/native.ts";
export { releaseCacheDir, type ReleaseOptions } from "./kernels/native_release.ts";
export {
  defaultWasm,
  defaultWasmUrl,
  instantiateWasm,
  relaxedSimdSupported,
  type WasmLibrary,
  WasmMemoryError,
  WasmModuleError,
  type WasmSource,
} from "./kernels/wasm.ts";
export {
  type Bconv2dB32Options,
  type Bconv2dF32Options,
  type BgemmB32Options,
  type BgemmF32Options,
  BinaryKernels,
  type BoundConv,
  type CallOptions,
  type ConvGeometry,
  type FloatTransform,
  type KernelsOptions,
  MAX_THREADS,
  type PackedRhs,
  type UkernelDescription,
} from "./kernels/binary_kernels.ts";
export {
  type BoundFloatOp,
  type Clamp,
  ELEMENTWISE_OPS,
  type ElementwiseOp,
  type ExplicitPadding,
  type FloatCallOptions,
  FloatKernels,
  type FloatKernelsOptions,
  type PackedF32,
  POOL_KINDS,
  type PoolKind,
  RESIZE_METHODS,
  type ResizeMethod,
  STRIDED_OPS,
  type StridedOp,
  type StridedView,
  UNARY_OPS,
  type UnaryOp,
  type WindowGeometry,
} from "./kernels/float_kernels.ts";
export type { KernelSet } from "./kernels/_ukernels.ts";
export { JUPYTER_DISPLAY, type MediaBundle } from "./viz/html.ts";
export type {
  Metadata,
  Operator,
  OperatorCode,
  OptionValue,
  Quantization,
  SignatureDef,
  Subgraph,
  Tensor as TfliteTensor,
  TensorMap,
  TfliteModel,
} from "./tflite/model.ts";
export type { Fusion, GraphIndex } from "./runtime/fuse.ts";
export { ModelFormatError, ModelValidationError, UnsupportedModelError } from "./tflite/errors.ts";
export type { OpContext, OpIO, OpKernel, PreparedOp, TensorData, TensorInfo } from "./runtime/ops/_types.ts";
export { defaultRegistry, OpRegistry } from "./runtime/registry.ts";
