/**
 * The converter's rewrites, in the order `optimize` runs them:
 * 1. binary matching: a conv or dense whose input is binarized and whose
 *    kernel is ±scale per output channel becomes LceQuantize → LceBconv2d
 *    (dense as a 1×1 convolution; {0,1} activations through x ↦ c - x and an
 *    affine correction folded into multiplier and bias);
 * 2. LCE's fusions to a fixed point: activation, BatchNorm and negation into
 *    the binary conv's multiplier and bias, MaxPool before LceQuantize as
 *    LceBMaxPool2d, LceQuantize of a binary conv as a bitpacked output; and
 *    BatchNorm with positive scales moved before a MaxPool (monotone), so
 *    conv → MaxPool → BN → binary conv packs too;
 * 3. float fusions: BatchNorm into the preceding conv/dense, ReLU-family
 *    activations into TFLite's fused_activation_function;
 * 4. what stays of the binarizing activations becomes LceQuantize →
 *    LceDequantize (exact ±1 or {0,1} floats for float layers).
 * Each pass records in the graph's notes why a quantized layer stayed float.
 * @module
 */
import { clampRange, packSigns, splitSigns, thresholds } from "./binary.ts";
import type { BconvOp, BinarizeMode, FusedActivation, Graph, Node, Op, PaddingMode } from "./graph.ts";

/** Modes whose packed input is x ↦ c - x ({0,1} activations), with that c. */
const SHIFT: Record<BinarizeMode, number | null> = { sign: null, heaviside: 0, dorefa: 0.5 };

function ofKind<K extends Op["kind"]>(n: Node | undefined, kind: K): n is Node & { op: Extract<Op, { kind: K }> } {
  return n !== undefined && n.op.kind === kind;
}

/**
 * Runs every pass; the graph is rewritten in place and left sorted. With `binary: false` no layer becomes
 * binary (passes 1 and 2 are skipped): the float twin of a model, for size and latency comparisons.
 */
export function optimize(g: Graph, options: { binary?: boolean } = {}): void {
  if (options.binary !== false) {
    matchBinary(g);
    g.sort();
    while (fuseBinary(g)) g.sort();
  }
  while (fuseFloat(g)) g.sort();
  materializeBinarize(g);
  g.sort();
}

/** The packed input of a binary layer: LceQuantize of the (shifted) source, shared between layers. */
function packedInput(g: Graph, cache: Map<string, number>, src: number, mode: BinarizeMode, layers: string[]): number {
  const key = `${src}:${mode}`;
  let v = cache.get(key);
  if (v !== undefined) return v;
  const shape = g.values[src].shape, name = g.values[src].name;
  let x = src;
  const c = SHIFT[mode];
  if (c !== null) x = g.add({ kind: "sub_from", constant: c }, [x], layers, { name: `${name}/${mode}`, shape });
  v = g.add({ kind: "quantize" }, [x], layers, { name: `${name}/packed`, shape, packed: true });
  cache.set(key, v);
  return v;
}

