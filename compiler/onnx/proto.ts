// ModelProto bytes <-> objects through onnx-proto's generated protobufjs codec. Decoding never
// throws anything but OnnxImportError: protobufjs' RangeErrors on truncated or garbage bytes are wrapped.

import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { OnnxImportError } from '../../core/errors.js';

export const { onnx } = onnxProto;
export type { OnnxTypes };

/** int64 fields decode as protobufjs Long objects (or numbers when built by hand). */
export interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}

export type IntLike = number | LongLike | null | undefined;

/** An int64 proto field as an exact bigint. */
export function toBigInt(v: IntLike): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.high >>> 0);
  const u = (hi << 32n) | lo;
  return v.unsigned ? u : BigInt.asIntN(64, u);
}

/** An int64 proto field as a number; OnnxImportError (naming `what`) when it is not exactly representable. */
export function toSafeInt(v: IntLike, what: string): number {
  const b = toBigInt(v);
  if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new OnnxImportError(`${what}: integer ${b} is outside the exactly representable range (±2^53)`);
  }
  return Number(b);
}

export function decodeModel(bytes: Uint8Array): OnnxTypes.ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new OnnxImportError(`ONNX model: expected bytes (Uint8Array), got ${typeof bytes}`);
  if (bytes.length === 0) throw new OnnxImportError('ONNX model: the file is empty (0 bytes)');
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new OnnxImportError(`ONNX model: cannot decode ModelProto from ${bytes.length} bytes (truncated or not an ONNX file): ${why}`);
  }
  // Random bytes can decode as a proto with no graph; that is not a model either.
  if (model.graph === null || model.graph === undefined) {
    throw new OnnxImportError(`ONNX model: the ${bytes.length} bytes decode to a ModelProto without a graph (not an ONNX model, or truncated)`);
  }
  return model;
}

export function encodeModel(model: OnnxTypes.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
