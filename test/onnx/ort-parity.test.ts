// Every file kiln exports loads in onnxruntime-node, and onnxruntime's outputs match kiln's within
// float32 tolerance, at opsets 9, 14 and 15 where the graph is expressible.

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { fromOrtTensor, toFloat64, toOrtTensor } from '../../core/tensor.js';
import { exportModel } from '../../compiler/onnx/index.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { expectClose } from '../helpers/compare.js';
import { graphCases } from './graph-cases.js';

const OPSETS = [9, 14, 15] as const;
const TOL = { rtol: 1e-4, atol: 1e-5 };

describe.each(graphCases().map((c) => [c.name, c] as const))('onnxruntime parity: %s', (_, c) => {
  const kiln = new GraphSession(c.graph).runHost(c.feeds);
  const feeds = Object.fromEntries(Object.entries(c.feeds).map(([k, t]) => [k, toOrtTensor(t)]));

  const opsets = OPSETS.filter((o) => (c.minOpset === undefined || o >= c.minOpset) && (c.ortOpsets === undefined || c.ortOpsets.includes(o)));
  it.each(opsets.map((o) => [o]))('opset %i', async (opset) => {
    const bytes = exportModel(c.graph, { opset });
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const res = await session.run(feeds);
    for (const v of c.graph.outputs) {
      if (c.ortSkip?.some(([name, below]) => name === v.name && opset < below)) continue;
      const got = fromOrtTensor(res[v.name], v.name);
      const want = kiln[v.name];
      expect(got.dtype, v.name).toBe(want.dtype);
      expectClose(got, toFloat64(want), want.dtype === 'float16' ? { rtol: 1e-3, atol: 1e-3 } : TOL, `${v.name} (opset ${opset})`);
    }
  });
});