/** Pass 1: binary convolutions and dense layers. */
function matchBinary(g: Graph): void {
  const cache = new Map<string, number>();
  for (const node of [...g.nodes]) {
    const op = node.op;
    if (op.kind !== "conv2d" && op.kind !== "dense" && op.kind !== "depthwise") continue;
    const layer = node.layers[0], note = g.note(layer);
    const src = g.producer(node.inputs[0]);
    if (!ofKind(src, "binarize")) {
      // A separable layer's pointwise step reads its depthwise step: keep that step's reason.
      note.reason ??= "its input is not binarized (no binary input quantizer): it runs as a float op";
      continue;
    }
    const mode = src.op.mode;
    if (op.kind === "depthwise") {
      note.reason = "LceBconv2d packs 32 channels per group and a depthwise conv has one: it runs as a float " +
        "depthwise conv on exact ±1 inputs";
      continue;
    }
    const shape: [number, number, number, number] = op.kind === "dense"
      ? [1, 1, op.filterShape[0], op.filterShape[1]]
      : op.filterShape;
    const split = splitSigns(op.filter, shape);
    if ("reason" in split) {
      note.reason = `${split.reason}: it runs as a float op`;
      continue;
    }
    const [kh, kw, cinG, cout] = shape;
    const groups = op.kind === "conv2d" ? op.groups : 1;
    if (groups > 1 && cinG % 32 !== 0) {
      note.reason = `a grouped binary conv needs a multiple of 32 input channels per group (LCE packs each group ` +
        `in whole words), this one has ${cinG}: it runs as a float conv`;
      continue;
    }
    const padding: PaddingMode = op.kind === "conv2d" ? op.padding : "valid";
    const padValues = op.kind === "conv2d" ? op.padValues : 0;
    let bconvPad: 0 | 1 = 0;
    if (padding === "same") {
      // ±1 inputs: out-of-bounds taps read +1 for free (same-one); zero needs a border correction.
      // {0,1} inputs pack as 1 - 2h, so their zero padding is the free +1.
      if (SHIFT[mode] === null && (padValues === 0 || padValues === 1)) bconvPad = padValues;
      else if (SHIFT[mode] !== null && padValues === 0) bconvPad = 1;
      else {
        note.reason = `"same" padding with pad_values=${padValues} on ${mode} activations has no binary form: it ` +
          "runs as a float conv";
        continue;
      }
    }
    // Binary: y = Σ s·w·x + b. For {0,1} inputs x = (1 - p)/2 with p the packed ±1 value.
    const taps = kh * kw * cinG;
    const bias = op.bias ? Float32Array.from(op.bias) : new Float32Array(cout);
    const multiplier = Float32Array.from(split.scales);
    if (SHIFT[mode] !== null) {
      for (let c = 0; c < cout; c++) {
        let sum = 0;
        for (let t = 0; t < taps; t++) sum += split.signs[c * taps + t];
        bias[c] += 0.5 * split.scales[c] * sum;
        multiplier[c] = -0.5 * split.scales[c];
      }
    }
    note.reason = undefined;
    const layers = [...node.layers];
    const bconv: BconvOp = {
      kind: "bconv",
      signs: split.signs,
      filterShape: [cout, kh, kw, cinG],
      channelsIn: cinG * groups,
      strides: op.kind === "conv2d" ? op.strides : [1, 1],
      dilations: op.kind === "conv2d" ? op.dilations : [1, 1],
      padding,
      padValues: bconvPad,
      act: "none",
      multiplier,
      bias,
      threshold: null,
    };
    const outShape = g.values[node.output].shape;
    const name = g.values[node.output].name;
    g.remove(node);
    let out: number;
    if (op.kind === "dense") {
      // A dense layer is a 1×1 binary conv on [rows, 1, 1, depth].
      const [rows, depth] = g.values[src.inputs[0]].shape;
      const x4 = g.add({ kind: "reshape" }, [src.inputs[0]], layers, {
        name: `${name}/rows4d`,
        shape: [rows, 1, 1, depth],
      });
      const y4 = g.add(bconv, [packedInput(g, cache, x4, mode, layers)], layers, {
        name: `${name}/bconv`,
        shape: [rows, 1, 1, cout],
      });
      out = g.add({ kind: "reshape" }, [y4], layers, { name: `${name}/bconv2d`, shape: outShape });
    } else {
      out = g.add(bconv, [packedInput(g, cache, src.inputs[0], mode, layers)], layers, {
        name: op.act === "none" ? name : `${name}/bconv`,
        shape: outShape,
      });
    }
    // The layer's activation follows as its own node; fuseBinary folds it back in where that is exact.
    if (op.act !== "none") out = g.add({ kind: "activation", fn: op.act }, [out], layers, { name, shape: outShape });
    g.replaceUses(node.output, out);
  }
}

