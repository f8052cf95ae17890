// exposeAllValues: graph => the same graph whose outputs are every node output, in node (topological)
// order, each once. Nodes, inputs and initializers are shared, not copied. Used by `kiln check --bisect`
// to read every intermediate value of one run. Guard: a graph without nodes keeps its outputs (there is
// nothing to expose).

import type { Graph, Value } from '../ir/types.js';

export function exposeAllValues(g: Graph): Graph {
  if (g.nodes.length === 0) return g;
  const seen = new Set<number>();
  const outputs: Value[] = [];
  for (const n of g.nodes) {
    for (const v of n.outputs) {
      if (seen.has(v.id)) continue;
      seen.add(v.id);
      outputs.push(v);
    }
  }
  return { ...g, outputs };
}
