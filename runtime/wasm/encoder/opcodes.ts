// Opcode tables of the instructions kiln's code generators emit: single-byte core instructions
// (WebAssembly 1.0 + sign extension) and the 0xFD-prefixed fixed-width SIMD instructions (SIMD
// proposal, standardized in WebAssembly 2.0, spec §5.4.8). Only what the generators use is listed.

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

export const VALTYPE_CODE: { readonly [T in ValType]: number } = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/** Instructions without immediates. */
export const PLAIN = {
  unreachable: 0x00,
  nop: 0x01,
  return: 0x0f,
  drop: 0x1a,
  select: 0x1b,
  'i32.eqz': 0x45,
  'i32.eq': 0x46,
  'i32.ne': 0x47,
  'i32.lt_s': 0x48,
  'i32.lt_u': 0x49,
  'i32.gt_s': 0x4a,
  'i32.gt_u': 0x4b,
  'i32.le_s': 0x4c,
  'i32.le_u': 0x4d,
  'i32.ge_s': 0x4e,
  'i32.ge_u': 0x4f,
  'f64.ne': 0x62,
  'f64.lt': 0x63,
  'f64.gt': 0x64,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'i32.div_s': 0x6d,
  'i32.div_u': 0x6e,
  'i32.rem_s': 0x6f,
  'i32.rem_u': 0x70,
  'i32.and': 0x71,
  'i32.or': 0x72,
  'i32.xor': 0x73,
  'i32.shl': 0x74,
  'i32.shr_s': 0x75,
  'i32.shr_u': 0x76,
  'f32.eq': 0x5b,
  'f32.ne': 0x5c,
  'f32.gt': 0x5e,
  'f32.abs': 0x8b,
  'f32.neg': 0x8c,
  'f32.ceil': 0x8d,
  'f32.floor': 0x8e,
  'f32.sqrt': 0x91,
  'f32.add': 0x92,
  'f32.sub': 0x93,
  'f32.mul': 0x94,
  'f32.div': 0x95,
  'f32.min': 0x96,
  'f32.max': 0x97,
  'f64.abs': 0x99,
  'f64.neg': 0x9a,
  'f64.ceil': 0x9b,
  'f64.floor': 0x9c,
  'f64.sqrt': 0x9f,
  'f64.add': 0xa0,
  'f64.sub': 0xa1,
  'f64.mul': 0xa2,
  'f64.div': 0xa3,
  'f64.min': 0xa4,
  'f64.max': 0xa5,
  'f32.demote_f64': 0xb6,
  'f64.convert_i32_s': 0xb7,
  'f64.convert_i32_u': 0xb8,
  'f64.promote_f32': 0xbb,
} as const;
export type PlainOp = keyof typeof PLAIN;

/** Memory instructions: opcode and natural alignment (log2 bytes) of the memarg. */
export const MEMORY = {
  'i32.load': [0x28, 2],
  'f32.load': [0x2a, 2],
  'f64.load': [0x2b, 3],
  'i32.store': [0x36, 2],
  'f32.store': [0x38, 2],
  'f64.store': [0x39, 3],
} as const;
export type MemoryOp = keyof typeof MEMORY;

/** 0xFD-prefixed SIMD instructions without immediates (opcode is encoded as u32 LEB128). */
export const SIMD = {
  'i8x16.swizzle': 0x0e,
  'i32x4.splat': 0x11,
  'f32x4.splat': 0x13,
  'f64x2.splat': 0x14,
  'f32x4.eq': 0x41,
  'f32x4.ne': 0x42,
  'f32x4.gt': 0x44,
  'f64x2.ne': 0x48,
  'f64x2.lt': 0x49,
  'f64x2.gt': 0x4a,
  'v128.not': 0x4d,
  'v128.and': 0x4e,
  'v128.or': 0x50,
  'v128.xor': 0x51,
  'v128.bitselect': 0x52,
  'v128.any_true': 0x53,
  'f32x4.demote_f64x2_zero': 0x5e,
  'f64x2.promote_low_f32x4': 0x5f,
  'f32x4.ceil': 0x67,
  'f32x4.floor': 0x68,
  'f64x2.ceil': 0x74,
  'f64x2.floor': 0x75,
  'i32x4.add': 0xae,
  'i32x4.sub': 0xb1,
  'i32x4.mul': 0xb5,
  'f32x4.abs': 0xe0,
  'f32x4.neg': 0xe1,
  'f32x4.sqrt': 0xe3,
  'f32x4.add': 0xe4,
  'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6,
  'f32x4.div': 0xe7,
  'f32x4.min': 0xe8,
  'f32x4.max': 0xe9,
  'f32x4.pmin': 0xea,
  'f32x4.pmax': 0xeb,
  'f64x2.abs': 0xec,
  'f64x2.neg': 0xed,
  'f64x2.sqrt': 0xef,
  'f64x2.add': 0xf0,
  'f64x2.sub': 0xf1,
  'f64x2.mul': 0xf2,
  'f64x2.div': 0xf3,
  'f64x2.min': 0xf4,
  'f64x2.max': 0xf5,
  'f64x2.pmin': 0xf6,
  'f64x2.pmax': 0xf7,
} as const;
export type SimdOp = keyof typeof SIMD;

/** SIMD memory instructions with a memarg: opcode and natural alignment (log2 bytes). */
export const SIMD_MEMORY = {
  'v128.load': [0x00, 4],
  'v128.load32_splat': [0x09, 2],
  'v128.load64_splat': [0x0a, 3],
  'v128.store': [0x0b, 4],
  'v128.load32_zero': [0x5c, 2],
  'v128.load64_zero': [0x5d, 3],
} as const;
export type SimdMemoryOp = keyof typeof SIMD_MEMORY;

/** SIMD lane instructions with a lane immediate. */
export const SIMD_LANE = {
  'f32x4.extract_lane': 0x1f,
  'f32x4.replace_lane': 0x20,
  'f64x2.extract_lane': 0x21,
  'f64x2.replace_lane': 0x22,
} as const;
export type SimdLaneOp = keyof typeof SIMD_LANE;

/** SIMD memory-lane instructions (memarg, then a lane immediate). */
export const SIMD_MEMORY_LANE = {
  'v128.store32_lane': [0x5a, 2],
  'v128.store64_lane': [0x5b, 3],
} as const;
export type SimdMemoryLaneOp = keyof typeof SIMD_MEMORY_LANE;

export const CONTROL = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  call: 0x10,
  'local.get': 0x20,
  'local.set': 0x21,
  'local.tee': 0x22,
  'i32.const': 0x41,
  'f32.const': 0x43,
  'f64.const': 0x44,
} as const;

export const SIMD_PREFIX = 0xfd;
export const SIMD_CONST = 0x0c;
export const SIMD_SHUFFLE = 0x0d;
/** Block type of a block without results. */
export const BLOCKTYPE_EMPTY = 0x40;
