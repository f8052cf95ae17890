// ONNX AttributeProto <-> typed values of the attribute kinds kiln's op specs use (ops/op-def.ts
// AttrKind). Reading checks the proto's declared type against the kind the spec expects.

import { OnnxImportError } from '../../core/errors.js';
import type { HostTensor } from '../../core/tensor.js';
import type { AttrKind } from '../../ops/op-def.js';
import { OnnxTypes, onnx, toBigInt } from './proto.js';
import { tensorFromProto, tensorToProto, TensorDecodeOptions } from './tensor-proto.js';

const T = onnx.AttributeProto.AttributeType;

const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'INT', 3: 'STRING', 4: 'TENSOR', 5: 'GRAPH', 6: 'FLOATS', 7: 'INTS', 8: 'STRINGS',
  9: 'TENSORS', 10: 'GRAPHS', 11: 'SPARSE_TENSOR', 12: 'SPARSE_TENSORS', 13: 'TYPE_PROTO', 14: 'TYPE_PROTOS',
};

const KIND_TYPE: { readonly [K in AttrKind]: number } = {
  int: T.INT, float: T.FLOAT, ints: T.INTS, floats: T.FLOATS, string: T.STRING, tensor: T.TENSOR,
};

export type AttrValue = number | readonly number[] | string | HostTensor;

/** int64 attribute values as numbers; beyond ±(2^53−1) they clamp (e.g. Slice's INT64_MAX "to the end"). */
export function clampInt(v: bigint): number {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (v > max) return Number.MAX_SAFE_INTEGER;
  if (v < -max) return -Number.MAX_SAFE_INTEGER;
  return Number(v);
}

/**
 * ONNX FLOAT attributes are float32. kiln computes attributes in float64, so it reads each back as the
 * shortest decimal that rounds to the same float32 (1e-5, not 9.99999974e-6): the value the writer
 * most likely meant, and exactly what kiln itself wrote, so export -> import keeps attributes unchanged.
 */
export function shortestFloat32(f: number): number {
  if (!Number.isFinite(f) || f === 0) return f;
  for (let p = 1; p <= 9; p++) {
    const v = Number(f.toPrecision(p));
    if (Math.fround(v) === f) return v;
  }
  return f;
}

/** The declared type, or the one implied by the populated field for old files that leave `type` unset. */
export function attrType(a: OnnxTypes.IAttributeProto): number {
  if (a.type) return a.type;
  if (a.t) return T.TENSOR;
  if (a.g) return T.GRAPH;
  if (a.floats && a.floats.length) return T.FLOATS;
  if (a.ints && a.ints.length) return T.INTS;
  if (a.strings && a.strings.length) return T.STRINGS;
  if (a.s && a.s.length) return T.STRING;
  if (a.i !== null && a.i !== undefined && toBigInt(a.i) !== 0n) return T.INT;
  if (a.f) return T.FLOAT;
  return T.UNDEFINED;
}

export function attrTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/**
 * Read attribute `a` as `kind`. `where` names the op and node for messages. An INT where a FLOAT is
 * expected is widened (some exporters write integral floats as ints); any other mismatch is an error.
 */
export function readAttr(a: OnnxTypes.IAttributeProto, kind: AttrKind, where: string, options: TensorDecodeOptions = {}): AttrValue {
  const type = attrType(a);
  const name = a.name ?? '';
  const mismatch = (): OnnxImportError =>
    new OnnxImportError(`${where}: attribute '${name}' expected ${attrTypeName(KIND_TYPE[kind])}, got ${attrTypeName(type)}`);
  switch (kind) {
    case 'int':
      if (type !== T.INT) throw mismatch();
      return clampInt(toBigInt(a.i));
    case 'float':
      if (type === T.FLOAT) return shortestFloat32(a.f ?? 0);
      if (type === T.INT) return clampInt(toBigInt(a.i));
      throw mismatch();
    case 'ints':
      if (type !== T.INTS && !(type === T.UNDEFINED)) throw mismatch();
      return (a.ints ?? []).map((v) => clampInt(toBigInt(v)));
    case 'floats':
      if (type === T.FLOATS || type === T.UNDEFINED) return (a.floats ?? []).map(shortestFloat32);
      if (type === T.INTS) return (a.ints ?? []).map((v) => clampInt(toBigInt(v)));
      throw mismatch();
    case 'string':
      if (type !== T.STRING) throw mismatch();
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case 'tensor':
      if (type !== T.TENSOR || !a.t) throw mismatch();
      return tensorFromProto(a.t, options, `${where}: attribute '${name}'`);
  }
}

/** Write `value` as an attribute of `kind`. */
export function writeAttr(name: string, kind: AttrKind, value: AttrValue): OnnxTypes.IAttributeProto {
  switch (kind) {
    case 'int': return { name, type: T.INT, i: value as number };
    case 'float': return { name, type: T.FLOAT, f: value as number };
    case 'ints': return { name, type: T.INTS, ints: [...(value as readonly number[])] };
    case 'floats': return { name, type: T.FLOATS, floats: [...(value as readonly number[])] };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(value as string) };
    case 'tensor': return { name, type: T.TENSOR, t: tensorToProto(value as HostTensor, '') };
  }
}
