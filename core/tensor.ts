// kiln's host tensor (dtype, concrete dims, typed storage) and its conversions to the
// onnxruntime-common Tensor that the public API takes and returns, and to float64 for the reference.

import { Tensor } from 'onnxruntime-common';
import { allocateStorage, DType, isDType, Storage, StorageOf } from './dtype.js';
import { KilnError } from './errors.js';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from './half.js';
import { sizeOf } from './shape.js';

export interface HostTensor<D extends DType = DType> {
  readonly dtype: D;
  readonly dims: readonly number[];
  readonly data: StorageOf[D];
}

/** A float64 tensor: what the reference implementations compute on. */
export interface F64Tensor {
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

export function hostTensor<D extends DType>(dtype: D, dims: readonly number[], data?: StorageOf[D]): HostTensor<D> {
  const size = sizeOf(dims);
  const storage = data ?? allocateStorage(dtype, size);
  if (storage.length !== size) {
    throw new KilnError(`tensor of dtype ${dtype} and dims [${dims.join(',')}] needs ${size} elements, got ${storage.length}`);
  }
  return { dtype, dims: [...dims], data: storage };
}

/** Read element i of any storage as a number (bigints and half bits widened). */
export function readElement(dtype: DType, data: Storage, i: number): number {
  switch (dtype) {
    case 'float16': return halfToFloat((data as Uint16Array)[i]);
    case 'bfloat16': return bfloat16ToFloat((data as Uint16Array)[i]);
    case 'int64': return Number((data as BigInt64Array)[i]);
    default: return (data as Float64Array)[i];
  }
}

/** Widen to float64 (exact for every dtype except int64 beyond 2^53). */
export function toFloat64(t: HostTensor): F64Tensor {
  const n = t.data.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = readElement(t.dtype, t.data, i);
  return { dims: t.dims, data: out };
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * A number as int64, truncated toward zero and saturated: INT64_MAX read through a float64 is
 * exactly 2^63, which would wrap to INT64_MIN (ONNX Slice uses it as 'to the end'). NaN gives 0.
 */
function toInt64(x: number): bigint {
  if (Number.isNaN(x)) return 0n;
  if (x >= 2 ** 63) return INT64_MAX;
  if (x <= -(2 ** 63)) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

/** Narrow float64 values to a dtype, rounding to nearest (ints truncate toward zero like ONNX Cast). */
export function fromFloat64<D extends DType>(dtype: D, dims: readonly number[], values: ArrayLike<number>): HostTensor<D> {
  const n = values.length;
  const data = allocateStorage(dtype, n);
  switch (dtype) {
    case 'float16': for (let i = 0; i < n; i++) (data as Uint16Array)[i] = floatToHalf(values[i]); break;
    case 'bfloat16': for (let i = 0; i < n; i++) (data as Uint16Array)[i] = floatToBfloat16(values[i]); break;
    case 'int64': for (let i = 0; i < n; i++) (data as BigInt64Array)[i] = toInt64(values[i]); break;
    case 'bool': for (let i = 0; i < n; i++) (data as Uint8Array)[i] = values[i] !== 0 ? 1 : 0; break;
    default: for (let i = 0; i < n; i++) (data as Float64Array)[i] = values[i];
  }
  return hostTensor(dtype, dims, data as StorageOf[D]);
}

/** onnxruntime-common Tensor -> HostTensor (shares the data array; no copy). */
export function fromOrtTensor(t: Tensor, what: string): HostTensor {
  if (!isDType(t.type)) throw new KilnError(`${what}: tensor type '${t.type}' is not supported by kiln`);
  const dtype: DType = t.type;
  let data = t.data as unknown;
  // onnxruntime-common may hand out Float16Array where the runtime has it; kiln stores bits.
  if (dtype === 'float16' && !(data instanceof Uint16Array)) {
    const src = data as ArrayLike<number>;
    const bits = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) bits[i] = floatToHalf(src[i]);
    data = bits;
  }
  if (dtype === 'bool' && !(data instanceof Uint8Array)) {
    throw new KilnError(`${what}: bool tensor data must be a Uint8Array`);
  }
  return hostTensor(dtype, t.dims, data as Storage);
}

/** HostTensor -> onnxruntime-common Tensor (shares the data array). */
export function toOrtTensor(t: HostTensor): Tensor {
  const dtype = t.dtype;
  if (dtype === 'bfloat16') {
    throw new KilnError('bfloat16 tensors cannot be returned as onnxruntime-common Tensors (it has no bfloat16 type); cast to float32');
  }
  // The storage classes match onnxruntime-common's DataTypeMap for every other dtype.
  return new Tensor(dtype, t.data as never, [...t.dims]);
}
