// GENERATED from kernels_zig/abi.zig by kernels_zig/gen_abi.zig: do not edit. Regenerate: deno task gen:abi
// deno-fmt-ignore-file
export const ABI_VERSION = 2;
export const ABI_HASH = 0xb0802739;

/** Deno.dlopen symbol table of libonebit. */
export const symbols = {
  onebit_abi_version: { parameters: [], result: "i32" },
  onebit_abi_hash: { parameters: [], result: "i32" },
  onebit_ukernel_count: { parameters: [], result: "i32" },
  onebit_ukernel_info: { parameters: ["i32", "buffer"], result: "i32" },
  onebit_peak_loop: { parameters: ["buffer", "buffer"], result: "i32" },
  onebit_bitpack_f32_b32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_im2col_b32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_bgemm_pack_rhs_b32: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  onebit_bgemm_b32_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bgemm_b32_b32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bconv2d_b32_f32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  onebit_bconv2d_b32_b32: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
} as const;

/** Each parameter's name and role: a scalar, an extern struct, or a buffer read (in) or written (out). */
export const parameters = {
  onebit_abi_version: [],
  onebit_abi_hash: [],
  onebit_ukernel_count: [],
  onebit_ukernel_info: [{ name: "index", kind: "i32" }, { name: "info", kind: "struct", struct: "UkernelInfo", dir: "out" }],
  onebit_peak_loop: [{ name: "params", kind: "struct", struct: "PeakParams", dir: "in" }, { name: "sink", kind: "u32", dir: "out" }],
  onebit_bitpack_f32_b32: [{ name: "params", kind: "struct", struct: "BitpackParams", dir: "in" }, { name: "input", kind: "f32", dir: "in" }, { name: "output", kind: "u32", dir: "out" }],
  onebit_im2col_b32: [{ name: "params", kind: "struct", struct: "Im2colParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "output", kind: "u32", dir: "out" }],
  onebit_bgemm_pack_rhs_b32: [{ name: "params", kind: "struct", struct: "PackRhsParams", dir: "in" }, { name: "rhs", kind: "u32", dir: "in" }, { name: "packed_rhs", kind: "u32", dir: "out" }],
  onebit_bgemm_b32_f32: [{ name: "params", kind: "struct", struct: "BgemmParams", dir: "in" }, { name: "lhs", kind: "u32", dir: "in" }, { name: "packed_rhs", kind: "u32", dir: "in" }, { name: "multiplier", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_bgemm_b32_b32: [{ name: "params", kind: "struct", struct: "BgemmParams", dir: "in" }, { name: "lhs", kind: "u32", dir: "in" }, { name: "packed_rhs", kind: "u32", dir: "in" }, { name: "threshold", kind: "i32", dir: "in" }, { name: "output", kind: "u32", dir: "out" }],
  onebit_bconv2d_b32_f32: [{ name: "params", kind: "struct", struct: "Bconv2dParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "packed_filter", kind: "u32", dir: "in" }, { name: "multiplier", kind: "f32", dir: "in" }, { name: "bias", kind: "f32", dir: "in" }, { name: "workspace", kind: "u32", dir: "out" }, { name: "output", kind: "f32", dir: "out" }],
  onebit_bconv2d_b32_b32: [{ name: "params", kind: "struct", struct: "Bconv2dParams", dir: "in" }, { name: "input", kind: "u32", dir: "in" }, { name: "packed_filter", kind: "u32", dir: "in" }, { name: "threshold", kind: "i32", dir: "in" }, { name: "workspace", kind: "u32", dir: "out" }, { name: "output", kind: "u32", dir: "out" }],
} as const;

/** Byte layout of every extern struct. */
export const structs = {
  BitpackParams: {
    size: 8,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      channels: { offset: 4, type: "i32", count: 1 },
    },
  },
  Im2colParams: {
    size: 56,
    fields: {
      batch: { offset: 0, type: "i32", count: 1 },
      in_h: { offset: 4, type: "i32", count: 1 },
      in_w: { offset: 8, type: "i32", count: 1 },
      in_words: { offset: 12, type: "i32", count: 1 },
      kernel_h: { offset: 16, type: "i32", count: 1 },
      kernel_w: { offset: 20, type: "i32", count: 1 },
      stride_h: { offset: 24, type: "i32", count: 1 },
      stride_w: { offset: 28, type: "i32", count: 1 },
      dilation_h: { offset: 32, type: "i32", count: 1 },
      dilation_w: { offset: 36, type: "i32", count: 1 },
      pad_top: { offset: 40, type: "i32", count: 1 },
      pad_left: { offset: 44, type: "i32", count: 1 },
      out_h: { offset: 48, type: "i32", count: 1 },
      out_w: { offset: 52, type: "i32", count: 1 },
    },
  },
  PackRhsParams: {
    size: 8,
    fields: {
      channels_out: { offset: 0, type: "i32", count: 1 },
      depth_words: { offset: 4, type: "i32", count: 1 },
    },
  },
  BgemmParams: {
    size: 32,
    fields: {
      rows: { offset: 0, type: "i32", count: 1 },
      channels_out: { offset: 4, type: "i32", count: 1 },
      depth_words: { offset: 8, type: "i32", count: 1 },
      depth_bits: { offset: 12, type: "i32", count: 1 },
      clamp_min: { offset: 16, type: "i32", count: 1 },
      clamp_max: { offset: 20, type: "i32", count: 1 },
      ukernel: { offset: 24, type: "i32", count: 1 },
      threads: { offset: 28, type: "i32", count: 1 },
    },
  },
  Bconv2dParams: {
    size: 76,
    fields: {
      batch: { offset: 0, type: "i32", count: 1 },
      in_h: { offset: 4, type: "i32", count: 1 },
      in_w: { offset: 8, type: "i32", count: 1 },
      channels_in: { offset: 12, type: "i32", count: 1 },
      channels_out: { offset: 16, type: "i32", count: 1 },
      kernel_h: { offset: 20, type: "i32", count: 1 },
      kernel_w: { offset: 24, type: "i32", count: 1 },
      stride_h: { offset: 28, type: "i32", count: 1 },
      stride_w: { offset: 32, type: "i32", count: 1 },
      dilation_h: { offset: 36, type: "i32", count: 1 },
      dilation_w: { offset: 40, type: "i32", count: 1 },
      pad_top: { offset: 44, type: "i32", count: 1 },
      pad_left: { offset: 48, type: "i32", count: 1 },
      out_h: { offset: 52, type: "i32", count: 1 },
      out_w: { offset: 56, type: "i32", count: 1 },
      clamp_min: { offset: 60, type: "i32", count: 1 },
      clamp_max: { offset: 64, type: "i32", count: 1 },
      ukernel: { offset: 68, type: "i32", count: 1 },
      threads: { offset: 72, type: "i32", count: 1 },
    },
  },
  UkernelInfo: {
    size: 56,
    fields: {
      name: { offset: 0, type: "u8", count: 40 },
      mr: { offset: 40, type: "i32", count: 1 },
      nr: { offset: 44, type: "i32", count: 1 },
      supported: { offset: 48, type: "i32", count: 1 },
      peak_macs_per_iteration: { offset: 52, type: "i32", count: 1 },
    },
  },
  PeakParams: {
    size: 12,
    fields: {
      ukernel: { offset: 0, type: "i32", count: 1 },
      iterations: { offset: 4, type: "i32", count: 1 },
      threads: { offset: 8, type: "i32", count: 1 },
    },
  },
} as const;
