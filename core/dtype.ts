// Element types kiln understands, named as onnxruntime-common names them, with their storage arrays.
// ONNX TensorProto.DataType codes are kept here so the ONNX codec and the runtime agree on one table.

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int8', 'uint8', 'bool'];

/** Storage of each dtype. float16 and bfloat16 are raw bit patterns, as onnxruntime-common stores them. */
export interface StorageOf {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}
export type Storage = StorageOf[DType];

/** ONNX TensorProto.DataType enum values (onnx/onnx.proto). */
export const ONNX_DTYPE_CODE: { readonly [D in DType]: number } = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

/** Bytes per element of each dtype's storage (half types as 16-bit words, bool as one byte). */
export const ELEMENT_BYTES: { readonly [D in DType]: number } = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}

/** Half-precision types whose arithmetic kiln does in float32 (DESIGN.md §6: statistics in f32). */
export function isHalfDType(d: DType): boolean {
  return d === 'float16' || d === 'bfloat16';
}

export function allocateStorage<D extends DType>(dtype: D, size: number): StorageOf[D];
export function allocateStorage(dtype: DType, size: number): Storage {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'float16': return new Uint16Array(size);
    case 'bfloat16': return new Uint16Array(size);
    case 'int64': return new BigInt64Array(size);
    case 'int32': return new Int32Array(size);
    case 'int8': return new Int8Array(size);
    case 'uint8': return new Uint8Array(size);
    case 'bool': return new Uint8Array(size);
  }
}
