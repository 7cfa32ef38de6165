//! Run-time choice of a micro-kernel from a list ordered from the most
//! portable to the fastest, by this CPU's features, and its description for
//! onebit_ukernel_info: the binary (bgemm.zig) and float (sgemm.zig) drivers
//! share it.
const std = @import("std");
const abi = @import("abi.zig");
const cpu = @import("cpu.zig");
const uk = @import("ukernels.zig");

/// Depth words a run needs for the default to be an in-order kernel (see `selectForRuns`): from two loop steps on,
/// its per-call set-up and word-by-word rest cost less than the broadcast kernel's slower loop (an estimate from
/// both loops' llvm-mca cycles; not measured on a core).
pub const in_order_min_run = 16;

pub fn Selection(comptime list: anytype) type {
    return struct {
        pub fn supported(index: usize) bool {
            return index < list.len and cpu.supports(list[index].isa);
        }

        /// The cores kernel `index` is scheduled for (a list without `cores`: any).
        fn cores(index: usize) uk.Cores {
            const e = list[index];
            return if (@hasField(@TypeOf(e), "cores")) e.cores else .any;
        }

        /// The default: on in-order cores the last supported `.in_order` kernel if any, else the last supported
        /// `.any` one.
        pub fn chosen(in_order: bool) ?usize {
            var any: ?usize = null;
            var i = list.len;
            while (i > 0) {
                i -= 1;
                if (!supported(i)) continue;
                if (in_order and cores(i) == .in_order) return i;
                if (any == null and cores(i) == .any) any = i;
            }
            return any;
        }

        /// -1: the default kernel for this CPU (`chosen`). Else the index, if this CPU can run it.
        pub fn select(requested: i32) ?usize {
            return selectForRuns(requested, in_order_min_run);
        }

        /// `select` for a GEMM whose lhs rows lie in runs of `run_words` contiguous depth words: the in-order kernel
        /// runs its scheduled loop on whole 8-word steps of a run and the rest word by word, so on shorter runs (a 3x3
        /// convolution over 64 or 128 channels read in place: 6 or 12 words) the default stays the `.any` kernel.
        pub fn selectForRuns(requested: i32, run_words: usize) ?usize {
            if (requested < 0) return chosen(run_words >= in_order_min_run and cpu.inOrder());
            const index: usize = @intCast(requested);
            return if (supported(index)) index else null;
        }

        /// Fills `info` for kernel `index` (< list.len); `peak_macs`: MACs of one iteration of its peak loop.
        pub fn describe(index: usize, peak_macs: usize, info: *abi.UkernelInfo) void {
            const e = list[index];
            info.* = .{
                .name = @splat(0),
                .mr = @intCast(e.mr),
                .nr = @intCast(e.nr()),
                .supported = @intFromBool(supported(index)),
                .peak_macs_per_iteration = @intCast(peak_macs),
                .chosen = @intFromBool(select(-1) == index),
            };
            @memcpy(info.name[0..e.name.len], e.name);
        }
    };
}

test "chosen: on in-order cores the last supported in-order kernel, elsewhere the last supported one for any core" {
    const E = struct { isa: uk.Isa, cores: uk.Cores };
    const mixed = Selection([_]E{
        .{ .isa = .scalar, .cores = .any },
        .{ .isa = .scalar, .cores = .in_order },
        .{ .isa = .scalar, .cores = .any },
    });
    try std.testing.expectEqual(@as(?usize, 1), mixed.chosen(true));
    try std.testing.expectEqual(@as(?usize, 2), mixed.chosen(false));
    const plain = Selection([_]E{ .{ .isa = .scalar, .cores = .any }, .{ .isa = .scalar, .cores = .any } });
    try std.testing.expectEqual(@as(?usize, 1), plain.chosen(true));
    try std.testing.expectEqual(@as(?usize, 1), plain.chosen(false));
    // A float list has no `cores`: the last supported.
    const float = Selection([_]struct { isa: uk.Isa }{ .{ .isa = .scalar }, .{ .isa = .scalar } });
    try std.testing.expectEqual(@as(?usize, 1), float.chosen(true));
}
