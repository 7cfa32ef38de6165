/**
 * The fusion step: the run order of a subgraph, with the operators a
 * registered {@link Fusion} merges replaced by one planned operator that
 * its own kernel runs, and the residual-block fusion onebit registers by
 * default.
 * @module
 */
import type { Operator, TfliteModel } from "../tflite/model.ts";
import { TensorType } from "../tflite/schema.ts";
import type { OpKernel } from "./ops/_types.ts";
import { opName } from "./validate.ts";

/** What a fusion looks at: the subgraph with each tensor's producer and readers. */
export interface GraphIndex {
  /** The model being planned. */
  model: TfliteModel;
  /** The operator writing each tensor (-1: none). */
  producer: Int32Array;
  /** The operators reading each tensor, in order. */
  readers: ReadonlyMap<number, readonly number[]>;
  /** The subgraph's outputs. */
  outputs: ReadonlySet<number>;
}

/** A merge of several operators into one kernel call. */
export interface Fusion {
  /** e.g. `LceBconv2d+ADD`. */
  readonly name: string;
  /** The kernel that runs the merged operator. */
  readonly kernel: OpKernel;
  /**
   * The merged operator starting at operator `k`, its label, and the later
   * operators it absorbs; null when the pattern does not start there.
   */
  match(g: GraphIndex, k: number): { op: Operator; label: string; absorbed: number[] } | null;
}

/** An operator as the interpreter runs it: one of the file's, or a fusion of several. */
export interface PlannedOp {
  op: Operator;
  /** Index of the (first) file operator. */
  index: number;
  /** The fusion's label (`LceBconv2d+ADD+LceQuantize`), or null for a file operator. */
  fused: string | null;
  /** The fusion's kernel; file operators are looked up in the registry when prepared. */
  kernel: OpKernel | null;
}

/** Indexes subgraph 0 for the fusions. */
export function indexGraph(model: TfliteModel): GraphIndex {
  const g = model.subgraphs[0];
  const producer = new Int32Array(g.tensors.length).fill(-1);
  const readers = new Map<number, number[]>();
  g.operators.forEach((op, k) => {
    op.outputs.forEach((t) => producer[t] = k);
    for (const t of op.inputs) if (t >= 0) readers.set(t, [...readers.get(t) ?? [], k]);
  });
  return { model, producer, readers, outputs: new Set(g.outputs) };
}

/** The run order: each operator where no fusion starts, else the first fusion that matches there. */
export function fuseOperators(model: TfliteModel, fusions: readonly Fusion[]): PlannedOp[] {
  const index = indexGraph(model);
  const removed = new Set<number>();
  const planned: PlannedOp[] = [];
  model.subgraphs[0].operators.forEach((op, k) => {
    if (removed.has(k)) return;
    for (const f of fusions) {
      const m = f.match(index, k);
      if (m === null) continue;
      for (const a of m.absorbed) removed.add(a);
      planned.push({ op: m.op, index: k, fused: m.label, kernel: f.kernel });
      return;
    }
    planned.push({ op, index: k, fused: null, kernel: null });
  });
  return planned;
}

/**
 * A float-output LceBconv2d whose output only an ADD reads (same shapes, no broadcast, the other operand computed
 * before the convolution), merged with that ADD, and with an LceQuantize of the sum when there is one: the
 * convolution's epilogue then adds and packs while its rows are in cache.
 */
