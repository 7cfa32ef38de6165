/**
 * Constant folding, a load step of the interpreter: an op whose inputs are
 * all constants of the file (or outputs of ops folded before it) runs once
 * while the model loads, on the kernels the interpreter chose, and its
 * outputs become constants; it is not run per invoke. LCE's converter
 * leaves such chains in some files — XNOR-Net's 6×6 layer computes its
 * scaled filter from the latent weights at run time (RELU_N1_TO_1, ABS,
 * MEAN, LceQuantize, LceDequantize, MUL, TRANSPOSE) — and this runtime's
 * convolutions pack their filters at load, so they need them constant.
 * @module
 */
import type { PlannedOp } from "./fuse.ts";
import type { PreparedOp, TensorInfo } from "./ops/_types.ts";
import { product } from "./ops/_util.ts";
import { dataCtor } from "./validate.ts";

/**
 * Runs each op of `operators` (in run order) that reads only constants,
 * prepared by `prepare`, and stores its outputs as constants in `tensors`;
 * returns the ops left to run per invoke.
 */
export function foldConstants(
  operators: readonly PlannedOp[],
  tensors: TensorInfo[],
  prepare: (op: PlannedOp) => PreparedOp,
): PlannedOp[] {
  return operators.filter((planned) => {
    const { op } = planned;
    const constant = op.inputs.some((i) => i >= 0) && op.inputs.every((i) => i < 0 || tensors[i].constant !== null);
    if (!constant) return true;
    const p = prepare(planned);
    const outputs = op.outputs.map((i) => {
      const ctor = dataCtor(tensors[i].type)!, n = product(tensors[i].shape);
      return new ctor(new ArrayBuffer(n * ctor.BYTES_PER_ELEMENT), 0, n);
    });
    p.run({
      inputs: op.inputs.map((i) => i < 0 ? null : tensors[i].constant),
      outputs,
      scratch: new ArrayBuffer(Math.max(64, p.scratchBytes ?? 0)),
    });
    op.outputs.forEach((i, k) => (tensors[i].constant = outputs[k]));
    return false;
  });
}