const sameZero = (op: BconvOp) => op.padding === "same" && op.padValues === 0;
const allEqual = (a: Float32Array, v: number) => a.every((x) => x === v);

/** Pass 2, one rewrite at a time; returns whether anything changed. */
function fuseBinary(g: Graph): boolean {
  for (const node of g.nodes) {
    const src = g.producer(node.inputs[0]);
    const op = node.op;
    // A fused op computes its layers too; a bitpacked output only packs for the next layer (not fused into it).
    const absorb = (into: Node, merge = true) => {
      into.output = node.output;
      if (merge) into.layers.push(...node.layers.filter((l) => !into.layers.includes(l)));
      g.remove(node);
      return true;
    };
    if (ofKind(src, "bconv") && src.op.threshold === null && g.onlyFeeds(src.output, node)) {
      const b = src.op;
      // The fused activation clamps the raw ±1 sum before multiplier and bias, so it commutes only
      // with an identity (or, for ReLU, a non-negative scale without bias). LCE forbids it with same-zero.
      if (
        op.kind === "activation" && b.act === "none" && !sameZero(b) && op.fn !== "sigmoid" && op.fn !== "tanh" &&
        op.fn !== "softmax"
      ) {
        const ok = op.fn === "relu"
          ? allEqual(b.bias, 0) && b.multiplier.every((m) => m >= 0)
          : allEqual(b.bias, 0) && allEqual(b.multiplier, 1);
        if (ok) {
          b.act = op.fn;
          return absorb(src);
        }
      }
      if (op.kind === "affine" && !op.act) {
        b.multiplier = b.multiplier.map((m, c) => m * op.scale[c]);
        b.bias = b.bias.map((x, c) => x * op.scale[c] + op.offset[c]);
        return absorb(src);
      }
      if (op.kind === "sub_from") {
        b.multiplier = b.multiplier.map((m) => -m);
        b.bias = b.bias.map((x) => op.constant - x);
        return absorb(src);
      }
      if (op.kind === "quantize" && !sameZero(b)) {
        // Bitpacked output: no float round trip to the next binary layer.
        const depth = b.filterShape[1] * b.filterShape[2] * b.filterShape[3];
        const { threshold, flip } = thresholds(b.multiplier, b.bias, depth, b.act);
        const taps = b.signs.length / b.multiplier.length;
        for (let c = 0; c < flip.length; c++) {
          if (flip[c]) { for (let t = 0; t < taps; t++) b.signs[c * taps + t] = -b.signs[c * taps + t]; }
        }
        b.threshold = threshold;
        g.values[node.output].name = g.values[src.output].name + "/packed";
        return absorb(src, false);
      }
    }
    // MaxPool commutes with sign (monotone): pack first, then AND the words.
    if (
      op.kind === "quantize" && ofKind(src, "pool") && src.op.type === "max" && src.op.act === "none" &&
      g.onlyFeeds(src.output, node)
    ) {
      const p = src.op;
      const packed = g.add({ kind: "quantize" }, [src.inputs[0]], src.layers, {
        name: `${g.values[src.inputs[0]].name}/packed`,
        shape: g.values[src.inputs[0]].shape,
        packed: true,
      });
      (src as Node).op = { kind: "bmaxpool", pool: p.pool, strides: p.strides, padding: p.padding };
      src.inputs = [packed];
      g.values[src.output].packed = true;
      g.values[src.output].name += "/packed";
      g.replaceUses(node.output, src.output);
      g.remove(node);
      return true;
    }
    // Packing commutes with a reshape when both last axes are whole words: element i lands in word i/32 either
    // way. Packing first lets a binary conv before the reshape (conv → Flatten → binary dense) emit packed bits.
    if (op.kind === "quantize" && ofKind(src, "reshape") && g.onlyFeeds(src.output, node)) {
      const from = g.values[src.inputs[0]];
      if (!from.packed && from.shape.at(-1)! % 32 === 0 && g.values[node.output].shape.at(-1)! % 32 === 0) {
        const packed = g.add({ kind: "quantize" }, [src.inputs[0]], node.layers, {
          name: `${from.name}/packed`,
          shape: from.shape,
          packed: true,
        });
        src.inputs = [packed];
        src.output = node.output;
        g.remove(node);
        return true;
      }
    }
    if (op.kind === "reshape" && sinkReshape(g, node)) return true;
    // Beyond LCE: an affine map with positive scales is monotone, so it commutes with max pooling (exactly:
    // rounding is monotone too). Moving it before the pool lets it fold into the conv before, and the pool
    // become LceBMaxPool2d after the next LceQuantize (conv → MaxPool → BatchNorm → binary conv).
    if (
      op.kind === "affine" && !op.act && op.scale.every((s) => s > 0) && ofKind(src, "pool") && src.op.type === "max" &&
      src.op.act === "none" && g.onlyFeeds(src.output, node) && foldsAffine(g, src.inputs[0], src)
    ) {
      const poolOut = node.output;
      const moved = g.addValue(`${g.values[poolOut].name}/before_pool`, g.values[src.inputs[0]].shape);
      node.inputs = [src.inputs[0]];
      node.output = moved;
      src.inputs = [moved];
      src.output = poolOut;
      return true;
    }
  }
  return false;
}

