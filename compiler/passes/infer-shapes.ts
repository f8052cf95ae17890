// inferShapes: every value's type => its type re-inferred from the graph inputs, with symbolic input
// dims named in `bindings` replaced by numbers (e.g. N => 1 before planning a fixed-batch graph).
// Guards: a binding must be a positive integer; symbols not bound stay symbolic; shape inference
// re-validates every node (a binding that contradicts a concrete dim fails there, naming the node).

import { GraphError } from '../../core/errors.js';
import type { Dim } from '../../core/shape.js';
import type { Graph, TensorType, Value } from '../ir/types.js';
import { rewriteGraph } from './rewrite.js';

export function inferShapes(g: Graph, bindings: ReadonlyMap<string, number> = new Map()): Graph {
  for (const [name, d] of bindings) {
    if (!Number.isInteger(d) || d < 1) throw new GraphError(`inferShapes: dimension '${name}' must be bound to a positive integer, got ${d}`);
  }
  const bind = (d: Dim): Dim => (typeof d === 'string' ? (bindings.get(d) ?? d) : d);
  const inputType = (v: Value): TensorType => ({ dtype: v.type.dtype, shape: v.type.shape.map(bind) });
  return rewriteGraph(g, undefined, { inputType });
}
