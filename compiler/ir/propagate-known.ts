// Constant propagation while building or checking a graph: when every input of a node is known
// (initializers, Constant outputs, earlier propagated values) its small outputs are computed with the
// op's float64 reference and remembered. The ONNX importer relies on it so that adapters needing a
// constant (Pad pads, Reshape shapes, Slice starts, ...) accept values exporters compute from
// constants (torch's Pad pads come from a ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast chain),
// and the verifier uses it to infer the same types. The nodes stay in the graph.

import { isConcrete } from '../../core/shape.js';
import { fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';
import { opDef } from '../../ops/table.js';
import { completeAttrs } from './attrs.js';
import type { Value } from './types.js';

/** Largest output (elements) worth computing at import time: shape arithmetic is tiny. */
const PROPAGATE_LIMIT = 4096;

export function propagateKnown<K extends OpName>(
  op: K,
  nodeName: string,
  inputs: readonly (Value | undefined)[],
  attrs: Partial<OpAttrs[K]>,
  outputs: readonly Value[],
  known: Map<number, HostTensor>,
): void {
  if (outputs.length === 0 || inputs.some((v) => v !== undefined && !known.has(v.id))) return;
  const outTypes = outputs.map((v) => v.type);
  const dims = outTypes.map((t) => t.shape);
  if (!dims.every(isConcrete)) return;
  const concrete = dims as (readonly number[])[];
  if (concrete.some((d) => d.reduce((a, b) => a * b, 1) > PROPAGATE_LIMIT)) return;
  const site = { op, node: nodeName };
  const def = opDef<K>(op);
  const results = def.reference({
    site,
    attrs: completeAttrs(op, attrs, site),
    inputs: inputs.map((v) => (v === undefined ? undefined : toFloat64(known.get(v.id)!))),
    inputTypes: inputs.map((v) => v?.type),
    outputTypes: outTypes.map((t, i) => ({ dtype: t.dtype, dims: concrete[i] })),
  });
  results.forEach((r, i) => known.set(outputs[i].id, fromFloat64(outTypes[i].dtype, concrete[i], r.data)));
}