/** Whether `v`'s producer can absorb an affine map (so moving one onto `v` costs nothing). */
function foldsAffine(g: Graph, v: number, reader: Node): boolean {
  const p = g.producer(v);
  if (!p || !g.onlyFeeds(v, reader)) return false;
  const op = p.op;
  if (op.kind === "bconv") return op.threshold === null;
  return (op.kind === "conv2d" || op.kind === "depthwise" || op.kind === "dense") && op.act === "none";
}

/** Per-channel maps commute with a reshape that keeps the last axis; reshapes of reshapes collapse. */
function sinkReshape(g: Graph, node: Node): boolean {
  const input = g.values[node.inputs[0]], output = g.values[node.output];
  if (input.shape.join() === output.shape.join()) {
    g.replaceUses(node.output, node.inputs[0]);
    g.remove(node);
    return true;
  }
  const src = g.producer(node.inputs[0]);
  if (ofKind(src, "reshape")) {
    node.inputs = [src.inputs[0]];
    return true;
  }
  const readers = g.consumers(node.output);
  const next = readers[0];
  const channelwise = next !== undefined && readers.length === 1 && !g.outputs.includes(node.output) &&
    (next.op.kind === "affine" || next.op.kind === "sub_from" || next.op.kind === "binarize" ||
      (next.op.kind === "activation" && next.op.fn !== "softmax"));
  if (!channelwise || input.shape.at(-1) !== output.shape.at(-1) || input.packed) return false;
  // x → reshape → f  becomes  x → f → reshape.
  const fOut = next.output;
  const moved = g.addValue(`${g.values[fOut].name}/${input.shape.length}d`, input.shape);
  next.inputs = [node.inputs[0]];
  next.output = moved;
  node.inputs = [moved];
  node.output = fOut;
  g.nodes.push(g.nodes.splice(g.nodes.indexOf(node), 1)[0]);
  return true;
}

