/**
 * The one gradient table: the backward function of every differentiable
 * op of ops.ts, registered by op name. Each gets dy (the output's shape)
 * and returns one gradient per input, summed back over broadcast axes.
 * @module
 */
import { registerGradient } from "./tape.ts";
import type { Tensor } from "./tensor.ts";
import * as ops from "./ops.ts";

const same = (dy: Tensor, x: Tensor) => ops.sumTo(dy, x.shape);

registerGradient("add", (dy, { inputs: [a, b] }) => [same(dy, a), same(dy, b)]);
registerGradient("sub", (dy, { inputs: [a, b] }) => [same(dy, a), same(ops.neg(dy), b)]);
registerGradient("mul", (dy, { inputs: [a, b] }) => [same(ops.mul(dy, b), a), same(ops.mul(dy, a), b)]);
registerGradient("div", (dy, { inputs: [a, b] }) => [
  same(ops.div(dy, b), a),
  same(ops.neg(ops.div(ops.mul(dy, a), ops.mul(b, b))), b),
]);
// Ties send the gradient to the first argument, as TF's maximum/minimum gradients do (x >= y).
registerGradient("maximum", (dy, { inputs: [a, b] }) => {
  const m = ops.greaterEqual(a, b);
  return [same(ops.mul(dy, m), a), same(ops.mul(dy, ops.sub(1, m)), b)];
});
registerGradient("minimum", (dy, { inputs: [a, b] }) => {
  const m = ops.greaterEqual(b, a);
  return [same(ops.mul(dy, m), a), same(ops.mul(dy, ops.sub(1, m)), b)];
});
registerGradient("greater", () => [null, null]);
registerGradient("greaterEqual", () => [null, null]);

registerGradient("neg", (dy) => [ops.neg(dy)]);
registerGradient("abs", (dy, { inputs: [x] }) => [ops.mul(dy, ops.signZero(x))]);
registerGradient("exp", (dy, { output }) => [ops.mul(dy, output)]);
registerGradient("log", (dy, { inputs: [x] }) => [ops.div(dy, x)]);
registerGradient("sqrt", (dy, { output }) => [ops.div(dy, ops.mul(output, 2))]);
registerGradient("square", (dy, { inputs: [x] }) => [ops.mul(dy, ops.mul(x, 2))]);
registerGradient("tanh", (dy, { output }) => [ops.mul(dy, ops.sub(1, ops.square(output)))]);
registerGradient("cosh", (dy, { inputs: [x] }) => [
  ops.mul(dy, ops.mul(ops.sub(ops.exp(x), ops.exp(ops.neg(x))), 0.5)),
]);
registerGradient("sigmoid", (dy, { output }) => [ops.mul(dy, ops.mul(output, ops.sub(1, output)))]);
registerGradient("relu", (dy, { inputs: [x] }) => [ops.mul(dy, ops.greater(x, 0))]);
registerGradient("sign", () => [null]);
registerGradient("signZero", () => [null]);
registerGradient("heaviside", () => [null]);
registerGradient("roundHalfEven", () => [null]);
registerGradient(
  "clipByValue",
  (dy, { inputs: [x], attrs }: { inputs: readonly Tensor[]; attrs: { lo: number; hi: number } }) => {
    const inside = ops.mul(ops.greaterEqual(x, attrs.lo), ops.greaterEqual(attrs.hi, x));
    return [ops.mul(dy, inside)];
  },
);
registerGradient("where", (dy, { inputs: [c, a, b] }) => [
  null,
  same(ops.where(c, dy, 0), a),
  same(ops.where(c, 0, dy), b),
]);

registerGradient("sum", (dy, { inputs: [x], attrs }: { inputs: readonly Tensor[]; attrs: { kept: number[] } }) => [
  ops.broadcastTo(ops.reshape(dy, attrs.kept), x.shape),
]);
// Ties share dy equally, as TF's _MinOrMaxGrad (±1 tensors tie all the time).
registerGradient(
  "max",
  (dy, { inputs: [x], output, attrs }: { inputs: readonly Tensor[]; output: Tensor; attrs: { kept: number[] } }) => {
    const hit = ops.greaterEqual(x, ops.reshape(output, attrs.kept));
    return [ops.mul(ops.div(hit, ops.sumTo(hit, attrs.kept)), ops.reshape(dy, attrs.kept))];
  },
);
registerGradient("reshape", (dy, { inputs: [x] }) => [ops.reshape(dy, x.shape)]);
registerGradient("matmul", (dy, { inputs: [a, b], attrs }: {
  inputs: readonly Tensor[];
  attrs: { transposeA: boolean; transposeB: boolean };
}) => {
  const { transposeA: ta, transposeB: tb } = attrs;
  const da = ta ? ops.matmul(b, dy, tb, true) : ops.matmul(dy, b, false, !tb);
  const db = tb ? ops.matmul(dy, a, true, ta) : ops.matmul(a, dy, !ta, false);
  return [da, db];
});
registerGradient("logSoftmax", (dy, { output }) => {
  // dx = dy - softmax(x) * sum(dy, last axis)
  const s = ops.sum(dy, -1, true);
  return [ops.sub(dy, ops.mul(ops.exp(output), s))];
});
