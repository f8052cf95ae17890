// A pool of worker_threads that run wasm kernels on the backend's shared memory, with synchronous
// dispatch from the main thread. A job (module, function, parameter block, chunk count) is published
// in a SharedArrayBuffer control block; the main thread and the workers claim fixed-size chunks with a
// compare-and-swap on a 64-bit word (job generation ‖ next chunk), and the main thread blocks in
// Atomics.wait until every chunk is done. Chunk boundaries depend on the job only (never on the
// thread count), so results are bit-identical with 1, 2 or N threads.
//
// Why the generation is part of the claim: the main thread never waits for a worker that has not woken
// up yet (on a loaded machine a worker may be descheduled for milliseconds). A late worker that read
// an old job's parameters can only claim a chunk of that same job, and a claim succeeds only while the
// job is unfinished — that is, while its parameters are still in place.
//
// Workers are unref'd (they never keep the process alive) and are terminated by dispose(). Modules
// reach the workers through a MessagePort that the worker drains synchronously (receiveMessageOnPort)
// when a job names a module it has not instantiated yet: a worker never needs its event loop.

import { availableParallelism } from 'node:os';
import { MessageChannel, MessagePort, Worker } from 'node:worker_threads';
import { exportedFunctions, WasmFunction, WasmMemory, WasmModule, webAssembly } from './wasm-api.js';

/** Int32 slots of the control block. */
const GEN = 0;
const STOP = 1;
const DONE = 2;
const NCHUNKS = 3;
const TOTAL = 4;
const CHUNK = 5;
const PARAMS = 6;
const MODULE = 7;
const FN = 8;
const ERR = 9;
const ERR_LEN = 10;
const SLEEP = 11;
/** Byte offset of the 64-bit claim word (generation << 32 | next chunk). */
const WORD_AT = 64;
const ERR_BYTES_AT = 128;
const CONTROL_BYTES = 1024;

/** Polls of the control block before a worker sleeps in Atomics.wait (a few microseconds). */
const SPIN_ITERATIONS = 2000;
/** A worker gives up waiting for a module message after this long (it was posted before the job). */
const MODULE_WAIT_MS = 30_000;
/** The main thread gives up when no chunk completes for this long. */
const STALL_MS = 120_000;

/**
 * The worker's program (plain JavaScript: it runs outside the TypeScript toolchain, from source text,
 * so the pool works the same from the sources under vitest and from dist/).
 */
const WORKER_SOURCE = `
'use strict';
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { control, memory, port, tid, spin } = workerData;
const ctrl = new Int32Array(control);
const word = new BigInt64Array(control, ${WORD_AT}, 1);
const modules = new Map();
function moduleFns(id) {
  const started = Date.now();
  while (!modules.has(id)) {
    const m = receiveMessageOnPort(port);
    if (m === undefined) {
      if (Date.now() - started > ${MODULE_WAIT_MS}) throw new Error('module ' + id + ' never arrived');
      Atomics.wait(ctrl, ${SLEEP}, 0, 1);
      continue;
    }
    const { id: mid, module, names } = m.message;
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    modules.set(mid, names.map((n) => instance.exports[n]));
  }
  return modules.get(id);
}
function fail(e) {
  if (Atomics.compareExchange(ctrl, ${ERR}, 0, tid) !== 0) return;
  const bytes = new TextEncoder().encode(String(e && e.stack ? e.stack : e)).subarray(0, ${CONTROL_BYTES - ERR_BYTES_AT});
  new Uint8Array(control, ${ERR_BYTES_AT}, bytes.length).set(bytes);
  Atomics.store(ctrl, ${ERR_LEN}, bytes.length);
}
let seen = 0;
let gen = -1, fn, n = 0, total = 0, chunk = 0, params = 0;
for (;;) {
  for (let i = 0; i < spin && Atomics.load(ctrl, ${GEN}) === seen; i++);
  while (Atomics.load(ctrl, ${GEN}) === seen) Atomics.wait(ctrl, ${GEN}, seen);
  seen = Atomics.load(ctrl, ${GEN});
  if (Atomics.load(ctrl, ${STOP}) !== 0) break;
  for (;;) {
    const w = Atomics.load(word, 0);
    const g = Number(w >> 32n);
    const x = Number(w & 0xffffffffn);
    if (g !== gen) {
      gen = g;
      n = ctrl[${NCHUNKS}]; total = ctrl[${TOTAL}]; chunk = ctrl[${CHUNK}]; params = ctrl[${PARAMS}];
      const mod = ctrl[${MODULE}], f = ctrl[${FN}];
      try {
        fn = moduleFns(mod)[f];
      } catch (e) {
        fn = undefined;
        // Only a live job reports the failure (a torn read of a finished job is harmless).
        if (x < n && Atomics.load(word, 0) === w) fail(e);
      }
    }
    if (x >= n) break;
    if (Atomics.compareExchange(word, 0, w, w + 1n) !== w) continue;
    try {
      if (fn === undefined) throw new Error('kernel function unavailable in worker ' + tid);
      const start = x * chunk;
      fn(start, Math.min(total, start + chunk), tid, params);
    } catch (e) {
      fail(e);
    }
    if (Atomics.add(ctrl, ${DONE}, 1) + 1 >= n) Atomics.notify(ctrl, ${DONE});
  }
}
`;

