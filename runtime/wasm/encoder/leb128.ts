// LEB128 integer encodings of the WebAssembly binary format (spec §5.2.2): unsigned for sizes, counts
// and indices, signed for i32 constants.

/** Append `value` (an integer in [0, 2^32)) as unsigned LEB128. */
export function writeU32(out: number[], value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`u32 LEB128: ${value} is not an integer in [0, 2^32)`);
  let v = value;
  do {
    const byte = v % 128;
    v = Math.floor(v / 128);
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

/** Append `value` (an integer in [−2^31, 2^32); values ≥ 2^31 wrap as i32 does) as signed LEB128. */
export function writeI32(out: number[], value: number): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) throw new RangeError(`i32 LEB128: ${value} is not a 32-bit integer`);
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

export function u32Bytes(value: number): number[] {
  const out: number[] = [];
  writeU32(out, value);
  return out;
}

export function i32Bytes(value: number): number[] {
  const out: number[] = [];
  writeI32(out, value);
  return out;
}
