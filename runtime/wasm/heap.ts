// The wasm backend's memory: one WebAssembly.Memory (shared, so the worker pool runs kernels on it
// directly) and a first-fit allocator over it. Buffers are byte offsets; typed-array views are made
// on demand because growing a shared memory hands out a new, longer SharedArrayBuffer.
//
// Cache colouring. Addresses a multiple of 4 KiB apart fall into one set of the L1 data cache (48 KiB
// 12-way on this Zen 5, 32 KiB 8-way on most x86 and Arm cores: 64 sets of 64-byte lines either way).
// Buffers whose sizes are multiples of 4 KiB ([256,1024] float32 is 1 MiB, a per-channel vector of
// 1024 floats 4 KiB), allocated one after another, would all start at the same offset within a page,
// so a kernel that walks them side by side (BN's normalize reads x, the mean, the factor and the shift
// and writes y, four rows at a time: 4 + 3 + 4 lines per column) fills one set past its ways and
// evicts its own lines. Measured on that kernel (1 MiB x and y, 1024 channels, in-process): 32.8 µs
// with every buffer at one page offset, 29.4 µs with them spread. So each allocation of at least a
// page starts at its own offset within the page, the next of a sequence that spreads any few
// consecutive allocations over the sets; the gap below it stays free for smaller allocations. The
// colour is picked by the number of coloured allocations live at the time, so a run that allocates
// and releases scratch in the same order gets the same addresses every time.

import type { DType, Storage } from '../../core/dtype.js';
import { WasmMemory, webAssembly } from './wasm-api.js';

export const PAGE_BYTES = 65536;
/** Every allocation starts on a cache line; offset 0 is never handed out (it stands for "none"). */
export const ALIGN = 64;
/** Addresses this far apart share an L1 set (sets × line bytes; see the note on colouring above). */
export const SET_SPAN = 4096;
/** Allocations of at least this many bytes are coloured. */
export const COLOR_MIN_BYTES = SET_SPAN;
/**
 * Successive coloured allocations start this far apart modulo SET_SPAN: 39 lines, near the golden
 * section of the 64 sets, so that any few consecutive ones land far apart (the three-gap theorem).
 */
export const COLOR_STEP = 39 * ALIGN;

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
  /** Coloured allocations live: the next one starts at (colored.size · COLOR_STEP) mod SET_SPAN. */
  private readonly colored = new Set<number>();

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

  /**
   * A block of `bytes` (rounded up to whole lines) at the lowest address that fits, first fit over the
   * free blocks, then at the top. A block of at least COLOR_MIN_BYTES starts at the next colour's
   * offset within the page; the free space below that start stays free.
   */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const color = size >= COLOR_MIN_BYTES ? (this.colored.size * COLOR_STEP) % SET_SPAN : undefined;
    const startAt = (offset: number): number => (color === undefined ? offset : offset + ((color - (offset % SET_SPAN) + SET_SPAN) % SET_SPAN));
    const taken = (start: number): number => {
      this.sizes.set(start, size);
      if (color !== undefined) this.colored.add(start);
      return start;
    };
    for (let i = 0; i < this.freeList.length; i++) {
      const f = this.freeList[i];
      const start = startAt(f.offset);
      if (start + size > f.offset + f.bytes) continue;
      const pieces = [
        { offset: f.offset, bytes: start - f.offset },
        { offset: start + size, bytes: f.offset + f.bytes - start - size },
      ].filter((p) => p.bytes > 0);
      this.freeList.splice(i, 1, ...pieces);
      return taken(start);
    }
    const start = startAt(this.top);
    this.ensure(start + size);
    if (start > this.top) this.freeList.push({ offset: this.top, bytes: start - this.top });
    this.top = start + size;
    this.peakTop = Math.max(this.peakTop, this.top);
    return taken(start);
  }

  release(offset: number): void {
    const bytes = this.sizes.get(offset);
    if (bytes === undefined) return;
    this.sizes.delete(offset);
    this.colored.delete(offset);
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
