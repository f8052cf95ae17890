// IoBinding (GraphSession.bind): inputs written in place and outputs read in place, on both backends.
// The oracle is the BatchNormalization formula evaluated here in float64 (training: the batch's
// two-pass mean and population variance, and the running-statistics update of ONNX BN-15).

import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph } from '../../compiler/ir/types.js';
import { ArgumentError, FeedError } from '../../core/errors.js';
import { hostTensor } from '../../core/tensor.js';
import { GraphSession, type GraphSessionOptions } from '../../runtime/graph-session.js';
import type { IoBinding } from '../../runtime/io-binding.js';

const C = 3;
const SCALE = [1.5, 0.5, -2];
const BIAS = [0.25, -1, 0];
const MEAN = [0.1, -0.2, 3];
const VAR = [2, 0.5, 1];
const EPS = 1e-5;
const MOMENTUM = 0.9;

function bnGraph(training: boolean): Graph {
  const b = new GraphBuilder('bn');
  const x = b.input('x', 'float32', ['N', C, 4, 5]);
  const init = (name: string, v: readonly number[]): ReturnType<typeof b.input> => b.initializer(name, hostTensor('float32', [C], Float32Array.from(v)));
  const outs = b.node('BatchNormalization', [x, init('s', SCALE), init('b', BIAS), init('m', MEAN), init('v', VAR)], { epsilon: EPS, momentum: MOMENTUM, training_mode: training ? 1 : 0 }, { name: 'bn', outputs: training ? ['y', 'rm', 'rv'] : ['y'] });
  return b.build(outs);
}

/** float64 BN of x [N, C, 4, 5]: y, and (training) the running mean and variance. */
function oracle(x: Float32Array, n: number, training: boolean): { y: Float64Array; rm: number[]; rv: number[] } {
  const hw = 20;
  const y = new Float64Array(x.length);
  const rm: number[] = [];
  const rv: number[] = [];
  for (let c = 0; c < C; c++) {
    let mean = MEAN[c];
    let variance = VAR[c];
    if (training) {
      let s = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < hw; j++) s += x[(i * C + c) * hw + j];
      mean = s / (n * hw);
      let q = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < hw; j++) q += (x[(i * C + c) * hw + j] - mean) ** 2;
      variance = q / (n * hw);
      rm.push(Math.fround(MEAN[c]) * Math.fround(MOMENTUM) + mean * (1 - Math.fround(MOMENTUM)));
      rv.push(Math.fround(VAR[c]) * Math.fround(MOMENTUM) + variance * (1 - Math.fround(MOMENTUM)));
    }
    const a = Math.fround(SCALE[c]) / Math.sqrt(variance + Math.fround(EPS));
    for (let i = 0; i < n; i++) for (let j = 0; j < hw; j++) {
      const k = (i * C + c) * hw + j;
      y[k] = (x[k] - mean) * a + Math.fround(BIAS[c]);
    }
  }
  return { y, rm, rv };
}

function fill(data: Float32Array, seed: number): void {
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37 + seed) * 2 + seed;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i])));
}

const sessions: GraphSession[] = [];
function session(g: Graph, options: GraphSessionOptions): GraphSession {
  const s = new GraphSession(g, options);
  sessions.push(s);
  return s;
}
afterAll(() => sessions.forEach((s) => s.release()));

const CONFIGS: readonly (readonly [string, GraphSessionOptions])[] = [
  ['cpu', { backend: 'cpu' }],
  ['wasm float64, 1 thread', { backend: 'wasm', threads: 1 }],
  ['wasm float32, 2 threads', { backend: 'wasm', threads: 2, precision: 'float32' }],
];

describe.each(CONFIGS)('IoBinding on %s', (_, options) => {
  it.each([false, true])('runs BN (training %s) on the resident input and matches the float64 formula', (training) => {
    const io = session(bnGraph(training), options).bind({ x: [2, C, 4, 5] });
    const x = io.input('x').data as Float32Array;
    fill(x, 1);
    io.run();
    const want = oracle(x, 2, training);
    expectClose(io.output('y').data as Float32Array, want.y, 2e-6);
    if (training) {
      expectClose(io.outputs.rm.data as Float32Array, want.rm, 1e-6);
      expectClose(io.outputs.rv.data as Float32Array, want.rv, 1e-6);
    }
    // Runs leave the input as written; the output view shows the latest run.
    const before = Float32Array.from(x);
    io.run();
    expect(io.inputs.x.data).toEqual(before);
    fill(x, 3);
    io.run();
    expectClose(io.outputs.y.data as Float32Array, oracle(x, 2, training).y, 2e-6);
  });

  it('has buffers of its own: runHost and other bindings never touch them', () => {
    const s = session(bnGraph(false), options);
    const a = s.bind({ x: [1, C, 4, 5] });
    const b = s.bind({ x: [1, C, 4, 5] });
    fill(a.inputs.x.data as Float32Array, 1);
    fill(b.inputs.x.data as Float32Array, 2);
    a.run();
    const other = hostTensor('float32', [1, C, 4, 5]);
    fill(other.data, 5);
    s.runHost({ x: other });
    b.run();
    expectClose(a.outputs.y.data as Float32Array, oracle(a.inputs.x.data as Float32Array, 1, false).y, 2e-6);
    expectClose(b.outputs.y.data as Float32Array, oracle(b.inputs.x.data as Float32Array, 1, false).y, 2e-6);
  });

  it('keeps its views valid when the backend allocates (and grows its memory) afterwards', () => {
    const s = session(bnGraph(false), options);
    const io = s.bind({ x: [1, C, 4, 5] });
    // 64 × 3 × 4 × 5 × 4 bytes per buffer, times a few buffers, past the 16 MiB initial wasm memory.
    const big = s.bind({ x: [70_000, C, 4, 5] });
    expect(big.inputs.x.data.length).toBe(70_000 * C * 20);
    fill(io.inputs.x.data as Float32Array, 4);
    io.run();
    expectClose(io.outputs.y.data as Float32Array, oracle(io.inputs.x.data as Float32Array, 1, false).y, 2e-6);
  });
});

