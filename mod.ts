/**
 * onebit: binarized neural networks in TypeScript, with native Zig kernels.
 *
 * Train (autograd, every larq quantizer, Keras-like quantized layers, Bop/
 * Adam/SGD, larq-style summary), convert (`convert`: a onebit model to a
 * `.tflite` with LCE's binary ops and fusions, plus a report of what became
 * binary and why not) and run (`Interpreter`: files made by onebit or by
 * Larq Compute Engine's converter, on a native library built from
 * `kernels_zig/` with AVX2, AVX-512 VPOPCNTDQ and NEON micro-kernels chosen
 * at run time, on its WebAssembly build (SIMD128, shipped in the package:
 * no build step for a URL import or a browser), or on pure-TypeScript
 * reference kernels).
 *
 * @example
 * ```ts
 * import { convert, Interpreter, QuantConv2D, Sequential } from "./mod.ts";
 * const model = new Sequential([
 *   new QuantConv2D(32, 3, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign", kernelConstraint: "weight_clip" }),
 * ], { seed: 1 });
 * const { bytes, report } = convert(model, { inputShape: [6, 6, 32] });
 * console.log(report.layers[0].binary); // true
 * const [y] = Interpreter.fromBytes(bytes).invoke([new Float32Array(6 * 6 * 32).fill(1)]);
 * console.log(y.length); // 512
 * ```
 *
 * @example
 * ```ts
 * import { BinaryKernels } from "./mod.ts";
 * const k = BinaryKernels.auto({ threads: 2 }); // native if built, else wasm, else reference
 * const x = k.bitpack(new Float32Array([0.3, -1.2, 2, -0.1]), 4);
 * const w = k.packRhs(k.bitpack(new Float32Array([1, -1, 1, 1]), 4), 1);
 * console.log(k.bgemmF32(x, w, { depthBits: 4 })[0]); // 2
 * ```
 * @module
 */