export function residualFusion(kernel: OpKernel): Fusion {
  return {
    name: "LceBconv2d+ADD",
    kernel,
    match({ model, producer, readers, outputs }, k) {
      const g = model.subgraphs[0];
      const op = g.operators[k];
      const sameShape = (a: number, b: number) =>
        g.tensors[a].shape.length === g.tensors[b].shape.length &&
        g.tensors[a].shape.every((d, i) => d === g.tensors[b].shape[i]);
      const isFloat = (t: number) => g.tensors[t].type === TensorType.FLOAT32;
      if (opName(model, op) !== "LceBconv2d" || op.inputs.length !== 5 || op.inputs[4] >= 0) return null;
      const y = op.outputs[0];
      const r = readers.get(y) ?? [];
      if (op.outputs.length !== 1 || outputs.has(y) || !isFloat(y) || r.length !== 1) return null;
      const add = g.operators[r[0]];
      if (opName(model, add) !== "ADD" || add.inputs.length !== 2 || add.outputs.length !== 1) return null;
      const x = add.inputs[0] === y ? add.inputs[1] : add.inputs[0], z = add.outputs[0];
      if (x === y || x < 0 || !isFloat(x) || !isFloat(z) || !sameShape(x, y) || !sameShape(z, y)) return null;
      if (producer[x] >= k) return null; // the other operand must exist when the convolution runs
      const q = (readers.get(z) ?? []).find((j) => {
        const o = g.operators[j];
        return opName(model, o) === "LceQuantize" && o.inputs.length === 1 && o.outputs.length === 1;
      });
      return {
        op: {
          ...op,
          inputs: [...op.inputs, x],
          outputs: q === undefined ? [z] : [z, g.operators[q].outputs[0]],
          builtinOptions: add.builtinOptions,
        },
        label: q === undefined ? "LceBconv2d+ADD" : "LceBconv2d+ADD+LceQuantize",
        absorbed: q === undefined ? [r[0]] : [r[0], q],
      };
    },
  };
}

/**
 * A BatchNormalization left as MUL then ADD by per-channel constants (the MUL's output read only by the ADD; no
 * fused activations), merged into one pass, with an LceQuantize of the sum when one reads it: outputs the sum
 * (unless the LceQuantize is its only reader) and the packed signs. The same bits as the three ops (each
 * rounding kept), without writing and re-reading the intermediate tensors: DenseNets, MeliusNet, XNOR-Net.
 */
export function channelAffineFusion(kernel: OpKernel): Fusion {
  return {
    name: "MUL+ADD",
    kernel,
    match({ model, readers, outputs }, k) {
      const g = model.subgraphs[0];
      const mul = g.operators[k];
      const mulXC = perChannelOperands(model, mul, "MUL");
      if (mulXC === null) return null;
      const [x, scale] = mulXC, y = mul.outputs[0];
      const r = readers.get(y) ?? [];
      if (outputs.has(y) || r.length !== 1) return null;
      const add = g.operators[r[0]];
      const addXC = perChannelOperands(model, add, "ADD");
      if (addXC === null || addXC[0] !== y) return null;
      const z = add.outputs[0], zReaders = readers.get(z) ?? [];
      const q = zReaders.find((j) => {
        const o = g.operators[j];
        return opName(model, o) === "LceQuantize" && o.inputs.length === 1 && o.outputs.length === 1;
      });
      const keepSum = q === undefined || outputs.has(z) || zReaders.length > 1;
      const outs = [...(keepSum ? [z] : []), ...(q === undefined ? [] : [g.operators[q].outputs[0]])];
      return {
        op: { ...mul, inputs: [x, scale, addXC[1]], outputs: outs, builtinOptions: null },
        label: q === undefined ? "MUL+ADD" : "MUL+ADD+LceQuantize",
        absorbed: q === undefined ? [r[0]] : [r[0], q],
      };
    },
  };
}

/**
 * [x, c] of a float `name` op (two inputs, one output, no fused activation) whose operand c is a constant of the
 * file with one value per channel of x (shape [C] or [1, …, 1, C]) and x its output's shape; else null.
 */
function perChannelOperands(model: TfliteModel, op: Operator, name: string): [number, number] | null {
  const g = model.subgraphs[0];
  if (opName(model, op) !== name || op.inputs.length !== 2 || op.outputs.length !== 1) return null;
  if ((op.builtinOptions?.fused_activation_function ?? 0) !== 0) return null;
  const isConstant = (t: number) => t >= 0 && model.buffers[g.tensors[t].buffer]?.length > 0;
  const c = isConstant(op.inputs[1]) ? op.inputs[1] : op.inputs[0];
  const x = c === op.inputs[1] ? op.inputs[0] : op.inputs[1];
  if (x < 0 || isConstant(x) || !isConstant(c)) return null;
  const [xs, cs, ys] = [g.tensors[x].shape, g.tensors[c].shape, g.tensors[op.outputs[0]].shape];
  const channels = xs.at(-1);
  const float = [x, c, op.outputs[0]].every((t) => g.tensors[t].type === TensorType.FLOAT32);
  if (!float || channels === undefined || cs.length < 1 || cs.length > xs.length || cs.at(-1) !== channels) return null;
  if (cs.slice(0, -1).some((d) => d !== 1) || ys.length !== xs.length || ys.some((d, i) => d !== xs[i])) return null;
  return [x, c];
}

