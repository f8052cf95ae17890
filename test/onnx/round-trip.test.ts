// import(export(g)) for GraphBuilder graphs over many ops, at opsets 9, 14 and 15: the imported graph
// gives kiln's outputs (bit for bit where every node is written 1:1) and keeps initializers bit-exact.

import { describe, expect, it } from 'vitest';
import { OnnxExportError } from '../../core/errors.js';
import type { HostTensor } from '../../core/tensor.js';
import { exportModel, importModel } from '../../compiler/onnx/index.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import { initializersByName } from '../../compiler/ir/values.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { expectClose } from '../helpers/compare.js';
import { toFloat64 } from '../../core/tensor.js';
import { graphCases } from './graph-cases.js';

const OPSETS = [9, 14, 15] as const;

function bytesOf(t: HostTensor): number[] {
  const d = t.data;
  return Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
}

describe.each(graphCases().map((c) => [c.name, c] as const))('round trip: %s', (_, c) => {
  const expected = new GraphSession(c.graph).runHost(c.feeds);

  it.each(OPSETS.map((o) => [o]))('opset %i', (opset) => {
    if (c.minOpset !== undefined && opset < c.minOpset) {
      expect(() => exportModel(c.graph, { opset })).toThrow(OnnxExportError);
      return;
    }
    const bytes = exportModel(c.graph, { opset });
    const imported = importModel(bytes);
    expect(imported.opset).toBe(opset);
    verifyGraph(imported.graph);
    expect(imported.graph.inputs.map((v) => [v.name, v.type])).toEqual(c.graph.inputs.map((v) => [v.name, v.type]));
    expect(imported.graph.outputs.map((v) => v.name)).toEqual(c.graph.outputs.map((v) => v.name));

    // Initializers keep their names and bytes.
    const before = initializersByName(c.graph);
    const after = initializersByName(imported.graph);
    for (const [name, t] of before) {
      const back = after.get(name);
      expect(back, `initializer ${name}`).toBeDefined();
      expect(back!.dtype).toBe(t.dtype);
      expect(back!.dims).toEqual(t.dims);
      expect(bytesOf(back!), `initializer ${name} bytes`).toEqual(bytesOf(t));
    }

    const got = new GraphSession(imported.graph).runHost(c.feeds);
    for (const v of c.graph.outputs) {
      const a = got[v.name];
      const e = expected[v.name];
      expect(a.dtype, v.name).toBe(e.dtype);
      if (c.exact) expect(bytesOf(a), `${v.name} (bit-exact)`).toEqual(bytesOf(e));
      else expectClose(a, toFloat64(e), { rtol: 1e-5, atol: 1e-6 }, v.name);
    }
  });
});

describe('round trip details', () => {
  it('metadata, producer and graph name survive', () => {
    const c = graphCases()[0];
    const bytes = exportModel({ ...c.graph, metadata: new Map([['a', '1']]) }, { producer: 'me', metadata: new Map([['b', '2']]) });
    const back = importModel(bytes);
    expect(back.producer).toBe('me');
    expect([...back.metadata]).toEqual([['a', '1'], ['b', '2']]);
    expect([...back.graph.metadata]).toEqual([['a', '1'], ['b', '2']]);
    expect(back.graph.name).toBe(c.graph.name);
    expect(importModel(bytes, { name: 'renamed' }).graph.name).toBe('renamed');
  });

  it('ai.kiln ops are kept with kilnOps and read back as themselves', () => {
    const c = graphCases().find((g) => g.name.startsWith('moments'))!;
    const bytes = exportModel(c.graph, { kilnOps: true });
    const back = importModel(bytes);
    expect(back.graph.nodes.map((n) => n.op)).toEqual(['Moments', 'Moments']);
    const a = new GraphSession(back.graph).runHost(c.feeds);
    const e = new GraphSession(c.graph).runHost(c.feeds);
    for (const v of c.graph.outputs) expect(bytesOf(a[v.name])).toEqual(bytesOf(e[v.name]));
  });

  it('float attributes come back as written (float32 on the wire, shortest decimal on import)', () => {
    const c = graphCases()[0];
    const bn = importModel(exportModel(c.graph)).graph.nodes.find((n) => n.op === 'BatchNormalization')!;
    expect(bn.attrs).toEqual({ epsilon: 1e-3, momentum: 0.99, training_mode: 0 });
  });

  it('refuses opsets outside 7..21', () => {
    const g = graphCases()[0].graph;
    expect(() => exportModel(g, { opset: 6 })).toThrow(/opset 6/);
    expect(() => exportModel(g, { opset: 22 })).toThrow(OnnxExportError);
  });
});
