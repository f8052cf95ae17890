// The worker pool: every chunk runs exactly once whether the main thread or a worker takes it, traps
// in workers and on the main thread are reported (and the pool stays usable), memory growth is seen
// by the workers, and dispose() stops and terminates every worker thread.

import { describe, expect, it } from 'vitest';
import { FunctionBuilder, ModuleBuilder } from '../../../runtime/wasm/encoder/index.js';
import { MEMORY_IMPORT } from '../../../runtime/wasm/elementwise.js';
import { ALIGN, COLOR_MIN_BYTES, COLOR_STEP, SET_SPAN, WasmHeap } from '../../../runtime/wasm/heap.js';
import { PoolModule, WorkerPool, WorkerPoolError } from '../../../runtime/wasm/pool.js';
import { webAssembly } from '../../../runtime/wasm/wasm-api.js';

/**
 * mark(start, end, tid, params): for i in [start, end): mem32[params/4 + i] += tid + 1 (after some
 * busy work, so that workers get chunks). trap(start, end, tid, params): busy work, then unreachable
 * when tid = params.
 */
function markModule(): Uint8Array {
  const m = new ModuleBuilder().importMemory(MEMORY_IMPORT);
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const [start, end, tid, params] = [0, 1, 2, 3].map((k) => f.param(k));
  const i = f.local('i32');
  const j = f.local('i32');
  const at = f.local('i32');
  f.get(start).set(i);
  f.block((exit) => {
    f.loop((again) => {
      f.get(i).get(end).op('i32.ge_u').brIf(exit);
      f.i32(0).set(j);
      f.block((d) => {
        f.loop((l) => {
          f.get(j).i32(20_000).op('i32.ge_u').brIf(d);
          f.get(j).i32(1).op('i32.add').set(j);
          f.br(l);
        });
      });
      f.get(params).get(i).i32(4).op('i32.mul').op('i32.add').tee(at);
      f.get(at).mem('i32.load').get(tid).i32(1).op('i32.add').op('i32.add').mem('i32.store');
      f.get(i).i32(1).op('i32.add').set(i);
      f.br(again);
    });
  });
  m.addFunction(f, 'mark');
  const t = new FunctionBuilder(['i32', 'i32', 'i32', 'i32']);
  const k = t.local('i32');
  t.block((d) => {
    t.loop((l) => {
      t.get(k).i32(20_000).op('i32.ge_u').brIf(d);
      t.get(k).i32(1).op('i32.add').set(k);
      t.br(l);
    });
  });
  t.get(t.param(2)).get(t.param(3)).op('i32.eq').if(() => void t.op('unreachable'));
  m.addFunction(t, 'trap');
  return m.encode();
}

function setup(threads: number): { heap: WasmHeap; pool: WorkerPool; mod: PoolModule } {
  const api = webAssembly();
  if (api === undefined) throw new Error('no WebAssembly');
  const heap = new WasmHeap({ initialPages: 4 });
  const pool = new WorkerPool(heap.memory, threads);
  return { heap, pool, mod: pool.register(new api.Module(markModule()), ['mark', 'trap']) };
}

