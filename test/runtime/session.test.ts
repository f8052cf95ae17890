// GraphSession: feeds are validated with typed errors, symbolic dims bind consistently, plans are
// cached per input dims, and results are deterministic (bit-identical on repeated runs).

import { Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { FeedError } from '../../core/errors.js';
import { hostTensor } from '../../core/tensor.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { renderElementwise } from '../../runtime/cpu/elementwise-codegen.js';
import { E } from '../../ops/kernel-ir.js';
import { randomTensor } from '../helpers/random.js';

function trainingBn(): GraphSession {
  const b = new GraphBuilder('train');
  const x = b.input('x', 'float32', ['N', 4, 'H', 'W']);
  const p = (n: string): ReturnType<typeof b.input> => b.input(n, 'float32', [4]);
  const outs = b.node('BatchNormalization', [x, p('s'), p('b'), p('m'), p('v')], { training_mode: 1 }, { name: 'bn', outputs: 3 });
  const w = b.input('w', 'float32', ['N', 4, 'H', 'W']);
  const sum = b.op('Add', [outs[0], w], {}, 'residual');
  return new GraphSession(b.build([sum, outs[1], outs[2]]));
}

const params = (): Record<string, ReturnType<typeof hostTensor>> => ({
  s: hostTensor('float32', [4], Float32Array.from([1, 2, 0.5, 1.5])),
  b: hostTensor('float32', [4], Float32Array.from([0, 1, -1, 0.25])),
  m: hostTensor('float32', [4], Float32Array.from([0.1, 0.2, 0.3, 0.4])),
  v: hostTensor('float32', [4], Float32Array.from([1, 2, 3, 4])),
});

describe('GraphSession feeds', () => {
  const s = trainingBn();
  const x = randomTensor('float32', [2, 4, 3, 3], { seed: 1 });
  it('reports a missing input with its expected type', () => {
    expect(() => s.runHost({ x, ...params() })).toThrow(FeedError);
    expect(() => s.runHost({ x, ...params() })).toThrow(/graph 'train': input 'w' is missing; expected float32\[N,4,H,W\]/);
  });
  it('reports unknown feeds, wrong dtypes and wrong shapes', () => {
    const w = randomTensor('float32', [2, 4, 3, 3], { seed: 2 });
    expect(() => s.runHost({ x, w, extra: w, ...params() })).toThrow(/feed 'extra' is not a graph input/);
    expect(() => s.runHost({ x, w: randomTensor('float64', [2, 4, 3, 3]), ...params() })).toThrow(/input 'w' expected dtype float32, got float64/);
    expect(() => s.runHost({ x, w: randomTensor('float32', [2, 5, 3, 3]), ...params() })).toThrow(/input 'w' expected shape \[N,4,H,W\], got \[2,5,3,3\]/);
  });
  it('binds symbolic dims consistently across inputs', () => {
    expect(() => s.runHost({ x, w: randomTensor('float32', [3, 4, 3, 3]), ...params() })).toThrow(/input 'w' binds dimension 'N' to 3, but input 'x' bound it to 2/);
  });
});

describe('GraphSession execution', () => {
  it('is deterministic: repeated runs are bit-identical', () => {
    const s = trainingBn();
    const feeds = { x: randomTensor('float32', [3, 4, 5, 6], { seed: 3, offset: 1e4 }), w: randomTensor('float32', [3, 4, 5, 6], { seed: 4 }), ...params() };
    const a = s.runHost(feeds);
    const b = trainingBn().runHost(feeds);
    for (const k of Object.keys(a)) expect([...(b[k].data as Float32Array)]).toEqual([...(a[k].data as Float32Array)]);
  });

  it('caches one plan per set of input dims', () => {
    const s = trainingBn();
    const dims = (n: number): Map<string, number[]> => new Map([['x', [n, 4, 2, 2]], ['w', [n, 4, 2, 2]], ['s', [4]], ['b', [4]], ['m', [4]], ['v', [4]]]);
    expect(s.planFor(dims(2))).toBe(s.planFor(dims(2)));
    expect(s.planFor(dims(3))).not.toBe(s.planFor(dims(2)));
  });

  it('runs onnxruntime-common Tensors in and out', async () => {
    const b = new GraphBuilder('relu');
    const x = b.input('x', 'float32', [3]);
    const s = new GraphSession(b.build([b.op('Relu', [x], {}, 'r')]));
    const out = await s.run({ x: new Tensor('float32', Float32Array.from([-1, 0.5, NaN]), [3]) });
    expect(out.r.type).toBe('float32');
    expect([...(out.r.data as Float32Array)]).toEqual([0, 0.5, NaN]);
  });
});

describe('CPU elementwise codegen', () => {
  it('merges contiguous axes and gives broadcast operands stride 0', () => {
    const src = renderElementwise({
      kind: 'elementwise',
      operands: [{ dtype: 'float32', dims: [2, 3, 4, 5] }, { dtype: 'float32', dims: [3, 1, 1] }],
      outDims: [2, 3, 4, 5],
      outDtype: 'float32',
      expr: E.mul(E.operand(0), E.operand(1)),
    });
    // [2,3,4,5] against [3,1,1]: the 4·5 inner axes merge into one loop of 20; the channel operand
    // advances once per channel and not at all along the merged inner loop.
    expect(src).toMatch(/a2 < 20/);
    expect(src).not.toMatch(/a3/);
    expect(src).toMatch(/const p1_2 = p1_1;/);
  });
});
