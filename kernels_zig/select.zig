//! Run-time choice of a micro-kernel from a list ordered from the most
//! portable to the fastest, by this CPU's features, and its description for
//! onebit_ukernel_info: the binary (bgemm.zig) and float (sgemm.zig) drivers
//! share it.
const abi = @import("abi.zig");
const cpu = @import("cpu.zig");

pub fn Selection(comptime list: anytype) type {
    return struct {
        pub fn supported(index: usize) bool {
            return index < list.len and cpu.supports(list[index].isa);
        }

        /// -1: the last supported kernel of the list. Else the index, if this CPU can run it.
        pub fn select(requested: i32) ?usize {
            if (requested < 0) {
                var i = list.len;
                while (i > 0) {
                    i -= 1;
                    if (supported(i)) return i;
                }
                return null;
            }
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
            };
            @memcpy(info.name[0..e.name.len], e.name);
        }
    };
}
