// Backend.prepare on the wasm backend: a session transforms its Winograd convolutions' constant filters
// while it binds the plan to buffers (as onnxruntime prepacks weights while creating a session), the
// runs read them without transforming again, and the results are those of a session that keeps
// nothing (cacheTransformedWeights: false) bit for bit, and the float64 cpu backend's within float32
// Winograd error. Kept operands are made once per constant, never for a buffer that is not one, and
// released with their constant (WasmBackend.derivedBytes after a collection).

import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { fromFloat64, type HostTensor } from '../../../core/tensor.js';
import { GraphSession } from '../../../runtime/graph-session.js';
import type { WasmBuffer, WasmRoutineContext } from '../../../runtime/wasm/routines/context.js';
import { filterColumns, winogradVariant } from '../../../runtime/wasm/routines/winograd.js';
import { WasmBackend } from '../../../runtime/wasm/wasm-backend.js';
import { mulberry32 } from '../../helpers/random.js';

const sessions: GraphSession[] = [];
afterAll(() => {
  for (const s of sessions) s.release();
});

/** x [N,C,S,S] → Conv 3×3 pad 1 (C → M, an initializer) → BatchNormalization → Relu. */
function convBnRelu(N: number, C: number, M: number, S: number) {
  const rnd = mulberry32(11);
  const b = new GraphBuilder('conv-bn-relu');
  const x = b.input('x', 'float32', [N, C, S, S]);
  const init = (name: string, dims: number[], f: () => number) => b.initializer(name, fromFloat64('float32', dims, Array.from({ length: dims.reduce((a, d) => a * d, 1) }, f)));
  const w = init('w', [M, C, 3, 3], () => 2 * rnd() - 1);
  const y = b.op('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const bn = b.op('BatchNormalization', [y, init('scale', [M], () => 0.5 + rnd()), init('bias', [M], () => rnd() - 0.5), init('mean', [M], () => rnd() - 0.5), init('var', [M], () => 0.5 + rnd())], { epsilon: 1e-5 });
  const graph = b.build([b.op('Relu', [bn])]);
  const feed: HostTensor = fromFloat64('float32', [N, C, S, S], Array.from({ length: N * C * S * S }, () => 100 + 2 * rnd() - 1));
  return { graph, feed };
}

function session(graph: ReturnType<typeof convBnRelu>['graph'], threads: number, cacheTransformedWeights?: boolean): { s: GraphSession; be: WasmBackend } {
  const s = new GraphSession(graph, { backend: 'wasm', threads, precision: 'float32', cacheTransformedWeights });
  sessions.push(s);
  if (!(s.backend instanceof WasmBackend)) throw new Error('expected the wasm backend');
  return { s, be: s.backend };
}

describe.each([
  { name: 'F(2×2), inputs shared', N: 1, C: 24, M: 40, S: 10 },
  { name: 'F(4×4), filters shared', N: 1, C: 16, M: 20, S: 24 },
])('wasm session with a Winograd conv ($name)', ({ N, C, M, S }) => {
  it.each([1, 2])('transforms the filters once while binding, before any run, %i thread(s)', (threads) => {
    const { graph, feed } = convBnRelu(N, C, M, S);
    const { s, be } = session(graph, threads);
    expect(be.derivedBytes).toBe(0);
    s.planFor(new Map([['x', [N, C, S, S]]]));
    const v = winogradVariant(S, S, N);
    expect(be.derivedBytes).toBe(v.xi * M * filterColumns(C) * 4);
    const first = Object.values(s.runHost({ x: feed }))[0];
    const again = Object.values(s.runHost({ x: feed }))[0];
    expect(be.derivedBytes, 'the runs transform nothing more').toBe(v.xi * M * filterColumns(C) * 4);
    expect(again.data).toEqual(first.data);

    const none = session(graph, threads, false);
    const plain = Object.values(none.s.runHost({ x: feed }))[0];
    expect(none.be.derivedBytes).toBe(0);
    expect(first.data).toEqual(plain.data);

    // Independent oracle: the cpu backend (float64 arithmetic, direct convolution).
    const ref = Object.values(new GraphSession(graph, { backend: 'cpu' }).runHost({ x: feed }))[0].data;
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < ref.length; i++) {
      worst = Math.max(worst, Math.abs(Number(first.data[i]) - Number(ref[i])));
      scale = Math.max(scale, Math.abs(Number(ref[i])));
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst / scale).toBeLessThan(1e-4);
  });
});

describe('wasm kept operands and garbage collection', () => {
  it('are made once per constant and released with it (derivedBytes back to 0)', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'vitest runs with --expose-gc').toBeTypeOf('function');
    const be = new WasmBackend({ threads: 1 });
    try {
      const ctx = (be as unknown as { ctx: WasmRoutineContext }).ctx;
      let w: WasmBuffer | undefined = be.constant('float32', new Float32Array(4096).fill(0.5));
      let fills = 0;
      const kept = ctx.derivedConstant(w, 'test', 1024, () => void fills++);
      expect(kept).toBeTypeOf('number');
      expect(ctx.derivedConstant(w, 'test', 1024, () => void fills++)).toBe(kept);
      expect(fills).toBe(1);
      expect(be.derivedBytes).toBe(1024);
      // Not a constant: its contents may change, so nothing is kept.
      expect(ctx.derivedConstant(be.allocate('float32', 4096), 'test', 1024, () => void fills++)).toBeUndefined();
      expect(fills).toBe(1);
      w = undefined;
      for (let i = 0; i < 5 && be.derivedBytes > 0; i++) {
        gc?.();
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(be.derivedBytes).toBe(0);
    } finally {
      be.dispose();
    }
  });
});
