// The wasm backend as a GraphSession backend: availability is probed once and reported with a
// BackendUnavailableError naming the backend and the reason; whole graphs (BatchNormalization
// training + Relu, a small convnet with fused Conv → BN → Relu epilogues) match the float64 reference
// and are bit-identical across thread counts; release() stops the workers.

import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Graph, Value } from '../../../compiler/ir/types.js';
import { BackendUnavailableError } from '../../../core/errors.js';
import { sizeOf } from '../../../core/shape.js';
import { HostTensor } from '../../../core/tensor.js';
import { GraphSession } from '../../../runtime/graph-session.js';
import { runReference } from '../../../runtime/reference.js';
import { checkWasmSupport, wasmSupport } from '../../../runtime/wasm/availability.js';
import { WasmBackend } from '../../../runtime/wasm/wasm-backend.js';
import { webAssembly, WebAssemblyApi } from '../../../runtime/wasm/wasm-api.js';
import { expectClose } from '../../helpers/compare.js';
import { randomTensor } from '../../helpers/random.js';

const sessions: GraphSession[] = [];
function session(g: Graph, threads: number): GraphSession {
  const s = new GraphSession(g, { backend: 'wasm', threads });
  sessions.push(s);
  return s;
}
afterAll(() => {
  for (const s of sessions) s.release();
});

describe('wasm availability', () => {
  it('is available here (Node 20 has SIMD and shared memories)', () => {
    expect(wasmSupport()).toEqual({ ok: true });
  });

  it('names the missing feature', () => {
    const real = webAssembly();
    if (real === undefined) throw new Error('no WebAssembly');
    const noSimd: WebAssemblyApi = { ...real, validate: () => false, Module: real.Module, Instance: real.Instance, Memory: real.Memory };
    expect(checkWasmSupport(undefined, true)).toEqual({ ok: false, reason: 'this runtime has no WebAssembly' });
    expect(checkWasmSupport(real, false)).toEqual({ ok: false, reason: 'this runtime has no SharedArrayBuffer (shared WebAssembly memory)' });
    expect(checkWasmSupport(noSimd, true)).toEqual({ ok: false, reason: 'WebAssembly 128-bit SIMD with a shared memory does not validate in this runtime' });
    expect(checkWasmSupport(real, true)).toEqual({ ok: true });
  });

  it('a released session refuses to run with a typed error', () => {
    const b = new GraphBuilder('relu');
    const x = b.input('x', 'float32', [4]);
    const s = new GraphSession(b.build([b.op('Relu', [x], {}, 'y')]), { backend: 'wasm', threads: 2 });
    const feeds = { x: randomTensor('float32', [4], { seed: 1 }) };
    expect(s.runHost(feeds).y.dims).toEqual([4]);
    s.release();
    s.release();
    expect(() => s.runHost(feeds)).toThrow(BackendUnavailableError);
    expect(() => s.runHost(feeds)).toThrow(/backend 'wasm' has been disposed/);
  });

  it('rejects a bad thread count', () => {
    expect(() => new WasmBackend({ threads: 0 })).toThrow(/threads must be a positive integer/);
  });
});

function batchNormTraining(c: number): Graph {
  const b = new GraphBuilder('bn_train');
  const x = b.input('x', 'float32', ['N', c, 'H', 'W']);
  const p = (n: string): Value => b.input(n, 'float32', [c]);
  const [y, runMean, runVar] = b.node('BatchNormalization', [x, p('scale'), p('B'), p('mean'), p('var')], { training_mode: 1, epsilon: 1e-3, momentum: 0.9 }, { name: 'bn', outputs: 3 });
  return b.build([b.op('Relu', [y], {}, 'r'), runMean, runVar]);
}

function bnFeeds(dims: number[], offset: number): Record<string, HostTensor> {
  const c = dims[1];
  return {
    x: randomTensor('float32', dims, { seed: 1, offset }),
    scale: randomTensor('float32', [c], { seed: 2, low: 0.5, high: 1.5 }),
    B: randomTensor('float32', [c], { seed: 3 }),
    mean: randomTensor('float32', [c], { seed: 4 }),
    var: randomTensor('float32', [c], { seed: 5, low: 0.5, high: 2 }),
  };
}

