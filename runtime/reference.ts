// The float64 reference interpreter: evaluates a graph node by node with each op's `reference`.
// It is the arbiter in tests and in `kiln check` (DESIGN.md §7-8); it shares no code with the kernels.

import { fromFloat64, F64Tensor, HostTensor, toFloat64 } from '../core/tensor.js';
import type { Graph, Node, TensorType } from '../compiler/ir/types.js';
import { inferNode } from '../compiler/ir/infer-node.js';
import type { OpName } from '../ops/op-attrs.js';
import { opDef } from '../ops/table.js';
import { bindInputs } from './bind-inputs.js';
import { FeedError } from '../core/errors.js';

export interface ReferenceResult {
  /** Graph outputs by name. */
  readonly outputs: Record<string, F64Tensor>;
  /** Every value by id (inputs, initializers, node outputs). */
  readonly values: ReadonlyMap<number, F64Tensor>;
}

export function runReference(g: Graph, feeds: Readonly<Record<string, HostTensor>>): ReferenceResult {
  bindInputs(g, feeds);
  const values = new Map<number, F64Tensor>();
  const types = new Map<number, TensorType>();
  const consts = new Map<number, HostTensor>();
  for (const v of g.inputs) {
    values.set(v.id, toFloat64(feeds[v.name]));
    types.set(v.id, { dtype: v.type.dtype, shape: feeds[v.name].dims });
  }
  for (const [id, t] of g.initializers) {
    values.set(id, toFloat64(t));
    types.set(id, { dtype: t.dtype, shape: t.dims });
    consts.set(id, t);
  }
  for (const n of g.nodes) evaluate(n);

  function evaluate<K extends OpName>(n: Node<K>): void {
    const inTypes = n.inputs.map((v) => (v === undefined ? undefined : types.get(v.id)));
    const known = (i: number): HostTensor | undefined => {
      const v = n.inputs[i];
      return v === undefined ? undefined : consts.get(v.id);
    };
    const outTypes = inferNode(n, inTypes, known).map((t) => ({
      dtype: t.dtype,
      dims: t.shape.map((d) => {
        if (typeof d !== 'number') throw new FeedError(`${n.op} '${n.name}': output dimension '${d}' is unbound`);
        return d;
      }),
    }));
    const outs = opDef<K>(n.op).reference({
      site: { op: n.op, node: n.name },
      attrs: n.attrs,
      inputs: n.inputs.map((v) => (v === undefined ? undefined : values.get(v.id))),
      inputTypes: inTypes,
      outputTypes: outTypes,
    });
    outs.forEach((o, i) => {
      const v = n.outputs[i];
      values.set(v.id, o);
      types.set(v.id, { dtype: outTypes[i].dtype, shape: outTypes[i].dims });
      // Integer-valued results (shapes) stay available as constants for later shape inference.
      if (outTypes[i].dtype === 'int64') consts.set(v.id, fromFloat64('int64', outTypes[i].dims, o.data));
    });
  }

  const outputs: Record<string, F64Tensor> = {};
  for (const v of g.outputs) outputs[v.name] = values.get(v.id)!;
  return { outputs, values };
}