describe('WorkerPool', () => {
  it('runs every chunk exactly once, on the main thread and the workers', async () => {
    const { heap, pool, mod } = setup(3);
    const n = 2000;
    const at = heap.alloc(4 * n);
    const seen = new Set<number>();
    for (let rep = 0; rep < 200 && seen.size < 2; rep++) {
      heap.i32(at, n).fill(0);
      pool.run(mod, 0, n, 7, at, true);
      const marks = heap.i32(at, n);
      // Each element was written by exactly one thread (tid + 1 ∈ {1, 2, 3}).
      for (const v of marks) expect(v === 1 || v === 2 || v === 3).toBe(true);
      for (const v of marks) seen.add(v);
    }
    // Workers start and wake up late on a loaded machine; within 200 jobs one takes a chunk.
    expect(seen.size).toBeGreaterThan(1);
    pool.dispose();
    await pool.terminated();
  });

  it('runs inline with one thread or when told the work is small', async () => {
    const { heap, pool, mod } = setup(2);
    const at = heap.alloc(400);
    heap.i32(at, 100).fill(0);
    pool.run(mod, 0, 100, 3, at, false);
    expect([...heap.i32(at, 100)].every((v) => v === 1)).toBe(true);
    pool.dispose();
    await pool.terminated();
    const one = setup(1);
    const at1 = one.heap.alloc(400);
    one.pool.run(one.mod, 0, 100, 3, at1, true);
    expect([...one.heap.i32(at1, 100)].every((v) => v === 1)).toBe(true);
    one.pool.dispose();
  });

  it('reports a trap in a worker, rethrows one on the main thread, and stays usable', async () => {
    const { heap, pool, mod } = setup(2);
    // tid 1 traps: keep running jobs until a worker has taken a chunk and failed.
    let error: unknown;
    for (let rep = 0; rep < 500 && error === undefined; rep++) {
      try {
        pool.run(mod, 1, 400, 1, 1, true);
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(WorkerPoolError);
    expect(String(error)).toMatch(/failed in worker 1: RuntimeError: unreachable/);
    // tid 0 (the main thread) traps: rethrown as is, inline or from a parallel job once it takes a chunk.
    expect(() => pool.run(mod, 1, 40, 1, 0, false)).toThrow(/unreachable/);
    let mainError: unknown;
    for (let rep = 0; rep < 500 && mainError === undefined; rep++) {
      try {
        pool.run(mod, 1, 400, 1, 0, true);
      } catch (e) {
        mainError = e;
      }
    }
    expect(String(mainError)).toMatch(/RuntimeError: unreachable/);
    const at = heap.alloc(400);
    heap.i32(at, 100).fill(0);
    pool.run(mod, 0, 100, 3, at, true);
    expect([...heap.i32(at, 100)].every((v) => v === 1 || v === 2)).toBe(true);
    pool.dispose();
    await pool.terminated();
  });

  it('workers see memory grown after they instantiated the module', async () => {
    const { heap, pool, mod } = setup(2);
    const small = heap.alloc(64);
    pool.run(mod, 0, 16, 1, small, true);
    const big = heap.alloc(8 * 1024 * 1024);
    const at = big + 4 * 1024 * 1024;
    pool.run(mod, 0, 4000, 100, at, true);
    expect(heap.memory.buffer.byteLength).toBeGreaterThan(at + 16000);
    expect([...heap.i32(at, 4000)].every((v) => v === 1 || v === 2)).toBe(true);
    pool.dispose();
    await pool.terminated();
  });

  it('dispose() terminates the workers; later runs throw', async () => {
    const { heap, pool, mod } = setup(3);
    pool.dispose();
    pool.dispose();
    await pool.terminated();
    expect(() => pool.run(mod, 0, 10, 1, heap.alloc(64), true)).toThrow(/disposed/);
  });
});

describe('WasmHeap', () => {
  it('reuses released blocks, coalesces neighbours and grows the memory', () => {
    const heap = new WasmHeap({ initialPages: 1, maxPages: 64 });
    const a = heap.alloc(100);
    const b = heap.alloc(100);
    const c = heap.alloc(100);
    expect(a % 64).toBe(0);
    expect(new Set([a, b, c]).size).toBe(3);
    heap.release(b);
    expect(heap.alloc(64)).toBe(b);
    heap.release(a);
    heap.release(b);
    expect(heap.alloc(200)).toBe(a);
    const big = heap.alloc(200_000);
    expect(heap.memory.buffer.byteLength).toBeGreaterThanOrEqual(big + 200_000);
    heap.f32(big, 4).set([1, 2, 3, 4]);
    expect([...heap.f32(big, 4)]).toEqual([1, 2, 3, 4]);
    expect(() => heap.alloc(64 * 65536)).toThrow(/out of memory/);
  });

  it('starts blocks of a page or more at spread offsets within the page, and gives the gaps to smaller blocks', () => {
    const heap = new WasmHeap({ initialPages: 1, maxPages: 256 });
    // Four 1 MiB buffers, allocated one after another as a session allocates x, y and its arenas: without
    // colouring all four would start at one page offset (sizes are whole pages).
    const big = [0, 1, 2, 3].map(() => heap.alloc(1 << 20));
    const lines = big.map((b) => (b % SET_SPAN) / ALIGN);
    expect(lines).toEqual([0, 1, 2, 3].map((i) => ((i * COLOR_STEP) % SET_SPAN) / ALIGN));
    // Lines 0, 39, 14, 53 of the page's 64: every pair at least 11 apart (cyclically).
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) {
      const d = Math.abs(lines[i] - lines[j]);
      expect(Math.min(d, 64 - d)).toBeGreaterThanOrEqual(11);
    }
    // Live blocks never overlap, and each is where alloc said.
    const spans = big.map((b) => [b, b + (1 << 20)]).sort((p, q) => p[0] - q[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    // A small block fills the gap below a coloured one rather than growing the heap.
    const top = heap.highWaterBytes;
    const small = heap.alloc(COLOR_MIN_BYTES - ALIGN);
    expect(small).toBeLessThan(big[3]);
    expect(heap.highWaterBytes).toBe(top);
    // The colour follows the number of coloured blocks live: release one and allocate again, and the
    // new block starts at the same page offset as the released one, and at the same address.
    heap.release(big[3]);
    expect(heap.alloc(1 << 20)).toBe(big[3]);
    // Releasing everything gives the whole heap back: the next block starts where the first did.
    for (const b of [...big, small]) heap.release(b);
    expect(heap.liveBytes).toBe(0);
    expect(heap.alloc(1 << 20)).toBe(big[0]);
  });
});