/** A small convnet: Conv → BN → Relu → MaxPool → Conv (stride 2, groups) → BN → Relu → GAP → Gemm → Softmax. */
function smallConvNet(training: boolean): Graph {
  const b = new GraphBuilder(training ? 'convnet_train' : 'convnet');
  const x = b.input('x', 'float32', ['N', 3, 16, 16]);
  const init = (name: string, dims: number[], seed: number, low = -0.5, high = 0.5): Value => b.initializer(name, randomTensor('float32', dims, { seed, low, high }));
  const bn = (v: Value, c: number, k: number): Value => {
    const outs = b.node('BatchNormalization', [v, init(`g${k}`, [c], 10 + k, 0.5, 1.5), init(`b${k}`, [c], 20 + k), init(`m${k}`, [c], 30 + k), init(`v${k}`, [c], 40 + k, 0.5, 2)], { training_mode: training ? 1 : 0 }, { name: `bn${k}`, outputs: training ? 3 : 1 });
    return outs[0];
  };
  let h = b.op('Conv', [x, init('w1', [8, 3, 3, 3], 1), init('c1', [8], 2)], { pads: [1, 1, 1, 1] }, 'conv1');
  h = b.op('Relu', [bn(h, 8, 1)], {}, 'relu1');
  h = b.op('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1');
  h = b.op('Conv', [h, init('w2', [16, 4, 3, 3], 3)], { pads: [1, 1, 1, 1], strides: [2, 2], group: 2 }, 'conv2');
  h = b.op('Relu', [bn(h, 16, 2)], {}, 'relu2');
  h = b.op('GlobalAveragePool', [h], {}, 'gap');
  h = b.op('Flatten', [h], {}, 'flat');
  h = b.op('Gemm', [h, init('wd', [10, 16], 4), init('bd', [10], 5)], { transB: 1 }, 'dense');
  return b.build([b.op('Softmax', [h], {}, 'probs')]);
}

