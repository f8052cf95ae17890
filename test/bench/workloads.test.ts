// The benchmark workloads: names and byte counts, the BN graphs' wiring (training exports its running
// outputs as graph outputs, parameters distinct — DESIGN.md §7), a small one run on kiln and on
// onnxruntime-node from the bench's own ONNX bytes, and the ResNet-18 structure.

import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-common';
import { bnBytesMoved, bnWorkloads } from '../../bench/workloads/bn.js';
import { allWorkloads, QUICK_WORKLOADS } from '../../bench/workloads/index.js';
import { buildResNet } from '../../bench/workloads/resnet.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { ortNodeOptions } from '../../bench/peers/ort-node.js';

describe('workload list', () => {
  it('has every BN shape both ways, the two fusion workloads and ResNet-18 at batch 1 and 8, with unique names', () => {
    const names = allWorkloads().map((w) => w.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.startsWith('bn-infer-'))).toHaveLength(5);
    expect(names.filter((n) => n.startsWith('bn-train-'))).toHaveLength(5);
    expect(names).toEqual(expect.arrayContaining(['conv-bn-relu', 'matmul-bn-relu', 'resnet18-b1', 'resnet18-b8', 'bn-infer-256x1024', 'bn-train-64x64x112x112']));
    for (const q of QUICK_WORKLOADS) expect(names).toContain(q);
  });

  it('counts 8 bytes per element for inference and 16 for training', () => {
    expect(bnBytesMoved([2, 3, 4], false)).toBe(24 * 8);
    expect(bnBytesMoved([2, 3, 4], true)).toBe(24 * 16);
  });
});

describe('BN training workload [256,1024]', () => {
  const w = bnWorkloads().find((x) => x.name === 'bn-train-256x1024');
  if (w === undefined) throw new Error('workload missing');
  const built = w.build();

  it('is one training-mode node whose three outputs are all graph outputs, with distinct parameter values', () => {
    expect(built.graph.nodes).toHaveLength(1);
    expect(built.graph.nodes[0].attrs).toMatchObject({ training_mode: 1 });
    expect(built.graph.outputs.map((v) => v.name)).toEqual(['y', 'running_mean', 'running_var']);
    const p = built.params;
    const firsts = ['scale', 'B', 'mean', 'var'].map((k) => p[k].data[0]);
    expect(new Set(firsts).size).toBe(4);
  });

  it('gives the same outputs on kiln and on onnxruntime-node from the exported bytes', async () => {
    const x = built.feeds.x;
    const feeds = { x: new Tensor('float32', x.data as Float32Array, [...x.dims]) };
    const kiln = await new GraphSession(built.graph).run(feeds);
    const session = await ort.InferenceSession.create(built.onnx(), ortNodeOptions(1));
    const theirs = await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) });
    await session.release();
    for (const name of ['y', 'running_mean', 'running_var']) {
      const a = kiln[name].data as Float32Array;
      const b = theirs[name].data as Float32Array;
      expect(b.length).toBe(a.length);
      // DESIGN.md §8 float32 tolerance: |kiln − ort| ≤ 1e-5 + 1e-4·|ort|.
      let bad = 0;
      for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-4 * Math.abs(b[i]))) bad++;
      expect(bad, name).toBe(0);
    }
  });
});

describe('ResNet-18', () => {
  it('has 20 convolutions each followed by BatchNormalization, 8 residual adds and a [N,1000] output', () => {
    const g = buildResNet(18);
    const count = (op: string): number => g.nodes.filter((n) => n.op === op).length;
    expect(count('Conv')).toBe(20);
    expect(count('BatchNormalization')).toBe(20);
    expect(count('Add')).toBe(8);
    expect(g.outputs[0].type.shape).toEqual(['N', 1000]);
  });
});
