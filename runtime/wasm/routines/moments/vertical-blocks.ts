// The driver of the channels-last float32 statistics: strips or tiles per row group, then Chan's
// update across row groups and across the R1 columns of each channel, in index order.

import { ChanMerge, MAX_TILE, MIN_TILE, type MomentsRun, TILE_BLOCK_ROWS, VERTICAL_GROUP, VERTICAL_ROWS, VSTAT, VTILE } from './layout.js';
import { STRIP } from './vertical-strips.js';
import { SLOT } from './vertical-tiles.js';

/**
 * Channels-last in float32 blocks: strips of columns (one f32 lane each) over blocks of VERTICAL_ROWS
 * rows, or tiles over blocks of TILE_BLOCK_ROWS, merged by Chan's update per row group in wasm, then
 * here across row groups and across the R1 columns of each channel, in index order. Units (row group,
 * strip or tile) depend on the shape only.
 */
export function verticalBlocks({ ctx, mod, x, layout, parallel, out }: MomentsRun): void {
  const { r0, k, r1 } = layout;
  const L = k * r1;
  const lp = Math.ceil(L / 4) * 4;
  const tail = L % 4;
  const l4 = L - tail;
  const tiled = l4 >= MIN_TILE;
  // Row groups hold whole blocks of both passes (a tiled call's strips take only its last L mod 4 columns).
  const blockRows = tiled ? TILE_BLOCK_ROWS : VERTICAL_ROWS;
  const rpg = blockRows * Math.max(1, Math.ceil(VERTICAL_GROUP / L / blockRows));
  const nrg = Math.ceil(r0 / rpg);
  const nfull = tiled ? 0 : Math.floor(L / STRIP);
  const nquad = tiled ? 0 : Math.floor((L % STRIP) / 4);
  const nstrips = nfull + nquad + (tail > 0 ? 1 : 0);
  const ntiles = Math.ceil(l4 / MAX_TILE);
  const tile = 4 * Math.ceil(l4 / 4 / ntiles);
  const heap = ctx.heap;
  // One row group of one-column channels: the units' results are the channels' (out holds lp values).
  const direct = nrg === 1 && r1 === 1;
  const meanP = direct ? out.meanAt : heap.alloc(nrg * lp * 8);
  const m2P = direct ? out.m2At : heap.alloc(nrg * lp * 8);
  const work = tiled ? heap.alloc(ctx.pool.threads * tile * (SLOT / 4)) : 0;
  try {
    if (tiled) ctx.pool.run(mod, VTILE, nrg * ntiles, 1, ctx.params([x.offset, L, r0, rpg, ntiles, tile, l4, meanP, m2P, lp, work]), parallel);
    if (nstrips > 0) ctx.pool.run(mod, VSTAT, nrg * nstrips, 1, ctx.params([x.offset, L, r0, rpg, nstrips, nfull, nquad, tail, meanP, m2P, lp]), parallel);
    if (direct) return;
    const pm = heap.f64(meanP, nrg * lp);
    const pq = heap.f64(m2P, nrg * lp);
    const { mean, m2 } = out;
    // Chan, Golub & LeVeque: a column's row groups in order, then a channel's R1 columns in order.
    for (let c = 0; c < k; c++) {
      const channel = new ChanMerge();
      for (let j = c * r1; j < (c + 1) * r1; j++) {
        const column = new ChanMerge();
        for (let g = 0; g < nrg; g++) column.add(Math.min(rpg, r0 - g * rpg), pm[g * lp + j], pq[g * lp + j]);
        channel.add(column.n, column.mean, column.m2);
      }
      mean[c] = channel.mean;
      m2[c] = channel.m2;
    }
  } finally {
    if (!direct) {
      heap.release(meanP);
      heap.release(m2P);
    }
    if (tiled) heap.release(work);
  }
}