describe('whole graphs on backend wasm', () => {
  it('BatchNormalization training + Relu on data offset by 1e4 matches the reference; threads agree bit for bit', () => {
    const g = batchNormTraining(12);
    const feeds = bnFeeds([8, 12, 29, 31], 1e4);
    const ref = runReference(g, feeds).outputs;
    const results = [1, 2, 3].map((threads) => session(g, threads).runHost(feeds));
    for (const name of g.outputs.map((v) => v.name)) expectClose(results[0][name], ref[name], { rtol: 1e-4, atol: 1e-5 }, name);
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
    // And the same float64 arithmetic as the CPU backend for the elementwise part.
    const cpu = new GraphSession(g).runHost(feeds);
    expect(results[0].r).toEqual(cpu.r);
  });

  it.each([false, true])('a small convnet (training BN: %s) matches the reference; threads agree bit for bit', (training) => {
    const g = smallConvNet(training);
    const feeds = { x: randomTensor('float32', [6, 3, 16, 16], { seed: 7, low: -2, high: 2 }) };
    const ref = runReference(g, feeds).outputs;
    const s1 = session(g, 1);
    const results = [s1.runHost(feeds), session(g, 2).runHost(feeds), session(g, 3).runHost(feeds)];
    for (const name of g.outputs.map((v) => v.name)) expectClose(results[0][name], ref[name], { rtol: 1e-4, atol: 1e-5 }, name);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    // Inference fuses BN + Relu into the convs' epilogues; the convs and the moments run in wasm.
    const plan = s1.planFor(new Map([['x', [6, 3, 16, 16]]]));
    const convs = plan.steps.filter((s) => s.kind === 'routine' && s.call.routine === 'conv2d');
    expect(convs).toHaveLength(2);
    if (!training) expect(convs.every((s) => s.kind === 'routine' && 'epilogue' in s.call && s.call.epilogue !== undefined)).toBe(true);
  });

  it('float16 BatchNormalization, ConvTranspose with a fused epilogue and int64 Gather fall back to the CPU code, bit for bit', () => {
    const b = new GraphBuilder('fallbacks');
    const h = b.input('h', 'float16', [2, 3, 4, 5]);
    const p = (n: string, seed: number, low = -1, high = 1): Value => b.initializer(n, randomTensor('float16', [3], { seed, low, high }));
    const [yh] = b.node('BatchNormalization', [h, p('s', 1, 0.5, 1.5), p('b', 2), p('m', 3), p('v', 4, 0.5, 2)], { training_mode: 1 }, { name: 'bn16', outputs: 3 });
    const x = b.input('x', 'float32', [1, 4, 5, 6]);
    const w = b.initializer('w', randomTensor('float32', [4, 2, 3, 3], { seed: 5 }));
    const t = b.op('Relu', [b.op('ConvTranspose', [x, w], { strides: [2, 2], pads: [1, 1, 0, 0] }, 'deconv')], {}, 't');
    const idx = b.initializer('idx', { dtype: 'int64', dims: [3], data: BigInt64Array.from([2n, 0n, -1n]) });
    const gth = b.op('Gather', [x, idx], { axis: 1 }, 'gather');
    const g = b.build([yh, t, gth]);
    const feeds = { h: randomTensor('float16', [2, 3, 4, 5], { seed: 6, offset: 3 }), x: randomTensor('float32', [1, 4, 5, 6], { seed: 7 }) };
    const s2 = session(g, 2);
    const got = s2.runHost(feeds);
    expect(got).toEqual(new GraphSession(g).runHost(feeds));
    const plan = s2.planFor(new Map([['h', [2, 3, 4, 5]], ['x', [1, 4, 5, 6]]]));
    expect(plan.steps.some((st) => st.kind === 'routine' && st.call.routine === 'convTranspose2d' && st.call.epilogue !== undefined)).toBe(true);
  });

  it('Gemm with a bias (a float64 product in the plan) runs as a wasm routine and matches the reference', () => {
    const b = new GraphBuilder('fc');
    const x = b.input('x', 'float32', [3, 40]);
    const w = b.initializer('w', randomTensor('float32', [50, 40], { seed: 8 }));
    const bias = b.initializer('bias', randomTensor('float32', [50], { seed: 9, offset: 100 }));
    const g = b.build([b.op('Relu', [b.op('Gemm', [x, w, bias], { transB: 1 }, 'fc')], {}, 'y')]);
    const feeds = { x: randomTensor('float32', [3, 40], { seed: 10 }) };
    const s1 = session(g, 1);
    const plan = s1.planFor(new Map([['x', [3, 40]]]));
    const matmul = plan.steps.find((st) => st.kind === 'routine' && st.call.routine === 'matmul');
    expect(matmul?.kind === 'routine' && matmul.call.routine === 'matmul' ? matmul.call.epilogue?.operands[0].dtype : undefined).toBe('float64');
    const before = (s1 as unknown as { backend: WasmBackend }).backend.stats.cpuRoutines;
    const got = s1.runHost(feeds);
    expect((s1 as unknown as { backend: WasmBackend }).backend.stats.cpuRoutines).toBe(before);
    // float32 accumulation of 40 products, then the bias: within a few float32 ulps of ~100.
    expectClose(got.y, runReference(g, feeds).outputs.y, { rtol: 1e-6, atol: 1e-5 }, 'y');
    expect(session(g, 2).runHost(feeds)).toEqual(got);
  });

  it('runs repeatedly and with new input dims (plans cached per dims)', () => {
    const g = batchNormTraining(3);
    const s = session(g, 2);
    const first = s.runHost(bnFeeds([2, 3, 5, 7], 0));
    for (let i = 0; i < 3; i++) expect(s.runHost(bnFeeds([2, 3, 5, 7], 0))).toEqual(first);
    const other = bnFeeds([4, 3, 9, 2], 5);
    expectClose(s.runHost(other).r, runReference(g, other).outputs.r, { rtol: 1e-4, atol: 1e-5 }, 'r');
    expect(sizeOf(first.r.dims)).toBe(2 * 3 * 5 * 7);
  });
});
