// The wasm backend's memory: one WebAssembly.Memory (shared, so the worker pool runs kernels on it
// directly) and a first-fit allocator over it. Buffers are byte offsets; typed-array views are made
// on demand because growing a shared memory hands out a new, longer SharedArrayBuffer.

import type { DType, Storage } from '../../core/dtype.js';
import { WasmMemory, webAssembly } from './wasm-api.js';

export const PAGE_BYTES = 65536;
/** Every allocation starts on a cache line; offset 0 is never handed out (it stands for "none"). */
export const ALIGN = 64;

/** The least multiple of m that is at least v. */
export function roundUp(v: number, m: number): number {
  return Math.ceil(v / m) * m;
}

export interface HeapOptions {
  /** Initial size in 64 KiB pages (default 256 = 16 MiB). */
  readonly initialPages?: number;
  /** Maximum size in pages (default 65536 = 4 GiB; a shared memory reserves address space for it). */
  readonly maxPages?: number;
}

export class WasmOutOfMemoryError extends RangeError {}

export class WasmHeap {
  readonly memory: WasmMemory;
  readonly maxPages: number;
  private buf: ArrayBuffer | SharedArrayBuffer;
  private top = ALIGN;
  private peakTop = ALIGN;
  /** Free blocks below `top`, sorted by offset, coalesced. */
  private readonly freeList: { offset: number; bytes: number }[] = [];
  private readonly sizes = new Map<number, number>();

  constructor(options: HeapOptions = {}) {
    const api = webAssembly();
    if (api === undefined) throw new Error('WebAssembly is not available');
    this.maxPages = options.maxPages ?? 65536;
    const initial = Math.min(options.initialPages ?? 256, this.maxPages);
    this.memory = new api.Memory({ initial, maximum: this.maxPages, shared: true });
    this.buf = this.memory.buffer;
  }

  /** The memory's current bytes (a new object after growth). */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    if (this.buf.byteLength !== this.memory.buffer.byteLength) this.buf = this.memory.buffer;
    return this.buf;
  }

  /**
   * The highest end of any allocation so far (bytes): planned buffers, constants and every routine's
   * scratch together, as the memory's own size would show them without its growth rounding.
   */
  get highWaterBytes(): number {
    return this.peakTop;
  }

  /** Bytes handed out and not released (for tests and diagnostics). */
  get liveBytes(): number {
    let t = 0;
    for (const b of this.sizes.values()) t += b;
    return t;
  }

  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.freeList.length; i++) {
      const f = this.freeList[i];
      if (f.bytes < size) continue;
      const offset = f.offset;
      if (f.bytes === size) this.freeList.splice(i, 1);
      else this.freeList[i] = { offset: f.offset + size, bytes: f.bytes - size };
      this.sizes.set(offset, size);
      return offset;
    }
    const offset = this.top;
    this.ensure(offset + size);
    this.top = offset + size;
    this.peakTop = Math.max(this.peakTop, this.top);
    this.sizes.set(offset, size);
    return offset;
  }

  release(offset: number): void {
    const bytes = this.sizes.get(offset);
    if (bytes === undefined) return;
    this.sizes.delete(offset);
    let i = 0;
    while (i < this.freeList.length && this.freeList[i].offset < offset) i++;
    this.freeList.splice(i, 0, { offset, bytes });
    // Coalesce with the next and the previous block, then give a free tail back to `top`.
    const cur = this.freeList[i];
    const next = this.freeList[i + 1];
    if (next !== undefined && cur.offset + cur.bytes === next.offset) {
      cur.bytes += next.bytes;
      this.freeList.splice(i + 1, 1);
    }
    const prev = this.freeList[i - 1];
    if (prev !== undefined && prev.offset + prev.bytes === cur.offset) {
      prev.bytes += cur.bytes;
      this.freeList.splice(i, 1);
    }
    const last = this.freeList[this.freeList.length - 1];
    if (last !== undefined && last.offset + last.bytes === this.top) {
      this.top = last.offset;
      this.freeList.pop();
    }
  }

  /** A typed-array view of `length` elements of `dtype` at byte `offset`, over the current memory. */
  view(dtype: DType, offset: number, length: number): Storage {
    const b = this.buffer;
    switch (dtype) {
      case 'float32': return new Float32Array(b, offset, length);
      case 'float64': return new Float64Array(b, offset, length);
      case 'float16':
      case 'bfloat16':
        return new Uint16Array(b, offset, length);
      case 'int64': return new BigInt64Array(b, offset, length);
      case 'int32': return new Int32Array(b, offset, length);
      case 'int8': return new Int8Array(b, offset, length);
      case 'uint8':
      case 'bool':
        return new Uint8Array(b, offset, length);
    }
  }

  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.buffer, offset, length);
  }

  f64(offset: number, length: number): Float64Array {
    return new Float64Array(this.buffer, offset, length);
  }

  i32(offset: number, length: number): Int32Array {
    return new Int32Array(this.buffer, offset, length);
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const maxBytes = this.maxPages * PAGE_BYTES;
    if (end > maxBytes) throw new WasmOutOfMemoryError(`wasm backend: out of memory (${end} bytes needed, the memory's maximum is ${maxBytes} bytes)`);
    const needPages = Math.ceil((end - have) / PAGE_BYTES);
    // Grow by at least half the current size, to keep the number of growths logarithmic.
    const pages = Math.min(Math.max(needPages, Math.ceil(have / PAGE_BYTES / 2)), this.maxPages - have / PAGE_BYTES);
    this.memory.grow(pages);
    this.buf = this.memory.buffer;
  }
}
