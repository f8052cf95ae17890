// TensorProto <-> HostTensor: dtype codes, dims, little-endian raw_data, the typed data fields
// (float_data, int32_data — which also carries float16/bfloat16 bits, int8, uint8 and bool —,
// int64_data, double_data) and external data files. Export always writes raw_data.

import { ONNX_DTYPE_CODE, allocateStorage, DType, DTYPES, ELEMENT_BYTES, Storage } from '../../core/dtype.js';
import { OnnxImportError } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import { hostTensor, HostTensor } from '../../core/tensor.js';
import { readExternalData } from './external-data.js';
import { OnnxTypes, toBigInt, toSafeInt } from './proto.js';

/** ONNX TensorProto.DataType names, for messages about codes kiln cannot read. */
const ONNX_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128',
  16: 'BFLOAT16', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4',
  23: 'FLOAT4E2M1',
};

const DTYPE_OF_CODE = new Map<number, DType>(DTYPES.map((d) => [ONNX_DTYPE_CODE[d], d]));

export function describeOnnxType(code: number): string {
  return `${ONNX_TYPE_NAMES[code] ?? 'unknown'} (code ${code})`;
}

/** kiln dtype of an ONNX data type code; OnnxImportError naming the code (and `what`) otherwise. */
export function dtypeFromOnnx(code: number, what: string): DType {
  const d = DTYPE_OF_CODE.get(code);
  if (d === undefined) {
    throw new OnnxImportError(`${what}: ONNX data type ${describeOnnxType(code)} is not supported; kiln reads ${DTYPES.join(', ')}`);
  }
  return d;
}

export interface TensorDecodeOptions {
  /** Folder that external data locations are relative to (the model file's folder). */
  readonly baseDir?: string;
}

function tensorLabel(t: OnnxTypes.ITensorProto, what: string): string {
  return t.name ? `${what} '${t.name}'` : what;
}

/** Whether typed arrays on this host are little-endian (then raw bytes can be copied as they are). */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Exact little-endian decoding of `bytes` into the storage of `dtype` (independent of host byte order). */
function fromLittleEndian(dtype: DType, bytes: Uint8Array, n: number): Storage {
  if (HOST_IS_LITTLE_ENDIAN && dtype !== 'bool') {
    // Copy into a fresh, aligned buffer and view it (raw_data often sits at an odd offset in the file).
    const out = allocateStorage(dtype, n);
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes.subarray(0, out.byteLength));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = allocateStorage(dtype, n);
  switch (dtype) {
    case 'float32': for (let i = 0; i < n; i++) (out as Float32Array)[i] = view.getFloat32(4 * i, true); break;
    case 'float64': for (let i = 0; i < n; i++) (out as Float64Array)[i] = view.getFloat64(8 * i, true); break;
    case 'float16':
    case 'bfloat16': for (let i = 0; i < n; i++) (out as Uint16Array)[i] = view.getUint16(2 * i, true); break;
    case 'int64': for (let i = 0; i < n; i++) (out as BigInt64Array)[i] = view.getBigInt64(8 * i, true); break;
    case 'int32': for (let i = 0; i < n; i++) (out as Int32Array)[i] = view.getInt32(4 * i, true); break;
    case 'int8': for (let i = 0; i < n; i++) (out as Int8Array)[i] = view.getInt8(i); break;
    case 'uint8': (out as Uint8Array).set(bytes.subarray(0, n)); break;
    case 'bool': for (let i = 0; i < n; i++) (out as Uint8Array)[i] = bytes[i] !== 0 ? 1 : 0; break;
  }
  return out;
}

/** Little-endian bytes of a tensor's storage (raw_data). */
export function toLittleEndian(t: HostTensor): Uint8Array {
  const n = t.data.length;
  if (HOST_IS_LITTLE_ENDIAN && t.dtype !== 'bool') {
    const d = t.data;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  }
  const bytes = new Uint8Array(n * ELEMENT_BYTES[t.dtype]);
  const view = new DataView(bytes.buffer);
  const d = t.data;
  switch (t.dtype) {
    case 'float32': for (let i = 0; i < n; i++) view.setFloat32(4 * i, (d as Float32Array)[i], true); break;
    case 'float64': for (let i = 0; i < n; i++) view.setFloat64(8 * i, (d as Float64Array)[i], true); break;
    case 'float16':
    case 'bfloat16': for (let i = 0; i < n; i++) view.setUint16(2 * i, (d as Uint16Array)[i], true); break;
    case 'int64': for (let i = 0; i < n; i++) view.setBigInt64(8 * i, (d as BigInt64Array)[i], true); break;
    case 'int32': for (let i = 0; i < n; i++) view.setInt32(4 * i, (d as Int32Array)[i], true); break;
    case 'int8': for (let i = 0; i < n; i++) view.setInt8(i, (d as Int8Array)[i]); break;
    case 'uint8': bytes.set(d as Uint8Array); break;
    case 'bool': for (let i = 0; i < n; i++) bytes[i] = (d as Uint8Array)[i] !== 0 ? 1 : 0; break;
  }
  return bytes;
}

