// A pool of worker_threads that run wasm kernels on the backend's shared memory, with synchronous
// dispatch from the main thread: a job is published in a SharedArrayBuffer control block, the main
// thread and the workers take fixed-size chunks from an atomic counter, and the main thread blocks in
// Atomics.wait until every worker has checked out of the job. Chunk boundaries depend on the job only
// (never on the thread count), so results are bit-identical with 1, 2 or N threads.
//
// Workers are unref'd (they never keep the process alive) and are terminated by dispose(). Modules
// reach the workers through a MessagePort that the worker drains synchronously (receiveMessageOnPort)
// when a job names a module it has not instantiated yet: the worker never needs its event loop.

import { MessageChannel, MessagePort, Worker } from 'node:worker_threads';
import { exportedFunctions, WasmFunction, WasmMemory, WasmModule, webAssembly } from './wasm-api.js';

/** Control block slots (Int32Array indices). */
const GEN = 0;
const STOP = 1;
const NEXT = 2;
const EXITED = 3;
const NCHUNKS = 4;
const TOTAL = 5;
const CHUNK = 6;
const PARAMS = 7;
const MODULE = 8;
const FN = 9;
const ERR = 10;
const ERR_LEN = 11;
const SLEEP = 12;
const ERR_BYTES_AT = 256;
const CONTROL_BYTES = 1024;

/** A worker gives up waiting for a module message after this long (it was posted before the job). */
const MODULE_WAIT_MS = 30_000;
/** The main thread gives up on workers that make no progress for this long. */
const STALL_MS = 120_000;

/**
 * The worker's program (plain JavaScript: it runs outside the TypeScript toolchain, from source text,
 * so the pool works the same from src/ under vitest and from dist/).
 */
const WORKER_SOURCE = `
'use strict';
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { control, memory, port, tid } = workerData;
const ctrl = new Int32Array(control);
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
for (;;) {
  while (Atomics.load(ctrl, ${GEN}) === seen) Atomics.wait(ctrl, ${GEN}, seen);
  seen = Atomics.load(ctrl, ${GEN});
  if (Atomics.load(ctrl, ${STOP}) !== 0) break;
  try {
    const fn = moduleFns(ctrl[${MODULE}])[ctrl[${FN}]];
    const n = ctrl[${NCHUNKS}], total = ctrl[${TOTAL}], chunk = ctrl[${CHUNK}], params = ctrl[${PARAMS}];
    for (;;) {
      const c = Atomics.add(ctrl, ${NEXT}, 1);
      if (c >= n) break;
      const start = c * chunk;
      fn(start, Math.min(total, start + chunk), tid, params);
    }
  } catch (e) {
    fail(e);
    Atomics.store(ctrl, ${NEXT}, 0x3fffffff);
  }
  Atomics.add(ctrl, ${EXITED}, 1);
  Atomics.notify(ctrl, ${EXITED});
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
  private readonly ports: MessagePort[] = [];
  private readonly control: SharedArrayBuffer;
  private readonly ctrl: Int32Array;
  private nextModule = 0;
  private disposed = false;
  private broken: string | undefined;

  constructor(private readonly memory: WasmMemory, threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    this.threads = threads;
    this.control = new SharedArrayBuffer(CONTROL_BYTES);
    this.ctrl = new Int32Array(this.control);
    for (let t = 1; t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { control: this.control, memory, port: port2, tid: t },
        transferList: [port2],
      });
      w.unref();
      port1.unref();
      // An exit or error outside a job (a crash) is remembered; run() reports it instead of waiting.
      w.on('error', (e: Error) => {
        this.broken ??= `worker ${t} failed: ${e.message}`;
      });
      w.on('exit', (code: number) => {
        if (!this.disposed) this.broken ??= `worker ${t} exited with code ${code}`;
      });
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
    if (!parallel || n < 2 || this.workers.length === 0) {
      for (let c = 0; c < n; c++) f(c * chunk, Math.min(total, (c + 1) * chunk), 0, params);
      return;
    }
    if (this.broken !== undefined) throw new WorkerPoolError(`the wasm worker pool is unusable: ${this.broken}`);
    const ctrl = this.ctrl;
    ctrl[NCHUNKS] = n;
    ctrl[TOTAL] = total;
    ctrl[CHUNK] = chunk;
    ctrl[PARAMS] = params;
    ctrl[MODULE] = m.id;
    ctrl[FN] = fn;
    ctrl[ERR] = 0;
    ctrl[ERR_LEN] = 0;
    Atomics.store(ctrl, NEXT, 0);
    Atomics.store(ctrl, EXITED, 0);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    let thrown: unknown;
    try {
      for (;;) {
        const c = Atomics.add(ctrl, NEXT, 1);
        if (c >= n) break;
        f(c * chunk, Math.min(total, (c + 1) * chunk), 0, params);
      }
    } catch (e) {
      thrown = e;
      Atomics.store(ctrl, NEXT, 0x3fffffff);
    }
    this.awaitWorkers();
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

  private awaitWorkers(): void {
    const ctrl = this.ctrl;
    const want = this.workers.length;
    let last = -1;
    let since = Date.now();
    for (;;) {
      const e = Atomics.load(ctrl, EXITED);
      if (e >= want) return;
      const progress = e * 0x10000 + Atomics.load(ctrl, NEXT);
      if (progress !== last) {
        last = progress;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        this.broken = `${want - e} worker(s) made no progress for ${STALL_MS / 1000} s`;
        this.dispose();
        throw new WorkerPoolError(`the wasm worker pool stalled: ${this.broken}`);
      }
      Atomics.wait(ctrl, EXITED, e, 1000);
    }
  }
}
