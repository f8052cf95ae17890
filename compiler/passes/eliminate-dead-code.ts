// eliminateDeadCode: nodes none of whose outputs reach a graph output, and initializers no kept node
// or graph output reads => removed. Values keep their ids and names (nothing is rebuilt).
// Guards: graph inputs always stay (they are the graph's calling interface, even when unused); a
// multi-output node stays whole when any one of its outputs is live (e.g. a training-mode
// BatchNormalization whose running statistics are unused).

import type { AnyNode, Graph } from '../ir/types.js';

export function eliminateDeadCode(g: Graph): Graph {
  const live = new Set<number>(g.outputs.map((v) => v.id));
  const kept = new Set<AnyNode>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((v) => live.has(v.id))) continue;
    kept.add(n);
    for (const v of n.inputs) if (v !== undefined) live.add(v.id);
  }
  const nodes = g.nodes.filter((n) => kept.has(n));
  const initializers = new Map([...g.initializers].filter(([id]) => live.has(id)));
  return { ...g, nodes, initializers };
}