function lengthError(label: string, field: string, dims: readonly number[], expected: number, got: number, unit: string): OnnxImportError {
  return new OnnxImportError(`${label}: ${field} holds ${got} ${unit}, expected ${expected} ${unit} for dims [${dims.join(',')}]`);
}

/** Read the typed field that carries `dtype` (ONNX onnx.proto comments on each field). */
function fromTypedField(dtype: DType, t: OnnxTypes.ITensorProto, n: number, label: string, dims: readonly number[]): Storage {
  const check = (field: string, len: number): void => {
    if (len !== n) throw lengthError(label, field, dims, n, len, 'elements');
  };
  const out = allocateStorage(dtype, n);
  switch (dtype) {
    case 'float32': {
      const src = t.floatData ?? [];
      check('float_data', src.length);
      (out as Float32Array).set(src);
      return out;
    }
    case 'float64': {
      const src = t.doubleData ?? [];
      check('double_data', src.length);
      (out as Float64Array).set(src);
      return out;
    }
    case 'int64': {
      const src = t.int64Data ?? [];
      check('int64_data', src.length);
      for (let i = 0; i < n; i++) (out as BigInt64Array)[i] = toBigInt(src[i]);
      return out;
    }
    default: {
      // int32_data carries int32, int8, uint8, bool and the 16-bit patterns of float16/bfloat16.
      const src = t.int32Data ?? [];
      check('int32_data', src.length);
      if (dtype === 'bool') for (let i = 0; i < n; i++) (out as Uint8Array)[i] = src[i] !== 0 ? 1 : 0;
      else if (dtype === 'float16' || dtype === 'bfloat16') for (let i = 0; i < n; i++) (out as Uint16Array)[i] = src[i] & 0xffff;
      else (out as Int32Array | Int8Array | Uint8Array).set(src);
      return out;
    }
  }
}

/** Decode a TensorProto; `what` names its role in messages (e.g. "initializer"). */
export function tensorFromProto(t: OnnxTypes.ITensorProto, options: TensorDecodeOptions = {}, what = 'tensor'): HostTensor {
  const label = tensorLabel(t, what);
  const dtype = dtypeFromOnnx(t.dataType ?? 0, label);
  const dims = (t.dims ?? []).map((d, i) => {
    const v = toSafeInt(d, `${label} dim ${i}`);
    if (v < 0) throw new OnnxImportError(`${label}: dim ${i} is ${v}; dims must be non-negative`);
    return v;
  });
  if (t.segment) throw new OnnxImportError(`${label}: segmented tensors are not supported`);
  const n = sizeOf(dims);
  if (!Number.isSafeInteger(n)) throw new OnnxImportError(`${label}: dims [${dims.join(',')}] have too many elements`);
  const width = ELEMENT_BYTES[dtype];
  let raw: Uint8Array | undefined;
  if (t.dataLocation === 1) raw = readExternalData(t, options.baseDir, label);
  else if (t.rawData && t.rawData.length > 0) raw = t.rawData;
  if (raw !== undefined) {
    if (raw.length !== n * width) throw lengthError(label, t.dataLocation === 1 ? 'external data' : 'raw_data', dims, n * width, raw.length, 'bytes');
    return hostTensor(dtype, dims, fromLittleEndian(dtype, raw, n));
  }
  return hostTensor(dtype, dims, fromTypedField(dtype, t, n, label, dims));
}

/** Encode a tensor as a TensorProto with raw_data (little-endian). */
export function tensorToProto(t: HostTensor, name: string): OnnxTypes.ITensorProto {
  return {
    name,
    dataType: ONNX_DTYPE_CODE[t.dtype],
    dims: [...t.dims],
    rawData: toLittleEndian(t),
  };
}
