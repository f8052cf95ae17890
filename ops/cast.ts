// ONNX Cast (opset 13 semantics; 19/21 add only float8/int4 types, which kiln lacks, so `saturate`
// never applies): Y = X converted to `to`. Float → int truncates toward zero; → bool is X ≠ 0;
// → float16/bfloat16 rounds to nearest even.

import { DType, DTYPES, isDType } from '../core/dtype.js';
import { ArgumentError } from '../core/errors.js';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../core/half.js';
import { requireInput } from './check.js';
import { E } from './kernel-ir.js';
import type { OpDef } from './op-def.js';

export interface CastAttrs {
  /**
   * Target element type as a kiln DType name ('float32', 'int64', ...). ONNX stores a
   * TensorProto.DataType code here; the ONNX importer maps it (core/dtype.ts ONNX_DTYPE_CODE) and
   * rejects codes kiln has no dtype for.
   */
  readonly to: DType;
}

/** Two's-complement wrap of an integer-valued number into `bits` bits (what typed arrays store). */
function wrap(t: number, bits: number, signed: boolean): number {
  const m = 2 ** bits;
  const r = ((t % m) + m) % m;
  return signed && r >= m / 2 ? r - m : r;
}

/** float64 value of x after conversion to `to`, written from the spec rather than from the kernels. */
export function castValue(x: number, to: DType): number {
  if (to === 'bool') return x !== 0 ? 1 : 0; // NaN ≠ 0, so NaN → true (as numpy's bool(nan))
  if (to === 'float64') return x;
  if (to === 'float32') return Math.fround(x);
  if (to === 'float16') return halfToFloat(floatToHalf(x));
  if (to === 'bfloat16') return bfloat16ToFloat(floatToBfloat16(x));
  // Integers: truncate toward zero. NaN/±inf and out-of-range values are undefined in ONNX; kiln gives
  // 0 for non-finite values and wraps out-of-range ones modulo 2^bits, as the CPU's typed arrays do.
  const t = Math.trunc(x);
  if (!Number.isFinite(t)) return 0;
  switch (to) {
    case 'int8': return wrap(t, 8, true);
    case 'uint8': return wrap(t, 8, false);
    case 'int32': return wrap(t, 32, true);
    case 'int64': return t; // beyond ±2^63 is out of range (undefined); not checked
  }
}

export const Cast: OpDef<'Cast'> = {
  type: 'Cast',
  domain: '',
  version: 13,
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: {
    to: { kind: 'string', required: true },
  },

  inferShape(ctx) {
    const x = requireInput(ctx, 0, 'input');
    const to: string = ctx.attrs.to;
    if (!isDType(to)) throw new ArgumentError(ctx.site, 'to', `one of ${DTYPES.join('|')}`, `'${to}'`);
    return [{ dtype: to, shape: x.shape }];
  },

  reference({ inputs, attrs }) {
    const x = inputs[0]!;
    return [{ dims: [...x.dims], data: x.data.map((v) => castValue(v, attrs.to)) }];
  },

  lower(ctx) {
    const x = ctx.inputs[0]!;
    const to = ctx.attrs.to;
    if (to === x.dtype) return [ctx.view(x, x.dims)];
    // The CPU codegen converts on load (half bits, BigInt) and on store (rounding, truncation, != 0).
    return [ctx.elementwise([x], E.operand(0), x.dims, to)];
  },
};