/** A module instantiated on the main thread (and, lazily, in every worker). */
export interface PoolModule {
  readonly id: number;
  readonly fns: readonly WasmFunction[];
}

export class WorkerPoolError extends Error {}

export class WorkerPool {
  /** Threads that run chunks, the main thread included. */
  readonly threads: number;
  private readonly workers: Worker[] = [];
  private readonly exits: Promise<void>[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly control: SharedArrayBuffer;
  private readonly ctrl: Int32Array;
  private readonly word: BigInt64Array;
  private generation = 0;
  private nextModule = 0;
  private disposed = false;
  private broken: string | undefined;

  constructor(private readonly memory: WasmMemory, threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    this.threads = threads;
    this.control = new SharedArrayBuffer(CONTROL_BYTES);
    this.ctrl = new Int32Array(this.control);
    this.word = new BigInt64Array(this.control, WORD_AT, 1);
    // Spinning only pays when every thread has a core of its own.
    const spin = threads <= availableParallelism() ? SPIN_ITERATIONS : 0;
    for (let t = 1; t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { control: this.control, memory, port: port2, tid: t, spin },
        transferList: [port2],
      });
      w.unref();
      port1.unref();
      // A crash outside a chunk is remembered; later parallel runs report it instead of relying on it.
      w.on('error', (e: Error) => {
        this.broken ??= `worker ${t} failed: ${e.message}`;
      });
      this.exits.push(
        new Promise<void>((resolve) => {
          w.on('exit', (code: number) => {
            if (!this.disposed) this.broken ??= `worker ${t} exited with code ${code}`;
            resolve();
          });
        }),
      );
      this.workers.push(w);
      this.ports.push(port1);
    }
  }

  /** Instantiate a module on the main thread and send it to every worker (instantiated on first use). */
  register(module: WasmModule, names: readonly string[]): PoolModule {
    const api = webAssembly();
    if (api === undefined) throw new Error('WebAssembly is not available');
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    const id = this.nextModule++;
    for (const p of this.ports) p.postMessage({ id, module, names: [...names] });
    return { id, fns: exportedFunctions(instance, names) };
  }

  /**
   * Run fns[fn](start, end, tid, params) over [0, total) in chunks of `chunk` units. With `parallel`
   * false (small work) or one thread, the main thread runs the same chunks itself.
   */
  run(m: PoolModule, fn: number, total: number, chunk: number, params: number, parallel = true): void {
    if (this.disposed) throw new WorkerPoolError('the wasm worker pool has been disposed');
    if (total <= 0) return;
    const f = m.fns[fn];
    const n = Math.ceil(total / chunk);
    if (!parallel || n < 2 || this.workers.length === 0 || this.broken !== undefined) {
      for (let c = 0; c < n; c++) f(c * chunk, Math.min(total, (c + 1) * chunk), 0, params);
      return;
    }
    const ctrl = this.ctrl;
    const g = ++this.generation;
    ctrl[NCHUNKS] = n;
    ctrl[TOTAL] = total;
    ctrl[CHUNK] = chunk;
    ctrl[PARAMS] = params;
    ctrl[MODULE] = m.id;
    ctrl[FN] = fn;
    ctrl[ERR] = 0;
    ctrl[ERR_LEN] = 0;
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(this.word, 0, BigInt(g) << 32n);
    Atomics.store(ctrl, GEN, g);
    Atomics.notify(ctrl, GEN);
    let thrown: unknown;
    for (;;) {
      const w = Atomics.load(this.word, 0);
      const x = Number(w & 0xffffffffn);
      if (x >= n) break;
      if (Atomics.compareExchange(this.word, 0, w, w + 1n) !== w) continue;
      try {
        f(x * chunk, Math.min(total, (x + 1) * chunk), 0, params);
      } catch (e) {
        thrown ??= e;
      }
      Atomics.add(ctrl, DONE, 1);
    }
    this.awaitChunks(n);
    if (thrown !== undefined) throw thrown;
    if (ctrl[ERR] !== 0) {
      const msg = new TextDecoder().decode(new Uint8Array(this.control, ERR_BYTES_AT, ctrl[ERR_LEN]).slice());
      throw new WorkerPoolError(`wasm kernel failed in worker ${ctrl[ERR]}: ${msg}`);
    }
  }

  /** Stop and terminate the workers; later runs throw. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const p of this.ports) p.close();
    for (const w of this.workers) void w.terminate();
  }

  /** Resolves once every worker thread has exited (after dispose()). */
  async terminated(): Promise<void> {
    await Promise.all(this.exits);
  }

  /** Block until all n chunks are done (every chunk was claimed before this is called). */
  private awaitChunks(n: number): void {
    const ctrl = this.ctrl;
    let last = -1;
    let since = Date.now();
    for (;;) {
      const d = Atomics.load(ctrl, DONE);
      if (d >= n) return;
      if (d !== last) {
        last = d;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        this.broken = `${n - d} claimed chunk(s) made no progress for ${STALL_MS / 1000} s`;
        this.dispose();
        throw new WorkerPoolError(`the wasm worker pool stalled: ${this.broken}`);
      }
      Atomics.wait(ctrl, DONE, d, 1000);
    }
  }
}
