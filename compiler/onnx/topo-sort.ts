// Order ONNX nodes so every input is defined before use. ONNX requires topological order already;
// sorting keeps valid files as they are (a stable depth-first order) and accepts shuffled ones. A
// true cycle is an OnnxImportError naming the nodes on it.

import { OnnxImportError } from '../../core/errors.js';

export interface SortableNode {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly string[];
}

/** Indices of `nodes` in dependency order; `producer` maps a value name to the index of its node. */
export function topologicalOrder(nodes: readonly SortableNode[], producer: ReadonlyMap<string, number>): number[] {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const state = new Uint8Array(nodes.length);
  const order: number[] = [];
  const deps = (i: number): number[] =>
    nodes[i].inputs.map((n) => (n === '' ? undefined : producer.get(n))).filter((p): p is number => p !== undefined);
  for (let root = 0; root < nodes.length; root++) {
    if (state[root] !== WHITE) continue;
    // Iterative DFS (deep graphs would overflow the call stack): a stack of [node, next dependency].
    const stack: [number, number[], number][] = [[root, deps(root), 0]];
    state[root] = GREY;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, ds] = top;
      if (top[2] < ds.length) {
        const d = ds[top[2]++];
        if (state[d] === GREY) {
          const from = stack.findIndex((f) => f[0] === d);
          const cycle = stack.slice(from).map((f) => f[0]).concat(d);
          const text = cycle.map((k) => `${nodes[k].opType} '${nodes[k].name}'`).join(' -> ');
          throw new OnnxImportError(`the graph has a cycle: ${text} (each node needs an output of the next)`);
        }
        if (state[d] === WHITE) {
          state[d] = GREY;
          stack.push([d, deps(d), 0]);
        }
      } else {
        state[node] = BLACK;
        order.push(node);
        stack.pop();
      }
    }
  }
  return order;
}
