//! Max pooling's backward pass in training: each output's gradient added to
//! the input its window's maximum came from (the argmax the forward pass
//! recorded, pool2d.zig `maxpool2dArgmax`), into a zeroed input gradient, in
//! output order (as the TypeScript reference, so that sums of overlapping
//! windows round alike).
const std = @import("std");
const abi = @import("abi.zig");
const u = @import("num.zig").u;

/// A scatter of `output_count` gradients into `input_count` values.
pub const MaxPoolGradParams = extern struct {
    input_count: i32,
    output_count: i32,
};

/// grad_input = 0, then grad_input[argmax[o]] += grad_output[o] for each o; an index outside the input is an
/// invalid argument (nothing is written past it).
pub fn maxpoolGrad(p: *const MaxPoolGradParams, grad_output: [*]const f32, argmax: [*]const i32, grad_input: [*]f32) abi.Status {
    if (p.input_count < 0 or p.output_count < 0) return .invalid_argument;
    @memset(grad_input[0..u(p.input_count)], 0);
    for (0..u(p.output_count)) |o| {
        const i = argmax[o];
        if (i < 0 or i >= p.input_count) return .invalid_argument;
        grad_input[u(i)] += grad_output[o];
    }
    return .ok;
}

// ---- C ABI entry points (exported by root.zig from abi.api) ----

pub fn onebit_maxpool2d_argmax_grad_f32(params: *const MaxPoolGradParams, grad_output: [*]const f32, argmax: [*]const i32, grad_input: [*]f32) callconv(.c) i32 {
    return abi.code(maxpoolGrad(params, grad_output, argmax, grad_input));
}

test "maxpoolGrad: scatters and sums into the argmax, zero elsewhere; an index past the input is refused" {
    const dy = [_]f32{ 1, 2, 4 };
    const arg = [_]i32{ 3, 0, 3 };
    var dx = [_]f32{ 9, 9, 9, 9, 9 };
    const p: MaxPoolGradParams = .{ .input_count = 5, .output_count = 3 };
    try std.testing.expectEqual(abi.Status.ok, maxpoolGrad(&p, &dy, &arg, &dx));
    try std.testing.expectEqualSlices(f32, &.{ 2, 0, 0, 5, 0 }, &dx);
    const bad = [_]i32{ 5, 0, 0 };
    try std.testing.expectEqual(abi.Status.invalid_argument, maxpoolGrad(&p, &dy, &bad, &dx));
}
