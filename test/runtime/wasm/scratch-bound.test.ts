// The wasm backend's routine scratch on ResNet-style blocks at ResNet's own shapes (batch 1): the heap's
// high-water mark above the memory plan (planned activations and constants) and the transformed filters
// the backend keeps with the weights (WasmBackend.derivedBytes) must stay under a bound
// derived from the routines' block-size constants, per thread — not a measured number. Issue #4's
// memory target counts the activations; before Winograd shared the smaller of its transformed operands
// (winograd.ts), one 256 → 256 3×3 convolution alone held 4 MiB of transformed filters.
//
// The bound is the largest of the block's routine calls (scratch is released when a call returns):
//   Winograd  (ξ = 16 for F(2×2) tiles of 2×2 outputs, 36 for F(4×4) tiles of 4×4; winogradVariant)
//             shared: min(U of all filters ξ·M·Cp, V of all tiles ξ·C·(tiles + Tp − 1)) floats;
//             per thread: edge tile + max(a block's V (≤ max(V_TARGET_BYTES, ξ·C·MIN_TILES floats))
//             + its products (ξ·ROW_BLOCK·MAX_TILES floats), a row block's U (≤ max(U_ROWS_BYTES,
//             ξ·MIN_ROWS·Cp floats)) + its products (ξ·MAX_ROWS·MAX_TILES floats)) + the epilogue's
//             stage (m output rows per tile row a block spans) and params; the tile table. V's and the
//             products' ξ slices may each be a cache line longer (sliceStride), U's rows 4 floats
//             (filterColumns).
//   im2col    per thread: edge tile + tables (9 bytes per column) + packed panels (≤ max(PACKED_TARGET_BYTES,
//             K·PANEL floats)) + the epilogue's stage (EPILOGUE_ROWS × MAX_BLOCK floats) + params.
// Every allocation is rounded up to ALIGN and may start up to a page later (the heap's cache
// colouring); float32 copies of the epilogue's float64 per-channel BN factors (hi + lo) are added for
// every step.

import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Value } from '../../../compiler/ir/types.js';
import { fromFloat64 } from '../../../core/tensor.js';
import { GraphSession } from '../../../runtime/graph-session.js';
import { ALIGN, SET_SPAN } from '../../../runtime/wasm/heap.js';
import { MAX_BLOCK, PACKED_TARGET_BYTES } from '../../../runtime/wasm/routines/conv2d.js';
import { EPILOGUE_ROWS, PANEL, TILE_TMP_BYTES } from '../../../runtime/wasm/routines/gemm.js';
import { filterColumns, MAX_ROWS, MAX_TILES, MIN_ROWS, MIN_TILES, ROW_BLOCK, U_ROWS_BYTES, V_TARGET_BYTES, winogradVariant } from '../../../runtime/wasm/routines/winograd.js';
import { SCRATCH_HEAD_BYTES } from '../../../runtime/wasm/routines/winograd-module.js';
import { groupLayout } from '../../../runtime/wasm/routines/winograd-tiles.js';
import { WasmBackend } from '../../../runtime/wasm/wasm-backend.js';
import { mulberry32 } from '../../helpers/random.js';

const F = 4;
/** Room for the rounding and colouring of `allocs` allocations (each under a page) and a params copy. */
const slack = (allocs: number): number => allocs * SET_SPAN + 256;

/** Scratch bound of a 3×3 stride-1 Winograd call on 1 × C × S × S → M (see the header). */
function winogradBound(C: number, M: number, S: number, threads: number): number {
  const v = winogradVariant(S, S);
  const XI = v.xi;
  const Cp = filterColumns(C);
  const TW = Math.ceil(S / v.m);
  const tiles = TW ** 2;
  const line = ALIGN * XI;
  const shared = Math.min(XI * F * M * Cp, XI * F * C * (tiles + MAX_TILES - 1) + line * Math.ceil(tiles / MIN_TILES));
  const filtersShared = Math.max(V_TARGET_BYTES, XI * F * C * MIN_TILES) + XI * F * ROW_BLOCK * MAX_TILES + 2 * line;
  const inputsShared = Math.max(U_ROWS_BYTES, XI * F * MIN_ROWS * Cp) + XI * F * MAX_ROWS * MAX_TILES + line;
  const stage = v.m * (Math.floor((MAX_TILES - 1) / TW) + 2) * S * F;
  const perThread = SCRATCH_HEAD_BYTES + Math.max(filtersShared, inputsShared) + stage;
  const table = ((tiles + MAX_TILES) / 4) * groupLayout(v).bytes;
  return shared + threads * perThread + table + slack(4 + threads);
}

/** Scratch bound of an im2col call with reduction length K (see the header). */
function im2colBound(K: number, threads: number): number {
  const perThread = TILE_TMP_BYTES + 9 * MAX_BLOCK + Math.max(PACKED_TARGET_BYTES, K * PANEL * F + PANEL * F) + EPILOGUE_ROWS * MAX_BLOCK * F;
  return threads * perThread + slack(2 + threads);
}

