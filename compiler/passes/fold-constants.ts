// foldConstants: a node whose inputs are all initializers (Constant nodes included: they have none)
// => initializers holding its outputs, computed with the op's float64 reference and rounded to each
// output's dtype — the same arithmetic as plan-time folding in lowering, so results do not change.
// Guards: an input that is not constant; an output dim still symbolic; an output larger than
// `maxElements` (folding would bloat the model with data the kernels compute cheaply).

import { sizeOf } from '../../core/shape.js';
import { fromFloat64, HostTensor, toFloat64 } from '../../core/tensor.js';
import type { ConcreteType } from '../../ops/op-def.js';
import type { OpName } from '../../ops/op-attrs.js';
import { opDef } from '../../ops/table.js';
import { inferNode } from '../ir/infer-node.js';
import type { AnyNode, Graph, Node, TensorType, Value } from '../ir/types.js';
import { RewriteContext, rewriteGraph } from './rewrite.js';

/** Default size limit in elements per output (as lowering's plan-time folding). */
export const FOLD_MAX_ELEMENTS = 1 << 16;

export interface FoldConstantsOptions {
  /** Largest output, in elements, that is folded (default FOLD_MAX_ELEMENTS). */
  readonly maxElements?: number;
}

export function foldConstants(g: Graph, options: FoldConstantsOptions = {}): Graph {
  const limit = options.maxElements ?? FOLD_MAX_ELEMENTS;
  return rewriteGraph(g, (n, ctx) => foldNode(n, ctx, limit));
}

function concreteTypes(types: readonly TensorType[]): ConcreteType[] | undefined {
  const out: ConcreteType[] = [];
  for (const t of types) {
    const dims: number[] = [];
    for (const d of t.shape) {
      if (typeof d !== 'number') return undefined;
      dims.push(d);
    }
    out.push({ dtype: t.dtype, dims });
  }
  return out;
}

function foldNode(n: AnyNode, ctx: RewriteContext, limit: number): Value[] | undefined {
  const data: (HostTensor | undefined)[] = [];
  for (const v of n.inputs) {
    if (v === undefined) {
      data.push(undefined);
      continue;
    }
    const t = ctx.constant(v);
    if (t === undefined) return undefined;
    data.push(t);
  }
  const inputTypes = n.inputs.map((v) => (v === undefined ? undefined : ctx.value(v).type));
  const outTypes = concreteTypes(inferNode(n, inputTypes, (i) => data[i]));
  if (outTypes === undefined || outTypes.some((t) => sizeOf(t.dims) > limit)) return undefined;
  const results = evaluate(n, data, inputTypes, outTypes);
  return results.map((t, i) => ctx.initializer(n.outputs[i].name, t));
}

function evaluate(n: AnyNode, data: readonly (HostTensor | undefined)[], inputTypes: readonly (TensorType | undefined)[], outTypes: readonly ConcreteType[]): HostTensor[] {
  // A Constant's tensor is taken as is: its float64 reference would round int64 beyond 2^53.
  if (n.op === 'Constant') return [n.attrs.value];
  return evaluateReference(n, data, inputTypes, outTypes);
}

function evaluateReference<K extends OpName>(n: Node<K>, data: readonly (HostTensor | undefined)[], inputTypes: readonly (TensorType | undefined)[], outTypes: readonly ConcreteType[]): HostTensor[] {
  const outs = opDef<K>(n.op).reference({
    site: { op: n.op, node: n.name },
    attrs: n.attrs,
    inputs: data.map((t) => (t === undefined ? undefined : toFloat64(t))),
    inputTypes,
    outputTypes: outTypes,
  });
  return outs.map((o, i) => fromFloat64(outTypes[i].dtype, outTypes[i].dims, o.data));
}
