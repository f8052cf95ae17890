// The bisect plumbing: the expose-all-values pass, ONNX probes in topological order, the ModelProto
// copy onnxruntime runs, and the first-divergence search.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import { decodeModel, encodeModel } from '../../compiler/onnx/proto.js';
import { hostTensor, type HostTensor } from '../../core/tensor.js';
import { exposeAllNodeOutputs, graphProbes, onnxProbes } from '../../cli/bisect-models.js';
import { exposeAllValues } from '../../compiler/passes/expose-all-values.js';
import { firstDivergence } from '../../cli/bisect.js';
import { runOnnxruntime } from '../../cli/ort-oracle.js';
import { f32, mulReluModel } from './onnx-models.js';

/** The IR twin of mulReluModel (same value and node names). */
function mulReluGraph() {
  const b = new GraphBuilder('test');
  const x = b.input('x', 'float32', [2, 3]);
  const w = b.initializer('w', f32([3], [2, -1, 0.5]));
  const [h] = b.node('Mul', [x, w], {}, { name: 'scale_mul', outputs: ['h'] });
  const [y] = b.node('Relu', [h], {}, { name: 'act', outputs: ['y'] });
  return b.build([y]);
}

describe('exposeAllValues', () => {
  it('makes every node output a graph output, in node order, and keeps the graph valid', () => {
    const g = mulReluGraph();
    const e = exposeAllValues(g);
    expect(e.outputs.map((v) => v.name)).toEqual(['h', 'y']);
    expect(e.nodes).toBe(g.nodes);
    verifyGraph(e);
    expect(graphProbes(g)).toEqual([
      { opType: 'Mul', nodeName: 'scale_mul', valueName: 'h' },
      { opType: 'Relu', nodeName: 'act', valueName: 'y' },
    ]);
  });
});

describe('onnxProbes', () => {
  it('lists node outputs in topological order even when the file is unsorted', () => {
    const model = decodeModel(mulReluModel());
    const graph = { ...model.graph, node: [...(model.graph?.node ?? [])].reverse() };
    expect(onnxProbes(graph).map((p) => `${p.opType} ${p.nodeName} ${p.valueName}`)).toEqual(['Mul scale_mul h', 'Relu act y']);
  });

  it('skips empty optional outputs and names unnamed nodes by position', () => {
    const probes = onnxProbes({ node: [{ opType: 'Dropout', input: ['x'], output: ['y', ''] }] });
    expect(probes).toEqual([{ opType: 'Dropout', nodeName: '#0', valueName: 'y' }]);
  });
});

describe('exposeAllNodeOutputs', () => {
  it('adds typed graph outputs that onnxruntime then returns', async () => {
    const model = decodeModel(mulReluModel());
    const exposed = exposeAllNodeOutputs(model, mulReluGraph());
    expect((exposed.graph?.output ?? []).map((o) => [o.name, o.type?.tensorType?.elemType])).toEqual([['y', 1], ['h', 1]]);
    const x = f32([2, 3], [1, 2, 3, -1, -2, -3]);
    const ort = await runOnnxruntime(encodeModel(exposed), { x }, { optimization: 'disabled' }, ['h', 'y']);
    if (!ort.ok) expect.fail(ort.reason);
    expect(Array.from(ort.outputs.h.data as Float32Array)).toEqual([2, -2, 1.5, -2, 2, -1.5]);
    expect(Array.from(ort.outputs.y.data as Float32Array)).toEqual([2, 0, 1.5, 0, 2, 0]);
  });
});

describe('firstDivergence', () => {
  const probes = [
    { opType: 'Mul', nodeName: 'a', valueName: 'v1' },
    { opType: 'Add', nodeName: 'b', valueName: 'v2' },
    { opType: 'Relu', nodeName: 'c', valueName: 'v3' },
    { opType: 'Relu', nodeName: 'd', valueName: 'v4' },
  ];
  const t = (v: number) => f32([2], [v, v]);
  const expected = new Map<string, HostTensor>([['v1', t(1)], ['v2', t(2)], ['v3', t(3)], ['v4', t(4)]]);

  it('reports no divergence when every value agrees', () => {
    const r = firstDivergence(probes, new Map(expected), (n) => expected.get(n));
    expect(r).toEqual({ compared: 4, skipped: [] });
  });

  it('names the first node out of tolerance, not a later one', () => {
    const actual = new Map(expected);
    actual.set('v2', f32([2], [2, 2.5]));
    actual.set('v4', t(40));
    const r = firstDivergence(probes, actual, (n) => expected.get(n));
    expect(r.divergence?.probe).toEqual(probes[1]);
    expect(r.divergence?.comparison.maxAbsErr).toBeCloseTo(0.5, 6);
    expect(r.compared).toBe(2);
  });

  it('skips values missing on one side', () => {
    const actual = new Map(expected);
    actual.delete('v1');
    const r = firstDivergence(probes, actual, (n) => expected.get(n));
    expect(r.skipped.map((p) => p.valueName)).toEqual(['v1']);
    expect(r.divergence).toBeUndefined();
  });
});

describe('runOnnxruntime', () => {
  it('reports why it cannot run instead of throwing', async () => {
    const bad = await runOnnxruntime(new Uint8Array([1, 2, 3]), {}, { optimization: 'all' });
    expect(bad.ok).toBe(false);
    const bf = await runOnnxruntime(mulReluModel(), { x: hostTensor('bfloat16', [2, 3]) }, { optimization: 'all' });
    expect(bf).toEqual({ ok: false, reason: "onnxruntime-node has no bfloat16 tensors (input 'x')" });
  });
});
