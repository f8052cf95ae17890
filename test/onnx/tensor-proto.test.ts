// TensorProto codec: every dtype round trips bit-exactly through raw_data, the typed fields decode as
// onnx.proto documents them, and malformed tensors give OnnxImportError naming the tensor.

import { describe, expect, it } from 'vitest';
import { DType, DTYPES } from '../../core/dtype.js';
import { OnnxImportError } from '../../core/errors.js';
import { hostTensor, HostTensor } from '../../core/tensor.js';
import { floatToBfloat16, floatToHalf } from '../../core/half.js';
import { tensorFromProto, tensorToProto } from '../../compiler/onnx/tensor-proto.js';
import { onnx, TYPE } from './proto-builder.js';

/** Awkward values per dtype: extremes, negative zero, NaN/Inf where the type has them, subnormals. */
function sample(dtype: DType): HostTensor {
  const dims = [2, 3];
  switch (dtype) {
    case 'float32': return hostTensor(dtype, dims, Float32Array.from([0, -0, 1.5, -3.4e38, 1e-45, NaN]));
    case 'float64': return hostTensor(dtype, dims, Float64Array.from([Math.PI, -0, 1e308, -5e-324, Infinity, NaN]));
    case 'float16': return hostTensor(dtype, dims, Uint16Array.from([0x0000, 0x8000, 0x3c00, 0x7bff, 0x0001, 0x7e00]));
    case 'bfloat16': return hostTensor(dtype, dims, Uint16Array.from([0x0000, 0x8000, 0x3f80, 0x7f7f, 0x0001, 0xff80]));
    case 'int64': return hostTensor(dtype, dims, BigInt64Array.from([0n, -1n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, 12345678901234n]));
    case 'int32': return hostTensor(dtype, dims, Int32Array.from([0, -1, 2147483647, -2147483648, 7, -7]));
    case 'int8': return hostTensor(dtype, dims, Int8Array.from([0, -1, 127, -128, 5, -5]));
    case 'uint8': return hostTensor(dtype, dims, Uint8Array.from([0, 1, 255, 128, 7, 200]));
    case 'bool': return hostTensor(dtype, dims, Uint8Array.from([0, 1, 1, 0, 0, 1]));
  }
}

/** Bit patterns of the storage, so NaN and −0 compare exactly. */
function bits(t: HostTensor): string[] {
  const d = t.data;
  if (d instanceof Float32Array) return Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length), String);
  if (d instanceof Float64Array) return Array.from(new BigUint64Array(d.buffer, d.byteOffset, d.length), String);
  return Array.from(d as ArrayLike<number | bigint>, String);
}

/** Through the wire format: encode a TensorProto to bytes and decode it again. */
function viaBytes(p: ReturnType<typeof tensorToProto>): ReturnType<typeof tensorToProto> {
  return onnx.TensorProto.decode(onnx.TensorProto.encode(onnx.TensorProto.create(p)).finish());
}

describe('TensorProto raw_data round trip', () => {
  it.each(DTYPES.map((d) => [d]))('%s is bit-exact', (dtype) => {
    const t = sample(dtype);
    const back = tensorFromProto(viaBytes(tensorToProto(t, 'w')));
    expect(back.dtype).toBe(dtype);
    expect(back.dims).toEqual([2, 3]);
    expect(bits(back)).toEqual(bits(t));
  });

  it('writes little-endian raw_data with the ONNX type code', () => {
    const p = tensorToProto(hostTensor('int32', [2], Int32Array.from([1, -2])), 'v');
    expect(p.dataType).toBe(TYPE.int32);
    expect(Array.from(p.rawData!)).toEqual([1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff]);
  });

  it('reads hand-written little-endian bytes', () => {
    const raw = new Uint8Array([0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x20, 0xc1]); // 1.5, -10
    const t = tensorFromProto({ name: 'r', dataType: TYPE.float, dims: [2], rawData: raw });
    expect(Array.from(t.data as Float32Array)).toEqual([1.5, -10]);
    const i64 = tensorFromProto({ name: 'q', dataType: TYPE.int64, dims: [1], rawData: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) });
    expect(Array.from(i64.data as BigInt64Array)).toEqual([-1n]);
  });

  it('handles scalars and empty tensors', () => {
    const s = tensorFromProto(viaBytes(tensorToProto(hostTensor('float64', [], Float64Array.from([2.5])), 's')));
    expect(s.dims).toEqual([]);
    expect(Array.from(s.data as Float64Array)).toEqual([2.5]);
    const e = tensorFromProto(viaBytes(tensorToProto(hostTensor('float32', [0, 4]), 'e')));
    expect(e.dims).toEqual([0, 4]);
    expect(e.data.length).toBe(0);
  });
});

