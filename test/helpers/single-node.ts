// Build a one-node graph around an op and run it on kiln's CPU backend and on the float64 reference.

import { GraphBuilder } from '../../compiler/ir/builder.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import type { Graph } from '../../compiler/ir/types.js';
import type { HostTensor, F64Tensor } from '../../core/tensor.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { runReference } from '../../runtime/reference.js';

export interface SingleNodeInput {
  readonly tensor: HostTensor | undefined;
  /** Make this input an initializer (constant) instead of a graph input. */
  readonly constant?: boolean;
}

export interface SingleNodeResult {
  readonly graph: Graph;
  readonly kiln: HostTensor[];
  readonly reference: F64Tensor[];
}

export function singleNodeGraph<K extends OpName>(op: K, inputs: readonly (HostTensor | SingleNodeInput | undefined)[], attrs: Partial<OpAttrs[K]> = {}, outputs = 1): { graph: Graph; feeds: Record<string, HostTensor> } {
  const b = new GraphBuilder(`single_${op}`);
  const feeds: Record<string, HostTensor> = {};
  const values = inputs.map((inp, i) => {
    const spec: SingleNodeInput = inp === undefined || 'dtype' in inp ? { tensor: inp } : inp;
    if (spec.tensor === undefined) return undefined;
    const name = `in${i}`;
    if (spec.constant) return b.initializer(name, spec.tensor);
    feeds[name] = spec.tensor;
    return b.input(name, spec.tensor.dtype, spec.tensor.dims);
  });
  const outs = b.node(op, values, attrs, { name: `${op.toLowerCase()}_node`, outputs });
  const graph = b.build(outs);
  verifyGraph(graph);
  return { graph, feeds };
}

/** Run `op` on kiln (CPU) and on the reference. */
export function runSingleNode<K extends OpName>(op: K, inputs: readonly (HostTensor | SingleNodeInput | undefined)[], attrs: Partial<OpAttrs[K]> = {}, outputs = 1): SingleNodeResult {
  const { graph, feeds } = singleNodeGraph(op, inputs, attrs, outputs);
  const session = new GraphSession(graph);
  const res = session.runHost(feeds);
  const ref = runReference(graph, feeds);
  return {
    graph,
    kiln: graph.outputs.map((v) => res[v.name]),
    reference: graph.outputs.map((v) => ref.outputs[v.name]),
  };
}
