// The two model copies `kiln check --bisect` runs: kiln's IR graph with every node output as a graph
// output (exposeAllValues, compiler/passes/expose-all-values.ts), and the ONNX ModelProto with every
// node output added to graph.output (for onnxruntime). Plus the probe list: node outputs in topological order.

import { ONNX_DTYPE_CODE } from '../core/dtype.js';
import type { Graph } from '../compiler/ir/types.js';
import type { OnnxTypes } from '../compiler/onnx/proto.js';
import { topologicalOrder } from '../compiler/onnx/topo-sort.js';

/** One value to compare: the output `valueName` of node `nodeName` (op `opType`). */
export interface Probe {
  readonly opType: string;
  readonly nodeName: string;
  readonly valueName: string;
}

/** kiln graph probes: node outputs in the graph's (topological) node order. */
export function graphProbes(g: Graph): Probe[] {
  return g.nodes.flatMap((n) => n.outputs.map((v) => ({ opType: n.op, nodeName: n.name, valueName: v.name })));
}

/**
 * ONNX nodes in the importer's topological order (the file's order where it already is one; the
 * ONNX spec requires sorted nodes, but producers exist that break it).
 */
export function sortedOnnxNodes(graph: OnnxTypes.IGraphProto): OnnxTypes.INodeProto[] {
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) if (o !== '') producer.set(o, i);
  });
  const sortable = nodes.map((n, i) => ({ name: n.name || `#${i}`, opType: n.opType ?? '', inputs: n.input ?? [] }));
  return topologicalOrder(sortable, producer).map((i) => nodes[i]);
}

/** ONNX probes: every non-empty node output, nodes in topological order. */
export function onnxProbes(graph: OnnxTypes.IGraphProto): Probe[] {
  const position = new Map((graph.node ?? []).map((n, i) => [n, i]));
  // Unnamed nodes are named by their position in the file, where a user can find them.
  return sortedOnnxNodes(graph).flatMap((n) =>
    (n.output ?? []).filter((o) => o !== '').map((o) => ({ opType: n.opType ?? '', nodeName: n.name || `#${position.get(n)}`, valueName: o })),
  );
}

/**
 * A copy of `model` whose graph outputs are the original ones plus every node output. onnxruntime
 * needs an element type on each output: it comes from kiln's graph (by value name), else from the
 * file's value_info; values with neither are left out (and reported as not compared).
 */
export function exposeAllNodeOutputs(model: OnnxTypes.IModelProto, kiln: Graph): OnnxTypes.IModelProto {
  const graph = model.graph ?? {};
  const kilnTypes = new Map<string, number>();
  for (const n of kiln.nodes) for (const v of n.outputs) kilnTypes.set(v.name, ONNX_DTYPE_CODE[v.type.dtype]);
  const infoTypes = new Map<string, number>();
  for (const vi of graph.valueInfo ?? []) {
    const t = vi.type?.tensorType?.elemType;
    if (vi.name && t) infoTypes.set(vi.name, t);
  }
  const outputs = [...(graph.output ?? [])];
  const present = new Set(outputs.map((o) => o.name ?? ''));
  for (const p of onnxProbes(graph)) {
    if (present.has(p.valueName)) continue;
    const elemType = kilnTypes.get(p.valueName) ?? infoTypes.get(p.valueName);
    if (elemType === undefined) continue;
    present.add(p.valueName);
    outputs.push({ name: p.valueName, type: { tensorType: { elemType } } });
  }
  return { ...model, graph: { ...graph, output: outputs } };
}
