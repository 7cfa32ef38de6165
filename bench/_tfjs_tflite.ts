/**
 * Runs a float `.tflite` file on TensorFlow.js (wasm backend), for the
 * side-by-side benchmark: onebit's reader decodes the graph, each TFLite op
 * maps to the tfjs op with the same semantics. Only the ops of the zoo's
 * float-equivalent models are mapped.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { readModel } from "../tflite/reader.ts";
import { Activation, Builtin, builtinName, Padding } from "../tflite/schema.ts";

/** Where Deno keeps npm packages (`deno info --json`), for the backend's .wasm files. */
async function wasmDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" }).output();
  const npmCache = JSON.parse(new TextDecoder().decode(out.stdout)).npmCache as string;
  const pkg = JSON.parse(await Deno.readTextFile(new URL(import.meta.resolve("../deno.json")))).imports[
    "@tensorflow/tfjs-backend-wasm"
  ] as string;
  const version = pkg.split("@").pop();
  return `file://${npmCache}/registry.npmjs.org/@tensorflow/tfjs-backend-wasm/${version}/dist/`;
}

/** Selects the wasm backend with `threads` threads (1: the comparison's setting). */
export async function initTfjsWasm(threads = 1): Promise<void> {
  wasm.setWasmPaths(await wasmDir());
  wasm.setThreadsCount(threads);
  if (!(await tf.setBackend("wasm"))) throw new Error("tfjs wasm backend failed to initialise");
}

function act(x: tf.Tensor, code: unknown): tf.Tensor {
  switch (code) {
    case undefined:
    case Activation.NONE:
      return x;
    case Activation.RELU:
      return tf.relu(x);
    case Activation.RELU6:
      return tf.relu6(x);
    case Activation.RELU_N1_TO_1:
      return tf.clipByValue(x, -1, 1);
    default:
      throw new Error(`tfjs runner: activation ${code}`);
  }
}

