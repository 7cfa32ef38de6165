/**
 * A load step after constant folding: a float CONV_2D whose input is an
 * LceDequantize (every value ±1) and whose folded filter is, per output
 * channel, one magnitude times signs (larq's `xnor_weight_scale`:
 * `sign(w) · mean|w|`) runs as a binary convolution with that magnitude as
 * its post-activation multiplier, on the LceDequantize's packed input. LCE's
 * converter leaves XNOR-Net's 6×6 layer so (37.7 M float weights, 151 MB
 * read per call); packed, it is 4.7 MB. The same sum: Σ ±1·(±s) = s · Σ ±1,
 * the binary side exact in integers and rounded once (the float side rounds
 * each partial sum), so outputs agree within float rounding. Same padding
 * pads the ±1 input with zeros, the binary convolution's `pad_values = 0`.
 * @module
 */
import type { TfliteModel } from "../tflite/model.ts";
import { Activation, TensorType } from "../tflite/schema.ts";
import { wordsFor } from "../kernels/reference_kernels.ts";
import type { PlannedOp } from "./fuse.ts";
import { lceBconv2d } from "./ops/lce.ts";
import type { OpContext, OpKernel, TensorInfo } from "./ops/_types.ts";
import { opName } from "./validate.ts";

/** The label the rewritten convolutions run and profile under. */
export const BINARIZED_CONV_LABEL = "CONV_2D→LceBconv2d";

/**
 * Each output channel's common magnitude |w| of an OHWI filter with `cout`
 * channels, or null when some channel's values differ in magnitude or are
 * not finite.
 *
 * @example
 * ```ts
 * import { channelScales } from "./binarize.ts";
 * console.log(channelScales(new Float32Array([0.5, -0.5, 2, -2]), 2)); // Float32Array [0.5, 2]
 * console.log(channelScales(new Float32Array([0.5, -0.25, 2, -2]), 2)); // null
 * ```
 */
export function channelScales(filter: Float32Array, cout: number): Float32Array | null {
  const depth = filter.length / cout;
  const scales = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    const s = Math.abs(filter[o * depth]);
    if (!Number.isFinite(s)) return null;
    for (let i = o * depth + 1; i < (o + 1) * depth; i++) if (Math.abs(filter[i]) !== s) return null;
    scales[o] = s;
  }
  return scales;
}

/**
 * The operators of `operators` (the run order after folding) with every
 * float CONV_2D of the module doc's pattern replaced by a binary convolution
 * reading the LceDequantize's input, and each LceDequantize that no other op
 * or model output then reads removed.
 */
export function binarizeFloatConvs(
  model: TfliteModel,
  operators: readonly PlannedOp[],
  tensors: readonly TensorInfo[],
): PlannedOp[] {
  const g = model.subgraphs[0];
  const producer = new Map<number, PlannedOp>();
  for (const p of operators) for (const t of p.op.outputs) producer.set(t, p);
  const rewritten = operators.map((planned) => {
    const dequantize = producer.get(planned.op.inputs[0]);
    if (dequantize === undefined || !isDequantize(model, dequantize)) return planned;
    const scales = binaryScales(model, planned, tensors);
    if (scales === null) return planned;
    const op = { ...planned.op, inputs: [dequantize.op.inputs[0], ...planned.op.inputs.slice(1)] };
    return { ...planned, op, fused: BINARIZED_CONV_LABEL, kernel: binarizedConv(scales) };
  });
  const read = new Set<number>(g.outputs);
  for (const p of rewritten) for (const t of p.op.inputs) read.add(t);
  return rewritten.filter((p) => !isDequantize(model, p) || read.has(p.op.outputs[0]));
}

function isDequantize(model: TfliteModel, p: PlannedOp): boolean {
  return p.fused === null && opName(model, p.op) === "LceDequantize" && p.op.inputs.length === 1;
}

/** The filter's per-channel magnitudes when `planned` is a float CONV_2D the binary convolution computes. */
function binaryScales(model: TfliteModel, planned: PlannedOp, tensors: readonly TensorInfo[]): Float32Array | null {
  const { op } = planned;
  if (planned.fused !== null || opName(model, op) !== "CONV_2D" || op.outputs.length !== 1) return null;
  if (op.inputs.length < 2 || op.inputs.length > 3) return null;
  const activation = op.builtinOptions?.fused_activation_function ?? Activation.NONE;
  if (activation !== Activation.NONE) return null; // LceBconv2d clamps the dot product, CONV_2D the output
  const [x, f] = [tensors[op.inputs[0]], tensors[op.inputs[1]]];
  const b = op.inputs[2] ?? -1;
  if (!(f.constant instanceof Float32Array) || f.shape.length !== 4 || x.shape.length !== 4) return null;
  if (f.shape[3] !== x.shape[3]) return null; // grouped
  if (b >= 0 && !(tensors[b].constant instanceof Float32Array && tensors[b].shape[0] === f.shape[0])) return null;
  return channelScales(f.constant, f.shape[0]);
}

/** A CONV_2D kernel (inputs: packed ±1 input, float filter, optional bias) running LceBconv2d. */
function binarizedConv(scales: Float32Array): OpKernel {
  return {
    prepare(ctx) {
      const [x, f, b] = ctx.inputs;
      const [cout, kh, kw, cin] = f!.shape;
      const words = new Uint32Array(cout * kh * kw * wordsFor(cin));
      ctx.kernels.bitpack(f!.constant as Float32Array, cin, { out: words });
      const bias = b ? Float32Array.from(b.constant as Float32Array) : new Float32Array(cout);
      const info = (name: string, type: number, shape: number[], constant: TensorInfo["constant"]): TensorInfo => ({
        index: -1,
        name,
        type,
        shape,
        constant,
        scale: [],
        zeroPoint: [],
      });
      const o = ctx.options ?? {};
      const inner: OpContext = {
        ...ctx,
        inputs: [
          x,
          info(`${f!.name} (signs)`, TensorType.INT32, [cout, kh, kw, wordsFor(cin)], new Int32Array(words.buffer)),
          info(`${f!.name} (magnitudes)`, TensorType.FLOAT32, [cout], scales),
          info(b ? b.name : "bias", TensorType.FLOAT32, [cout], bias),
          null,
        ],
        options: null,
        custom: {
          channels_in: cin,
          stride_height: o.stride_h,
          stride_width: o.stride_w,
          dilation_height_factor: o.dilation_h_factor,
          dilation_width_factor: o.dilation_w_factor,
          padding: o.padding,
          pad_values: 0,
          fused_activation_function: 0,
        },
      };
      const p = lceBconv2d.prepare(inner);
      return {
        outputShapes: p.outputShapes,
        scratchBytes: p.scratchBytes,
        packedInputs: [1, 2],
        ownedBytes: (p.ownedBytes ?? 0) + scales.byteLength + bias.byteLength,
        run: ({ inputs, outputs, scratch }) =>
          p.run({ inputs: [inputs[0], null, scales, bias, null], outputs, scratch }),
      };
    },
  };
}
