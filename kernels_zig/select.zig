//! Run-time choice of a micro-kernel from a list ordered from the most
//! portable to the fastest, by this CPU's features: the binary (bgemm.zig)
//! and float (sgemm.zig) drivers share it.
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
    };
}