export {
  type Bconv2dB32Options,
  type Bconv2dF32Options,
  bconv2dWorkspaceWords,
  type BgemmB32Options,
  type BgemmF32Options,
  BinaryKernels,
  type CallOptions,
  type ConvGeometry,
  type ConvPlan,
  type FloatTransform,
  type KernelsOptions,
  MAX_THREADS,
  type PackedRhs,
  planConv,
  type UkernelDescription,
} from "./kernels/binary_kernels.ts";
export { CHANNEL_BLOCK, wordsFor } from "./kernels/reference_kernels.ts";
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
export { type Backend, BACKENDS, type LibraryOptions } from "./kernels/backend.ts";
export type { KernelLibrary } from "./kernels/abi.ts";
export { Interpreter, type InterpreterOptions, type OpProfile, type TensorSpec } from "./runtime/interpreter.ts";
export {
  type Clamp,
  type ExplicitPadding,
  type FloatCallOptions,
  FloatKernels,
  type FloatKernelsOptions,
  type PackedF32,
  type WindowGeometry,
} from "./kernels/float_kernels.ts";
export {
  type BnBackward,
  type BnForward,
  type ConvMaxPool,
  convMaxPoolRefusal,
  type DepthwiseGeometry,
  type GatherLayout,
  type MaxPoolWindow,
  TrainKernels,
  type TrainKernelsOptions,
} from "./kernels/train_kernels.ts";
export { readModel } from "./tflite/reader.ts";
export { writeModel } from "./tflite/writer.ts";
export { ModelFormatError, ModelValidationError, UnsupportedModelError } from "./tflite/errors.ts";
export type { Operator, OperatorCode, Subgraph, Tensor as TfliteTensor, TfliteModel } from "./tflite/model.ts";
export { type Data, type DType, type NestedArray, Tensor, Variable } from "./graph/tensor.ts";
export { clearStepBuffers, withStepBuffers } from "./kernels/_step_buffers.ts";
export * as ops from "./graph/ops.ts";
export {
  customGradient,
  noGrad,
  type OpTimer,
  registerGradient,
  setOpTimer,
  stopGradient,
  valueAndGrads,
} from "./graph/tape.ts";
export { type OpTimes, TrainingProfile } from "./graph/profile.ts";
export { checkGradients, type GradCheckResult } from "./graph/grad_check.ts";
export { Quantizer, type QuantizerConfig } from "./quantizers/quantizer.ts";
export { customQuantizer, getQuantizer, quantizerNames } from "./quantizers/registry.ts";
export { SteSign } from "./quantizers/ste_sign.ts";
export { ApproxSign } from "./quantizers/approx_sign.ts";
export { SwishSign } from "./quantizers/swish_sign.ts";
export { MagnitudeAwareSign } from "./quantizers/magnitude_aware_sign.ts";
export { SteHeaviside } from "./quantizers/ste_heaviside.ts";
export { SteTern } from "./quantizers/ste_tern.ts";
export { DoReFa } from "./quantizers/dorefa.ts";
export { NoOp } from "./quantizers/noop.ts";
export { XnorWeightScale } from "./quantizers/xnor_weight_scale.ts";
export { MagnitudeAwareSignUnclipped } from "./quantizers/magnitude_aware_sign_unclipped.ts";
export * as nn from "./graph/nn.ts";
export {
  conv1d,
  conv2d,
  conv2dTranspose,
  depthwiseConv1d,
  depthwiseConv2d,
  type Padding,
  steSignConv2d,
} from "./graph/conv.ts";
export {
  conv3d,
  type Conv3dOptions,
  conv3dTranspose,
  type Conv3dTransposeOptions,
  type Triple,
} from "./graph/conv3d.ts";
export {
  locallyConnected1d,
  type LocallyConnected1dOptions,
  locallyConnected2d,
  type LocallyConnected2dOptions,
} from "./graph/locally_connected.ts";
export { setTrainingKernels, trainingBackend, trainingKernels } from "./graph/native.ts";
export {
  type Config,
  type Constraint,
  type ConstraintLike,
  getConstraint,
  kerasClassName,
  Layer,
  type LayerClass,
  type TensorRef,
  type Weight,
  weightClip,
  weightClipValue,
} from "./layers/layer.ts";
export * from "./layers/all.ts";
export type { FilterLayer, FilterLayerOptions } from "./layers/conv_variants.ts";
export type { Pool2D } from "./layers/pooling.ts";
export type { LocallyConnected } from "./layers/locally_connected.ts";
export {
  type KernelInitializer,
  type KernelOptions,
  type KernelRole,
  type QuantizerLike,
  QuantLayer,
  type QuantLayerOptions,
  type RegularizerLike,
} from "./layers/quant_layer.ts";
export { ConfigReader } from "./layers/config_reader.ts";
export { input, type LayerNode, link, resetInputNames, SymbolicTensor } from "./layers/symbolic.ts";
export { deserializeLayer, layerClass, type LayerConfig, layerNames, serializeLayer } from "./layers/registry.ts";
export { initialize, type Initializer, type InitializerName } from "./layers/initializers.ts";
export { seededRandom } from "./graph/random.ts";
export {
  Adam,
  type AdamOptions,
  AdamW,
  Bop,
  type BopOptions,
  CaseOptimizer,
  type ClipOptions,
  getOptimizer,
  type GradientPair,
  isBinaryWeight,
  KerasOptimizer,
  type KerasOptimizerOptions,
  type Optimizer,
  type OptimizerConfig,
  optimizerFromConfig,
  type OptimizerState,
  RMSprop,
  type RMSpropOptions,
  SGD,
  type SGDOptions,
} from "./train/optimizers.ts";
export {
  BinaryCrossentropy,
  CategoricalCrossentropy,
  type CrossentropyOptions,
  getLoss,
  type Loss,
  type LossConfig,
  MeanSquaredError,
  type SmoothedCrossentropyOptions,
  SparseCategoricalCrossentropy,
} from "./train/losses.ts";
export {
  type Accuracy,
  accuracyFor,
  BinaryAccuracy,
  CategoricalAccuracy,
  FlipRatio,
  getMetric,
  Mean,
  type MeanOfSamples,
  type Metric,
  type MetricConfig,
  SparseCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  TopKCategoricalAccuracy,
} from "./train/metrics.ts";
export { getRegularizer, L1, L1L2, L2, type Regularizer, type RegularizerConfig } from "./layers/regularizers.ts";
export { type LogitsKind, logitsOf, type MarkedLogits, markLogits } from "./graph/logits.ts";
export {
  type Callback,
  type EpochLogs,
  evaluate,
  type EvaluateOptions,
  fit,
  type FitOptions,
  fitSync,
  History,
  type Inputs,
  type Labels,
  type LossLike,
  type MetricLike,
  type Network,
  predict,
  type TrainingContext,
  type TrainingSetup,
} from "./train/fit.ts";
export {
  type CallbackConfig,
  callbackFromConfig,
  type CallbackFromConfigOptions,
  CSVLogger,
  type CSVLoggerOptions,
  EarlyStopping,
  earlyStopping,
  type EarlyStoppingOptions,
  HyperparameterScheduler,
  hyperparameterScheduler,
  LearningRateScheduler,
  LivePlot,
  type LivePlotOptions,
  type Mode,
  ModelCheckpoint,
  modelCheckpoint,
  type ModelCheckpointOptions,
  type Monitor,
  type NamedFunction,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  TerminateOnNaN,
} from "./train/callbacks.ts";
export { type CompileOptions, compileOptions, type OptimizerLike } from "./train/compile.ts";
export {
  cosineDecay,
  exponentialDecay,
  type LearningRate,
  type LearningRateSchedule,
  piecewiseConstantDecay,
} from "./train/schedules.ts";
export { decodeSafetensors, encodeSafetensors } from "./train/safetensors.ts";
export { recalibrateBatchNorm, type RecalibrateOptions, type RecalibrateResult } from "./train/recalibrate.ts";
export { type AnyIterable, Dataset, type Example, type ShuffleOptions, type Stacked } from "./train/data.ts";
export {
  AffineAugment,
  type AffineAugmentOptions,
  BaseRandomLayer,
  type Factor,
  type FillMode,
  type FlipMode,
  type Interpolation,
  type ProjectiveTransform,
} from "./layers/preprocessing.ts";
export { Model, type ModelConfig, type ModelFitOptions, type ModelGraph } from "./models/model.ts";
export { Sequential, type SequentialOptions } from "./models/sequential.ts";
export {
  modelOutline,
  summary,
  summaryHtml,
  type SummaryTables,
  summaryTables,
  summaryText,
} from "./models/summary.ts";
export { type Previewable, previewBundle, type PreviewOptions, previewText } from "./graph/preview.ts";
export { type Checkpointable, checkpointTensors, loadWeights, saveCheckpoint } from "./models/checkpoint.ts";
export { loadCheckpoint, loadModel } from "./models/load.ts";
export { modelFromConfig, modelToConfig } from "./models/serialize.ts";
export { quickNet, type QuickNetVariant } from "./zoo/quicknet.ts";
export { biRealNet } from "./zoo/birealnet.ts";
export { larqMnistCnn } from "./zoo/larq_mnist.ts";
export { loadKerasModel } from "./keras/load.ts";
export { loadWeightsH5, type LoadWeightsH5Options } from "./keras/weights.ts";
export {
  type KerasFileFormat,
  type KerasFileOptions,
  kerasModelBytes,
  saveKerasModel,
  saveWeightsH5,
  weightsH5Bytes,
} from "./keras/save.ts";
export type { BiRealNetOptions } from "./zoo/birealnet.ts";
export type { QuickNetOptions } from "./zoo/quicknet.ts";
export type { ZooOptions } from "./zoo/_common.ts";
export { binaryResNetE18 } from "./zoo/resnet_e.ts";
export { binaryDenseNet, type BinaryDenseNetVariant } from "./zoo/densenet.ts";
export { meliusNet22 } from "./zoo/meliusnet.ts";
export { xnorNet } from "./zoo/xnornet.ts";
export { doReFaNet } from "./zoo/dorefanet.ts";
export { binaryAlexNet } from "./zoo/binary_alexnet.ts";
export { realToBinaryNet } from "./zoo/real_to_binary_net.ts";
export {
  BN_RELU_COST,
  type ConversionReport,
  convert,
  type ConvertOptions,
  formatReport,
  type LayerReport,
  type LayerTiming,
  type TimingSetup,
} from "./convert/convert.ts";
export { measureLayers, type MeasureOptions } from "./convert/measure.ts";
export type { TraceOptions } from "./convert/trace.ts";
export { reportBundle, sizeLine } from "./convert/report_html.ts";
export { removeStaleTemporaries, writeFileAtomic, writeFileAtomicSync } from "./_fs.ts";
export { ConversionError } from "./convert/errors.ts";
export { formatSummary, modelGraph, type ModelSummary, type OpSummary, summarize } from "./tflite/summary.ts";
export { modelSvg } from "./tflite/model_svg.ts";
export {
  type Bar,
  barChart,
  type BarChartOptions,
  barChartSpec,
  historyChart,
  type HistoryChartOptions,
  type HistoryLike,
  historySeries,
  historyText,
  lineChart,
  type LineChartOptions,
  lineChartSpec,
  renderSvg,
  type Series,
  type VegaLiteSpec,
} from "./viz/chart.ts";
export {
  type Cell,
  type Displayable,
  type DisplayFunction,
  type DisplayOptions,
  escapeHtml,
  htmlBundle,
  htmlTable,
  inJupyter,
  JUPYTER_DISPLAY,
  jupyterDisplay,
  type MediaBundle,
  setJupyterDisplay,
  svgBundle,
  type TableOptions,
} from "./viz/html.ts";
export type { BinarizeMode, InputLowering } from "./quantizers/quantizer.ts";
export type { KernelSet } from "./kernels/_ukernels.ts";
export type { BoundConv } from "./kernels/binary_kernels.ts";
export {
  type BoundFloatOp,
  ELEMENTWISE_OPS,
  type ElementwiseOp,
  OPTIMIZER_OPS,
  type OptimizerOp,
  type OptimizerStepOptions,
  POOL_KINDS,
  type PoolKind,
  RESIZE_METHODS,
  type ResizeMethod,
  STRIDED_OPS,
  type StridedOp,
  type StridedView,
  UNARY_OPS,
  type UnaryOp,
} from "./kernels/float_kernels.ts";
export type { OpContext, OpIO, OpKernel, PreparedOp, TensorData, TensorInfo } from "./runtime/ops/_types.ts";
export { defaultRegistry, OpRegistry } from "./runtime/registry.ts";
export type { Fusion, GraphIndex } from "./runtime/fuse.ts";
export type { Metadata, OptionValue, Quantization, SignatureDef, TensorMap } from "./tflite/model.ts";
export type { Conv1dOptions, Conv2dOptions, Conv2dTransposeOptions } from "./graph/conv.ts";
export type { GradContext, GradFn } from "./graph/tape.ts";
export { enumName, SCHEMA_ENUMS, type SchemaEnum } from "./tflite/schema.ts";
export { type GraphRenderer, graphRenderer, setGraphRenderer } from "./viz/graph_description.ts";
export {
  binaryCell,
  type GraphDescription,
  type GraphEdge,
  type GraphNode,
  graphSvg,
  type GraphSvgOptions,
  NODE_COLORS,
  type NodeKind,
} from "./viz/graph.ts";