class Net {
  readonly b = new GraphBuilder('block');
  private readonly rnd = mulberry32(5);
  private n = 0;
  private init(dims: number[], f: () => number): Value {
    const size = dims.reduce((a, d) => a * d, 1);
    return this.b.initializer(`p${this.n++}`, fromFloat64('float32', dims, Array.from({ length: size }, f)));
  }
  conv(x: Value, cout: number, k: number): Value {
    const cin = x.type.shape[1] as number;
    const s = Math.sqrt(2 / (cin * k * k));
    const pad = (k - 1) >> 1;
    return this.b.op('Conv', [x, this.init([cout, cin, k, k], () => s * (2 * this.rnd() - 1))], { kernel_shape: [k, k], pads: [pad, pad, pad, pad] });
  }
  bn(x: Value): Value {
    const c = x.type.shape[1] as number;
    const p = [() => 0.5 + this.rnd(), () => this.rnd() - 0.5, () => this.rnd() - 0.5, () => 0.5 + this.rnd()].map((f) => this.init([c], f));
    return this.b.op('BatchNormalization', [x, ...p], { epsilon: 1e-5 });
  }
  relu(x: Value): Value {
    return this.b.op('Relu', [x]);
  }
  add(a: Value, c: Value): Value {
    return this.b.op('Add', [a, c]);
  }
  cbr(x: Value, cout: number, k: number): Value {
    return this.relu(this.bn(this.conv(x, cout, k)));
  }
}

interface BlockCase {
  readonly name: string;
  /** Channels into the block and the image side; the block; the bound for `threads`. */
  readonly C: number;
  readonly S: number;
  readonly build: (k: Net, x: Value) => Value;
  readonly bound: (threads: number) => number;
}

const cases: BlockCase[] = [
  {
    name: 'ResNet-18 basic block, layer 3 (256 → 256 at 14×14, Winograd with the inputs shared)',
    C: 256, S: 14,
    build: (k, x) => k.relu(k.add(k.bn(k.conv(k.cbr(x, 256, 3), 256, 3)), x)),
    bound: (t) => Math.max(winogradBound(256, 256, 14, t), im2colBound(256, t)) + 2 * 8 * 256,
  },
  {
    name: 'ResNet-18 basic block, layer 1 (64 → 64 at 56×56, Winograd with the filters shared)',
    C: 64, S: 56,
    build: (k, x) => k.relu(k.add(k.bn(k.conv(k.cbr(x, 64, 3), 64, 3)), x)),
    bound: (t) => Math.max(winogradBound(64, 64, 56, t), im2colBound(64, t)) + 2 * 8 * 64,
  },
  {
    name: 'ResNet-50 bottleneck, layer 3 (1024 → 256 → 256 → 1024 at 14×14, the 1×1 residual conv in place)',
    C: 1024, S: 14,
    build: (k, x) => k.relu(k.add(k.bn(k.conv(k.cbr(k.cbr(x, 256, 1), 256, 3), 1024, 1)), x)),
    bound: (t) => Math.max(winogradBound(256, 256, 14, t), im2colBound(1024, t)) + 2 * 8 * 1024,
  },
];

const sessions: GraphSession[] = [];
afterAll(() => {
  for (const s of sessions) s.release();
});

describe.each(cases)('$name', (c) => {
  it.each([1, 2])('wasm, %i thread(s): heap high-water above the plan within the per-thread bound', (threads) => {
    const k = new Net();
    const x = k.b.input('x', 'float32', [1, c.C, c.S, c.S]);
    // Between a stem and a tail, as in a network (pinned graph inputs/outputs are never written over).
    const g = k.b.build([k.conv(c.build(k, k.cbr(x, c.C, 1)), 8, 1)]);
    const s = new GraphSession(g, { backend: 'wasm', threads, precision: 'float32' });
    sessions.push(s);
    const dims = new Map([['x', [1, c.C, c.S, c.S]]]);
    const plan = s.planFor(dims);
    expect(plan.memory?.inPlaceSteps.length, 'the residual step runs in place').toBeGreaterThan(0);
    const size = c.C * c.S * c.S;
    s.runHost({ x: fromFloat64('float32', [1, c.C, c.S, c.S], Array.from({ length: size }, (_, i) => Math.sin(i))) });
    const be = s.backend;
    if (!(be instanceof WasmBackend) || plan.memory === undefined) throw new Error('expected the wasm backend with a memory plan');
    // Filters kept transformed (derivedConstant) are weights in another form, outside the scratch bound.
    const above = be.heap.highWaterBytes - plan.memory.peakBytes - be.derivedBytes;
    expect(above).toBeLessThanOrEqual(c.bound(threads));
  });
});