/**
 * A PAD of the last axis only (with zeros) whose output only an ADD reads, with a tensor of the padded shape
 * computed before the PAD (MeliusNet's "improvement" merge: `x[..., lo:hi] += y`): one op adding y into its
 * channel slice of x and adding +0 to the rest (the ADD's arithmetic, without the padded tensor). Options: the
 * ADD's, and `pad_before`, the padding's leading channels.
 */
export function padAddFusion(kernel: OpKernel): Fusion {
  return {
    name: "PAD+ADD",
    kernel,
    match({ model, producer, readers, outputs }, k) {
      const g = model.subgraphs[0];
      const pad = g.operators[k];
      if (opName(model, pad) !== "PAD" || pad.inputs.length !== 2 || pad.outputs.length !== 1) return null;
      const [y, paddings] = pad.inputs, p = pad.outputs[0];
      const pads = constantInt32(model, paddings);
      const rank = g.tensors[y]?.shape.length ?? 0;
      if (pads === null || pads.length !== 2 * rank || rank < 1) return null;
      if (pads.some((v, i) => v !== 0 && i < 2 * (rank - 1)) || pads.some((v) => v < 0)) return null;
      const r = readers.get(p) ?? [];
      if (outputs.has(p) || r.length !== 1) return null;
      const add = g.operators[r[0]];
      if (opName(model, add) !== "ADD" || add.inputs.length !== 2 || add.outputs.length !== 1) return null;
      const x = add.inputs[0] === p ? add.inputs[1] : add.inputs[0];
      if (x === p || x < 0 || producer[x] >= k || model.buffers[g.tensors[x].buffer]?.length > 0) return null;
      const float = [x, y, p, add.outputs[0]].every((t) => g.tensors[t].type === TensorType.FLOAT32);
      const xs = g.tensors[x].shape, ps = g.tensors[p].shape;
      if (!float || xs.length !== ps.length || xs.some((d, i) => d !== ps[i])) return null;
      return {
        op: {
          ...add,
          inputs: [x, y],
          outputs: add.outputs,
          builtinOptions: { ...add.builtinOptions, pad_before: pads[2 * rank - 2] },
        },
        label: "PAD+ADD",
        absorbed: [r[0]],
      };
    },
  };
}

/** The values of an INT32 constant of the file, or null. */
function constantInt32(model: TfliteModel, t: number): Int32Array | null {
  const tensor = model.subgraphs[0].tensors[t];
  const data = tensor === undefined ? undefined : model.buffers[tensor.buffer];
  if (tensor?.type !== TensorType.INT32 || data === undefined || data.length === 0 || data.length % 4 !== 0) {
    return null;
  }
  return new Int32Array(data.slice().buffer);
}

/**
 * MUL of a tensor by a per-channel vector (computed or constant), the PRELU (constant per-channel slopes) that
 * alone reads the product, and the ADD that alone reads that, with a tensor computed before the MUL (Real-to-Binary
 * Net's scaled residual blocks), merged into one pass; each op's rounding kept.
 */