describe('IoBinding views and garbage collection', () => {
  it('a kept output view outlives its binding: its memory is not reused after a collection', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'vitest runs with --expose-gc').toBeTypeOf('function');
    const s = session(bnGraph(false), { backend: 'wasm', threads: 1 });
    let io: IoBinding | undefined = s.bind({ x: [1, C, 4, 5] });
    fill(io.inputs.x.data as Float32Array, 1);
    io.run();
    const view = io.outputs.y.data as Float32Array;
    const kept = Float32Array.from(view);
    io = undefined;
    for (let i = 0; i < 5; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 10));
    }
    // New bindings of the same size would take the freed memory and overwrite it.
    for (let i = 0; i < 4; i++) {
      const other = s.bind({ x: [1, C, 4, 5] });
      fill(other.inputs.x.data as Float32Array, 50 + i);
      other.run();
    }
    expect(Array.from(view)).toEqual(Array.from(kept));
  });
});

describe('IoBinding errors', () => {
  const s = session(bnGraph(false), { backend: 'cpu' });
  it('needs the dims of symbolic inputs and rejects unknown names', () => {
    expect(() => s.bind()).toThrow(FeedError);
    expect(() => s.bind()).toThrow(/graph 'bn': input 'x' is missing; expected float32\[N,3,4,5\]/);
    expect(() => s.bind({ x: [1, C, 4, 5], z: [1] })).toThrow(/feed 'z' is not a graph input/);
    expect(() => s.bind({ x: [1, 4, 4, 5] })).toThrow(/input 'x' expected shape \[N,3,4,5\], got \[1,4,4,5\]/);
  });
  it('names the bound inputs and outputs when asked for another', () => {
    const io = s.bind({ x: [1, C, 4, 5] });
    expect(() => io.input('y')).toThrow(/IoBinding: input 'y' is not bound; inputs are 'x'/);
    expect(() => io.output('x')).toThrow(/IoBinding: output 'x' is not bound; outputs are 'y'/);
  });
  it('binds a static graph without dims', () => {
    const b = new GraphBuilder('static');
    const x = b.input('x', 'float32', [2, 2]);
    const io = session(b.build([b.op('Relu', [x], {}, 'y')]), { backend: 'cpu' }).bind();
    (io.inputs.x.data as Float32Array).set([-1, 2, -3, 4]);
    io.run();
    expect(Array.from(io.outputs.y.data as Float32Array)).toEqual([0, 2, 0, 4]);
  });
  it.each(CONFIGS)('an initializer that is also an output is a copy: writing its output view leaves the graph alone (%s)', (_, options) => {
    const b = new GraphBuilder('constant_out');
    const x = b.input('x', 'float32', [2]);
    const w = b.initializer('w', hostTensor('float32', [2], Float32Array.from([3, 4])));
    const g = b.build([b.op('Mul', [x, w], {}, 'y'), w]);
    const io = session(g, options).bind();
    (io.inputs.x.data as Float32Array).set([1, 2]);
    io.run();
    expect(Array.from(io.outputs.y.data as Float32Array)).toEqual([3, 8]);
    (io.outputs.w.data as Float32Array).fill(0);
    expect(Array.from(g.initializers.get(g.outputs[1].id)?.data as Float32Array)).toEqual([3, 4]);
  });
  it('rejects bad threads and precision values with typed errors naming the argument', () => {
    expect(() => new GraphSession(bnGraph(false), { backend: 'wasm', threads: 0 })).toThrow(ArgumentError);
    expect(() => new GraphSession(bnGraph(false), { backend: 'wasm', threads: 1.5 })).toThrow("GraphSession 'bn': argument 'threads' expected a positive integer, got 1.5");
    expect(() => new GraphSession(bnGraph(false), { backend: 'wasm', precision: 'half' as never })).toThrow("argument 'precision' expected 'float64' or 'float32', got 'half'");
  });
  it("rejects option 'precision' on the cpu backend", () => {
    expect(() => new GraphSession(bnGraph(false), { backend: 'cpu', precision: 'float32' })).toThrow(ArgumentError);
    expect(() => new GraphSession(bnGraph(false), { backend: 'cpu', precision: 'float32' })).toThrow(/argument 'precision' expected to be left out with backend 'cpu'/);
  });
});
