// IEEE 754 binary16 and bfloat16 bit conversions. Storage is the raw 16-bit pattern (as in ONNX and
// onnxruntime-common); arithmetic happens in float32/float64 after widening.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float16 bits -> number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** number -> float16 bits, round to nearest even (via float32 first, as hardware converters do). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let frac = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (frac !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    frac |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = frac >>> shift;
    const rem = frac & ((1 << shift) - 1);
    if (rem > half || (rem === half && (m & 1) === 1)) m += 1;
    return sign | m;
  }
  let m = frac >>> 13;
  const rem = frac & 0x1fff;
  let out = sign | (e << 10) | m;
  if (rem > 0x1000 || (rem === 0x1000 && (m & 1) === 1)) out += 1;
  return out;
}

/** bfloat16 bits -> number (exact). */
export function bfloat16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** number -> bfloat16 bits, round to nearest even. */
export function floatToBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounding = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + rounding) >>> 16) & 0xffff;
}
