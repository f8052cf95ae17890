// ValueInfoProto <-> (dtype, shape) for graph inputs and outputs. Symbolic dims are dim_param strings;
// a dim with neither value nor param gets a fresh symbol; a tensor with no shape has unknown rank,
// which kiln cannot represent (an OnnxImportError).

import { ONNX_DTYPE_CODE } from '../../core/dtype.js';
import { OnnxImportError } from '../../core/errors.js';
import type { Dim } from '../../core/shape.js';
import type { TensorType } from '../ir/types.js';
import { OnnxTypes, toSafeInt } from './proto.js';
import { dtypeFromOnnx } from './tensor-proto.js';

export function tensorTypeFromValueInfo(vi: OnnxTypes.IValueInfoProto, what: string, freshSymbol: (base: string) => string): TensorType {
  const name = vi.name ?? '';
  const label = `${what} '${name}'`;
  const tt = vi.type?.tensorType;
  if (tt === null || tt === undefined) {
    const kind = vi.type ? Object.keys(vi.type).filter((k) => k.endsWith('Type')).join(', ') || 'no type' : 'no type';
    throw new OnnxImportError(`${label}: expected a tensor type, got ${kind}`);
  }
  const dtype = dtypeFromOnnx(tt.elemType ?? 0, label);
  if (tt.shape === null || tt.shape === undefined) {
    throw new OnnxImportError(`${label}: has no shape (unknown rank); kiln needs every graph input's rank`);
  }
  const shape: Dim[] = (tt.shape.dim ?? []).map((d, i) => {
    // dim_value and dim_param are a oneof; a decoded proto leaves the unset one null.
    if (d.dimValue !== null && d.dimValue !== undefined && !d.dimParam) {
      const v = toSafeInt(d.dimValue, `${label} dim ${i}`);
      if (v < 0) throw new OnnxImportError(`${label}: dim ${i} is ${v}; dims must be non-negative`);
      return v;
    }
    if (d.dimParam) return d.dimParam;
    return freshSymbol(`${name}_dim${i}`);
  });
  return { dtype, shape };
}

export function valueInfo(name: string, t: TensorType): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE_CODE[t.dtype],
        shape: { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
