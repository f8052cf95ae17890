// The IR verifier: arity, types (re-inferred and compared), definitions before use, single producers,
// no cycles. Tests run it after every pass; it throws GraphError naming the node and what is wrong.

import { GraphError } from '../../core/errors.js';
import { sameShape } from '../../core/shape.js';
import { opDef } from '../../ops/table.js';
import type { AnyNode, Graph, TensorType } from './types.js';
import { printType } from './print.js';
import { inferNode } from './infer-node.js';
import { propagateKnown } from './propagate-known.js';

function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && sameShape(a.shape, b.shape);
}

function checkArity(n: AnyNode): void {
  const ports = opDef(n.op).inputs;
  const variadic = ports.some((p) => p.variadic);
  const min = ports.filter((p) => !p.optional).length;
  if (n.inputs.length < min || (!variadic && n.inputs.length > ports.length)) {
    throw new GraphError(`${n.op} '${n.name}': expected ${variadic ? `at least ${min}` : `${min}..${ports.length}`} inputs, got ${n.inputs.length}`);
  }
  ports.forEach((p, i) => {
    if (!p.optional && i < n.inputs.length && n.inputs[i] === undefined) {
      throw new GraphError(`${n.op} '${n.name}': required input '${p.name}' (${i}) is missing`);
    }
  });
}

export function verifyGraph(g: Graph): void {
  const defined = new Map<number, string>();
  const define = (id: number, by: string): void => {
    const prev = defined.get(id);
    if (prev !== undefined) throw new GraphError(`value %${id} is defined twice: by ${prev} and by ${by}`);
    defined.set(id, by);
  };
  const known = new Map(g.initializers);
  for (const v of g.inputs) define(v.id, `graph input '${v.name}'`);
  for (const id of g.initializers.keys()) define(id, 'an initializer');
  for (const n of g.nodes) {
    checkArity(n);
    for (const v of n.inputs) {
      if (v !== undefined && !defined.has(v.id)) {
        throw new GraphError(`${n.op} '${n.name}': input %${v.id} '${v.name}' is used before it is defined (or the graph has a cycle)`);
      }
    }
    const types = inferNode(n, n.inputs.map((v) => v?.type), (i) => {
      const v = n.inputs[i];
      return v === undefined ? undefined : known.get(v.id);
    });
    n.outputs.forEach((v, i) => {
      if (!sameType(types[i], v.type)) {
        throw new GraphError(`${n.op} '${n.name}': output ${i} is typed ${printType(v.type)} but inference gives ${printType(types[i])}`);
      }
      define(v.id, `${n.op} '${n.name}'`);
    });
    // Values computable from constants are known to later nodes, as they were when the graph was built.
    propagateKnown(n.op, n.name, n.inputs, n.attrs, n.outputs, known);
  }
  for (const v of g.outputs) {
    if (!defined.has(v.id)) throw new GraphError(`graph output %${v.id} '${v.name}' is never defined`);
  }
}