/** A compiled float model: `run(input)` returns the outputs as typed arrays. */
export function tfjsModel(bytes: Uint8Array): { run(x: Float32Array): Promise<Float32Array[]>; dispose(): void } {
  const m = readModel(bytes);
  const g = m.subgraphs[0];
  const consts = new Map<number, tf.Tensor>();
  const constant = (i: number): tf.Tensor => {
    let t = consts.get(i);
    if (t === undefined) {
      const info = g.tensors[i];
      const raw = m.buffers[info.buffer].slice();
      // Kept across tidy scopes: created on first use inside run().
      t = tf.keep(
        info.type === 2
          ? tf.tensor(new Int32Array(raw.buffer), info.shape, "int32")
          : tf.tensor(new Float32Array(raw.buffer), info.shape, "float32"),
      );
      consts.set(i, t);
    }
    return t;
  };
  // Filters in tfjs layout, converted once.
  const hwio = new Map<number, tf.Tensor4D>();
  const filterOf = (i: number, depthwise: boolean, multiplier = 1): tf.Tensor4D => {
    let t = hwio.get(i);
    if (t === undefined) {
      const w = constant(i) as tf.Tensor4D;
      t = tf.keep(
        depthwise
          ? tf.reshape(w, [w.shape[1], w.shape[2], w.shape[3] / multiplier, multiplier]) as tf.Tensor4D
          : tf.transpose(w, [1, 2, 3, 0]),
      );
      hwio.set(i, t);
    }
    return t;
  };
  const ints = (i: number) => Array.from(constant(i).dataSync());
  /** A [n, 2] constant (paddings, crops) as pairs. */
  const pairsOf = (i: number) => {
    const p = ints(i);
    return Array.from({ length: p.length / 2 }, (_, k) => [p[2 * k], p[2 * k + 1]] as [number, number]);
  };
  const pad = (o: Record<string, unknown>) => o.padding === Padding.SAME ? "same" : "valid";
  return {
    async run(x: Float32Array) {
      const outs = tf.tidy(() => {
        const v = new Map<number, tf.Tensor>([[g.inputs[0], tf.tensor(x, g.tensors[g.inputs[0]].shape)]]);
        const get = (i: number) => v.get(i) ?? constant(i);
        for (const op of g.operators) {
          const code = m.operatorCodes[op.opcodeIndex].builtinCode;
          const o = (op.builtinOptions ?? {}) as Record<string, number | boolean | number[] | null>;
          const [a, b, c] = op.inputs;
          let y: tf.Tensor | tf.Tensor[];
          switch (code) {
            case Builtin.CONV_2D:
              y = tf.conv2d(
                get(a) as tf.Tensor4D,
                filterOf(b, false),
                [o.stride_h as number, o.stride_w as number],
                pad(o),
                "NHWC",
                [o.dilation_h_factor as number, o.dilation_w_factor as number],
              );
              if (c !== undefined && c >= 0) y = tf.add(y, get(c));
              y = act(y, o.fused_activation_function);
              break;
            case Builtin.DEPTHWISE_CONV_2D: {
              const xin = get(a) as tf.Tensor4D;
              const mult = g.tensors[b].shape[3] / xin.shape[3];
              y = tf.depthwiseConv2d(
                xin,
                filterOf(b, true, mult),
                [o.stride_h as number, o.stride_w as number],
                pad(o),
                "NHWC",
                [o.dilation_h_factor as number, o.dilation_w_factor as number],
              );
              if (c !== undefined && c >= 0) y = tf.add(y, get(c));
              y = act(y, o.fused_activation_function);
              break;
            }
            case Builtin.ADD:
              y = act(tf.add(get(a), get(b)), o.fused_activation_function);
              break;
            case Builtin.MUL:
              y = act(tf.mul(get(a), get(b)), o.fused_activation_function);
              break;
            case Builtin.MAX_POOL_2D:
            case Builtin.AVERAGE_POOL_2D: {
              const f = code === Builtin.MAX_POOL_2D ? tf.maxPool : tf.avgPool;
              y = act(
                f(get(a) as tf.Tensor4D, [o.filter_height as number, o.filter_width as number], [
                  o.stride_h as number,
                  o.stride_w as number,
                ], pad(o)),
                o.fused_activation_function,
              );
              break;
            }
            case Builtin.PADV2:
            case Builtin.PAD: {
              y = tf.pad(get(a), pairsOf(b), code === Builtin.PADV2 ? constant(c).dataSync()[0] : 0);
              break;
            }
            case Builtin.MEAN:
              y = tf.mean(get(a), Array.from(constant(b).dataSync()), o.keep_dims as boolean);
              break;
            case Builtin.FULLY_CONNECTED: {
              const w = constant(b);
              const xin = tf.reshape(get(a), [-1, w.shape[1]!]);
              y = tf.matMul(xin, w, false, true);
              if (c !== undefined && c >= 0) y = tf.add(y, get(c));
              y = tf.reshape(act(y, o.fused_activation_function), g.tensors[op.outputs[0]].shape); // keep_num_dims
              break;
            }
            case Builtin.RESHAPE:
              y = tf.reshape(get(a), g.tensors[op.outputs[0]].shape);
              break;
            case Builtin.SOFTMAX:
              y = tf.softmax(tf.mul(get(a), o.beta as number));
              break;
            case Builtin.RELU:
              y = tf.relu(get(a));
              break;
            case Builtin.LOGISTIC:
              y = tf.sigmoid(get(a));
              break;
            // The dynamic reshape TF writes (SHAPE → STRIDED_SLICE → PACK → RESHAPE's shape): small int32 ops.
            case Builtin.SHAPE:
              y = tf.tensor1d(get(a).shape, "int32");
              break;
            case Builtin.STRIDED_SLICE: {
              // Only what TF's dynamic reshapes hold: slicing a shape vector (tfjs's stridedSlice differs from
              // TFLite's on some masked, shrunk, reversed slices of larger ranks).
              if (g.tensors[a].shape.length !== 1) {
                throw new Error("tfjs runner: STRIDED_SLICE is mapped for rank-1 inputs (shape vectors) only");
              }
              const n = (k: string) => o[k] as number;
              y = tf.stridedSlice(
                get(a),
                ints(b),
                ints(c),
                ints(op.inputs[3]),
                n("begin_mask"),
                n("end_mask"),
                n("ellipsis_mask"),
                n("new_axis_mask"),
                n("shrink_axis_mask"),
              );
              break;
            }
            case Builtin.PACK:
              y = tf.stack(op.inputs.map(get), o.axis as number);
              break;
            case Builtin.MINIMUM:
              y = tf.minimum(get(a), get(b));
              break;
            case Builtin.MAXIMUM:
              y = tf.maximum(get(a), get(b));
              break;
            case Builtin.PRELU:
              y = tf.prelu(get(a), get(b));
              break;
            case Builtin.CONCATENATION:
              y = act(tf.concat(op.inputs.map(get), o.axis as number), o.fused_activation_function);
              break;
            case Builtin.SPLIT: // inputs: axis, value
              y = tf.split(get(b), o.num_splits as number, constant(a).dataSync()[0]);
              break;
            case Builtin.SPACE_TO_BATCH_ND: // inputs: value, block shape, paddings
              y = tf.spaceToBatchND(get(a), ints(b), pairsOf(c));
              break;
            case Builtin.BATCH_TO_SPACE_ND: // inputs: value, block shape, crops
              y = tf.batchToSpaceND(get(a), ints(b), pairsOf(c));
              break;
            default:
              throw new Error(`tfjs runner: no mapping for ${builtinName(code)}`);
          }
          (Array.isArray(y) ? y : [y]).forEach((t, k) => v.set(op.outputs[k], t));
        }
        return g.outputs.map((i) => v.get(i)!);
      });
      const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose(outs);
      return data;
    },
    dispose() {
      tf.dispose([...consts.values(), ...hwio.values()]);
    },
  };
}