describe('TensorProto typed fields', () => {
  it('float_data, double_data, int64_data', () => {
    expect(Array.from(tensorFromProto({ dataType: TYPE.float, dims: [2], floatData: [1.25, -2] }).data as Float32Array)).toEqual([1.25, -2]);
    expect(Array.from(tensorFromProto({ dataType: TYPE.double, dims: [2], doubleData: [Math.PI, -1e300] }).data as Float64Array)).toEqual([Math.PI, -1e300]);
    const big = onnx.TensorProto.decode(onnx.TensorProto.encode({ dataType: TYPE.int64, dims: [3], int64Data: [-5, 2 ** 40, 0] }).finish());
    expect(Array.from(tensorFromProto(big).data as BigInt64Array)).toEqual([-5n, 2n ** 40n, 0n]);
  });

  it('int32_data carries int32, int8, uint8, bool and the 16-bit patterns of float16/bfloat16', () => {
    const read = (dataType: number, v: number[]): number[] => Array.from(tensorFromProto({ dataType, dims: [v.length], int32Data: v }).data as ArrayLike<number>);
    expect(read(TYPE.int32, [-7, 2147483647])).toEqual([-7, 2147483647]);
    expect(read(TYPE.int8, [-128, 127])).toEqual([-128, 127]);
    expect(read(TYPE.uint8, [0, 255])).toEqual([0, 255]);
    expect(read(TYPE.bool, [0, 1, 1])).toEqual([0, 1, 1]);
    expect(read(TYPE.float16, [floatToHalf(1.5), floatToHalf(-0.25)])).toEqual([floatToHalf(1.5), floatToHalf(-0.25)]);
    expect(read(TYPE.bfloat16, [floatToBfloat16(3), floatToBfloat16(-1)])).toEqual([floatToBfloat16(3), floatToBfloat16(-1)]);
  });
});

describe('malformed TensorProtos', () => {
  const err = (p: Parameters<typeof tensorFromProto>[0]): OnnxImportError => {
    try {
      tensorFromProto(p, {}, 'initializer');
    } catch (e) {
      expect(e).toBeInstanceOf(OnnxImportError);
      return e as OnnxImportError;
    }
    throw new Error('expected an OnnxImportError');
  };

  it('negative dims', () => {
    expect(err({ name: 'w', dataType: TYPE.float, dims: [2, -3], floatData: [] }).message).toMatch(/initializer 'w': dim 1 is -3/);
  });

  it('raw_data length that does not match the dims names the tensor, expected and got', () => {
    const e = err({ name: 'w', dataType: TYPE.float, dims: [2, 3], rawData: new Uint8Array(20) });
    expect(e.message).toMatch(/initializer 'w'/);
    expect(e.message).toMatch(/raw_data holds 20 bytes, expected 24 bytes for dims \[2,3\]/);
  });

  it('typed-field length that does not match the dims', () => {
    expect(err({ name: 'k', dataType: TYPE.int64, dims: [4], int64Data: [1, 2, 3] }).message).toMatch(/initializer 'k': int64_data holds 3 elements, expected 4 elements/);
    expect(err({ name: 'h', dataType: TYPE.float16, dims: [2] }).message).toMatch(/int32_data holds 0 elements, expected 2/);
  });

  it('unsupported data types name the code', () => {
    expect(err({ name: 's', dataType: 8, dims: [1] }).message).toMatch(/initializer 's': ONNX data type STRING \(code 8\) is not supported/);
    expect(err({ name: 'u', dataType: 4, dims: [1] }).message).toMatch(/UINT16 \(code 4\)/);
    expect(err({ name: 'z', dataType: 0, dims: [1] }).message).toMatch(/UNDEFINED \(code 0\)/);
  });
});
