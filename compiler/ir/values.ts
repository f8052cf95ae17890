// Derived lookups over a graph's values (never stored in the graph: DESIGN.md §3).

import type { HostTensor } from '../../core/tensor.js';
import type { Graph, Value } from './types.js';

/** Every value that appears in the graph, by id. */
export function valuesById(g: Graph): Map<number, Value> {
  const out = new Map<number, Value>();
  for (const v of g.inputs) out.set(v.id, v);
  for (const n of g.nodes) {
    for (const v of n.inputs) if (v !== undefined) out.set(v.id, v);
    for (const v of n.outputs) out.set(v.id, v);
  }
  for (const v of g.outputs) out.set(v.id, v);
  return out;
}

/** Initializer data by value name. */
export function initializersByName(g: Graph): Map<string, HostTensor> {
  const values = valuesById(g);
  const out = new Map<string, HostTensor>();
  for (const [id, t] of g.initializers) {
    const v = values.get(id);
    if (v !== undefined) out.set(v.name, t);
  }
  return out;
}
