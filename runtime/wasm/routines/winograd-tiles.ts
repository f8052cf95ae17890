// Tile geometry of the Winograd F(2×2, 3×3) convolution: output tile (ty, tx) covers output rows
// 2ty, 2ty+1 and columns 2tx, 2tx+1 and reads the 4×4 input window at (2ty − padTop, 2tx − padLeft).
// The wasm kernel works on groups of four consecutive tiles (one per f32x4 lane); for each group this
// file precomputes, once per call, where each lane's 16 inputs are (or that they are padding, read as
// zero) and which of its 4 outputs exist, so the kernel needs no bounds arithmetic per channel.
// Windows reaching past the bottom/right edge only feed outputs past it, which are never stored, so
// zero-filling them is right for any (asymmetric) padding and odd output sizes.

/** Byte layout of one group record (i32 fields). */
export const GROUP = {
  /** [16 window positions r·4 + c][4 lanes]: byte offset of the input in its channel plane (0 outside). */
  inOffset: 0,
  /** [16][4]: −1 where the input is inside the image, 0 where it is padding (ANDed into the value). */
  inMask: 256,
  /** [4 lanes]: byte offset of the tile's top-left output in its output plane. */
  outOffset: 512,
  /** [4 lanes]: bit 2i + k set when output (2ty + i, 2tx + k) exists. */
  outBits: 528,
  /** 1 when the four windows are side by side in one row and wholly inside (vector loads). */
  fastIn: 544,
  /** Byte offset of lane 0's window in the plane (when fastIn). */
  fastInOffset: 548,
  /** 1 when the four tiles are side by side in one row and all 16 outputs exist (vector stores). */
  fastOut: 552,
  bytes: 576,
} as const;

export interface TileGeometry {
  readonly H: number;
  readonly W: number;
  readonly OH: number;
  readonly OW: number;
  readonly padTop: number;
  readonly padLeft: number;
}

export const tileRows = (g: TileGeometry): number => Math.ceil(g.OH / 2);
export const tileCols = (g: TileGeometry): number => Math.ceil(g.OW / 2);
export const tileCount = (g: TileGeometry): number => tileRows(g) * tileCols(g);

/** Tables of recently used geometries (a model's convolutions repeat a few shapes). */
const cache = new Map<string, Int32Array>();
const CACHE_ENTRIES = 32;

/** groupTable, computed once per geometry (the result is shared: never write to it). */
export function cachedGroupTable(g: TileGeometry, groups: number): Int32Array {
  const key = `${g.H},${g.W},${g.OH},${g.OW},${g.padTop},${g.padLeft},${groups}`;
  let t = cache.get(key);
  if (t === undefined) {
    if (cache.size >= CACHE_ENTRIES) cache.clear();
    t = groupTable(g, groups);
    cache.set(key, t);
  }
  return t;
}

/** Group records for tiles [0, 4·groups) of one image; tiles past the last one are all padding. */
export function groupTable(g: TileGeometry, groups: number): Int32Array {
  const fields = GROUP.bytes / 4;
  const t = new Int32Array(groups * fields);
  const TW = tileCols(g);
  const nTiles = tileCount(g);
  for (let q = 0; q < groups; q++) {
    const rec = q * fields;
    let sameRow = true;
    let allIn = true;
    let allOut = true;
    for (let l = 0; l < 4; l++) {
      const tile = 4 * q + l;
      const valid = tile < nTiles;
      const ty = Math.floor(tile / TW);
      const tx = tile - ty * TW;
      if (!valid || ty !== Math.floor((4 * q) / TW)) sameRow = false;
      const iy0 = 2 * ty - g.padTop;
      const ix0 = 2 * tx - g.padLeft;
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 4; c++) {
          const inside = valid && iy0 + r >= 0 && iy0 + r < g.H && ix0 + c >= 0 && ix0 + c < g.W;
          if (!inside) allIn = false;
          t[rec + GROUP.inOffset / 4 + (r * 4 + c) * 4 + l] = inside ? ((iy0 + r) * g.W + ix0 + c) * 4 : 0;
          t[rec + GROUP.inMask / 4 + (r * 4 + c) * 4 + l] = inside ? -1 : 0;
        }
      }
      let bits = 0;
      for (let i = 0; i < 2; i++) for (let k = 0; k < 2; k++) if (valid && 2 * ty + i < g.OH && 2 * tx + k < g.OW) bits |= 1 << (2 * i + k);
      if (bits !== 15) allOut = false;
      t[rec + GROUP.outOffset / 4 + l] = valid ? (2 * ty * g.OW + 2 * tx) * 4 : 0;
      t[rec + GROUP.outBits / 4 + l] = bits;
    }
    t[rec + GROUP.fastIn / 4] = sameRow && allIn ? 1 : 0;
    t[rec + GROUP.fastInOffset / 4] = t[rec + GROUP.inOffset / 4];
    t[rec + GROUP.fastOut / 4] = sameRow && allOut ? 1 : 0;
  }
  return t;
}