export function scalePreluAddFusion(kernel: OpKernel): Fusion {
  return {
    name: "MUL+PRELU+ADD",
    kernel,
    match({ model, producer, readers, outputs }, k) {
      const g = model.subgraphs[0];
      const shapeOf = (t: number) => g.tensors[t].shape;
      const same = (a: number, b: number) =>
        shapeOf(a).length === shapeOf(b).length && shapeOf(a).every((d, i) => d === shapeOf(b)[i]);
      const isFloat = (t: number) => t >= 0 && g.tensors[t].type === TensorType.FLOAT32;
      const soleReader = (t: number, name: string) => {
        const r = readers.get(t) ?? [];
        const o = r.length === 1 && !outputs.has(t) ? g.operators[r[0]] : undefined;
        const ok = o !== undefined && opName(model, o) === name && o.inputs.length === 2 && o.outputs.length === 1;
        return ok && (o.builtinOptions?.fused_activation_function ?? 0) === 0 ? r[0] : -1;
      };
      const mul = g.operators[k];
      if (opName(model, mul) !== "MUL" || mul.inputs.length !== 2 || mul.outputs.length !== 1) return null;
      if ((mul.builtinOptions?.fused_activation_function ?? 0) !== 0) return null;
      const m = mul.outputs[0];
      const x = mul.inputs.find((t) => t >= 0 && same(t, m)), s = mul.inputs.find((t) => t !== x);
      if (x === undefined || s === undefined || s < 0 || !isFloat(x) || !isFloat(s) || !isFloat(m)) return null;
      const channels = shapeOf(x).at(-1),
        isVector = (t: number) =>
          shapeOf(t).at(-1) === channels && shapeOf(t).slice(0, -1).every((d) => d === 1) &&
          shapeOf(t).length <= shapeOf(x).length;
      const j = soleReader(m, "PRELU");
      if (!isVector(s) || j < 0 || g.operators[j].inputs[0] !== m) return null;
      const alpha = g.operators[j].inputs[1], p = g.operators[j].outputs[0];
      if (!isFloat(alpha) || !isVector(alpha) || !(model.buffers[g.tensors[alpha].buffer]?.length > 0)) return null;
      const a = soleReader(p, "ADD");
      if (a < 0) return null;
      const add = g.operators[a], r = add.inputs[0] === p ? add.inputs[1] : add.inputs[0];
      if (r === p || !isFloat(r) || producer[r] >= k || !same(r, x) || !same(add.outputs[0], x)) return null;
      if (model.buffers[g.tensors[r].buffer]?.length > 0) return null; // a constant residual: not this pattern
      return {
        op: { ...mul, inputs: [x, s, alpha, r], outputs: add.outputs, builtinOptions: null },
        label: "MUL+PRELU+ADD",
        absorbed: [j, a],
      };
    },
  };
}

/**
 * A CONCATENATION along the channels whose output a BatchNorm-as-MUL+ADD reads, with the LceQuantize of the sum
 * as the sum's only reader (DenseNets, MeliusNet): one pass per input copies it into its slice of the
 * concatenation and packs the signs of its slice of the sum (every input but the last a whole number of 32-channel
 * words, so the slices' packed words do not overlap). Outputs the concatenation (which the next block reads) and
 * the packed signs; the sum is not written.
 */
export function concatAffineFusion(kernel: OpKernel): Fusion {
  return {
    name: "CONCATENATION+MUL+ADD+LceQuantize",
    kernel,
    match({ model, readers, outputs }, k) {
      const g = model.subgraphs[0];
      const cat = g.operators[k];
      if (opName(model, cat) !== "CONCATENATION" || cat.outputs.length !== 1 || cat.inputs.length < 2) return null;
      const y = cat.outputs[0], rank = g.tensors[y].shape.length;
      const axis = Number(cat.builtinOptions?.axis ?? 0);
      if ((axis !== rank - 1 && axis !== -1) || (cat.builtinOptions?.fused_activation_function ?? 0) !== 0) return null;
      const widths = cat.inputs.map((t) => t >= 0 ? g.tensors[t].shape.at(-1) ?? 0 : 0);
      const float = [...cat.inputs, y].every((t) => t >= 0 && g.tensors[t].type === TensorType.FLOAT32);
      if (!float || widths.slice(0, -1).some((w) => w % 32 !== 0)) return null;
      for (const m of readers.get(y) ?? []) {
        const mul = g.operators[m];
        const mulXC = perChannelOperands(model, mul, "MUL");
        if (mulXC === null || mulXC[0] !== y || m < k) continue;
        const r = readers.get(mul.outputs[0]) ?? [];
        if (outputs.has(mul.outputs[0]) || r.length !== 1) continue;
        const add = g.operators[r[0]];
        const addXC = perChannelOperands(model, add, "ADD");
        const z = add.outputs[0], zr = readers.get(z) ?? [];
        if (addXC === null || addXC[0] !== mul.outputs[0] || outputs.has(z) || zr.length !== 1) continue;
        const q = g.operators[zr[0]];
        if (opName(model, q) !== "LceQuantize" || q.inputs.length !== 1 || q.outputs.length !== 1) continue;
        return {
          op: { ...cat, inputs: [...cat.inputs, mulXC[1], addXC[1]], outputs: [y, q.outputs[0]], builtinOptions: null },
          label: "CONCATENATION+MUL+ADD+LceQuantize",
          absorbed: [m, r[0], zr[0]],
        };
      }
      return null;
    },
  };
}