/** Pass 3: BatchNorm into float conv/dense weights, ReLU-family activations into fused activations. */
function fuseFloat(g: Graph): boolean {
  for (const node of g.nodes) {
    if (ofKind(node, "reshape") && onlyLeadingOnes(g, node)) {
      g.replaceUses(node.output, node.inputs[0]);
      g.remove(node);
      return true;
    }
    const src = g.producer(node.inputs[0]);
    if (!src || !g.onlyFeeds(src.output, node)) continue;
    const op = node.op, s = src.op;
    const absorb = () => {
      src.output = node.output;
      src.layers.push(...node.layers.filter((l) => !src.layers.includes(l)));
      g.remove(node);
      return true;
    };
    // FULLY_CONNECTED reads any input as [size / depth, depth]: a flattening reshape before it is free.
    if (op.kind === "dense" && s.kind === "reshape" && !g.values[src.inputs[0]].packed) {
      node.inputs = [src.inputs[0]];
      return true;
    }
    const weighted = s.kind === "conv2d" || s.kind === "depthwise" || s.kind === "dense";
    if (op.kind === "affine" && weighted && s.act === "none") {
      const cout = op.scale.length;
      s.filter = s.filter.map((w, i) => w * op.scale[i % cout]);
      const bias = s.bias ?? new Float32Array(cout);
      s.bias = bias.map((b, c) => b * op.scale[c] + op.offset[c]);
      s.act = op.act ?? "none";
      return absorb();
    }
    const fusable = op.kind === "activation" && (op.fn === "relu" || op.fn === "relu6" || op.fn === "relu_n1_to_1");
    if (fusable && "act" in s && s.act === "none" && s.kind !== "bconv") {
      s.act = op.fn as typeof s.act;
      return absorb();
    }
    // BatchNorm → ReLU: the activation fuses into the affine map's ADD, as TFLite's converter fuses it.
    if (fusable && s.kind === "affine" && !s.act) {
      s.act = op.fn as FusedActivation;
      return absorb();
    }
  }
  return false;
}

/** Shape without its leading 1-axes. */
const core = (shape: readonly number[]) => shape.slice(Math.max(0, shape.findIndex((d) => d !== 1))).join();

/** Broadcast shape of two shapes as TFLite computes it (right-aligned), or null when they do not broadcast. */
function broadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 1; i <= n; i++) {
    const x = a.at(-i) ?? 1, y = b.at(-i) ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.unshift(Math.max(x, y));
  }
  return out;
}

/**
 * A reshape that only adds or drops leading 1-axes, read only by broadcasting MUL/ADD whose results keep their
 * shapes without it: TFLite right-aligns broadcast shapes, so [1, C] · [1, H, W, C] needs no [1, 1, 1, C] first
 * (Real-to-Binary Net's gate; TensorFlow's converter drops these reshapes too).
 */
function onlyLeadingOnes(g: Graph, node: Node): boolean {
  const from = g.values[node.inputs[0]], to = g.values[node.output];
  if (from.packed || g.outputs.includes(node.output) || core(from.shape) !== core(to.shape)) return false;
  const readers = g.consumers(node.output);
  return readers.length > 0 && readers.every((r) => {
    if (r.op.kind !== "mul" && r.op.kind !== "add") return false;
    const other = r.inputs.find((v) => v !== node.output) ?? node.inputs[0];
    const shape = broadcast(g.values[other].shape, from.shape);
    return shape !== null && shape.join() === g.values[r.output].shape.join();
  });
}

/** Pass 4: binarized values read by float layers become exact ±1 (or {0,1}) floats. */
function materializeBinarize(g: Graph): void {
  for (const node of [...g.nodes]) {
    if (!ofKind(node, "binarize") || g.consumers(node.output).length === 0 && !g.outputs.includes(node.output)) {
      continue;
    }
    const { mode } = node.op, shape = g.values[node.output].shape, name = g.values[node.output].name;
    const packed = packedInput(g, new Map(), node.inputs[0], mode, node.layers);
    let v = g.add({ kind: "dequantize" }, [packed], node.layers, { name: `${name}/pm1`, shape });
    if (SHIFT[mode] !== null) {
      // p = 1 - 2h  ⇒  h = p·(-0.5) + 0.5, exact.
      v = g.add(
        {
          kind: "affine",
          scale: new Float32Array(shape.at(-1)!).fill(-0.5),
          offset: new Float32Array(shape.at(-1)!).fill(0.5),
        },
        [v],
        node.layers,
        { name, shape },
      );
    }
    g.replaceUses(node.output, v);
    g.remove(node);
  }
}

export { clampRange, packSigns };
