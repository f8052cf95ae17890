// Tile geometry of the Winograd F(m×m, 3×3) convolution (m = 2 or 4, winograd-transforms.ts): output
// tile (ty, tx) covers output rows m·ty … m·ty + m − 1 and columns m·tx … m·tx + m − 1 and reads the
// (m+2)×(m+2) input window at (m·ty − padTop, m·tx − padLeft). The wasm kernel works on groups of four
// consecutive tiles (one per f32x4 lane); for each group this file precomputes, once per call, where
// each lane's inputs are (or that they are padding, read as zero) and which of its outputs exist, so
// the kernel needs no bounds arithmetic per channel. The tiles are one image's, or (TileBatch) the
// images' tiles one after another, so that a block of tiles may span images: the offsets then include
// the lane's image. Windows reaching past the bottom/right edge only
// feed outputs past it, which are never stored, so zero-filling them is right for any (asymmetric)
// padding and odd output sizes.

import type { WinogradVariant } from './winograd-transforms.js';

/** Byte layout of one group record (i32 fields) for windows of a×a inputs (a = m + 2). */
export interface GroupLayout {
  /**
   * [a² window positions r·a + c][4 lanes]: byte offset of the input in its channel plane (0 outside);
   * in a batch sequence, from the channel's plane in image 0 (the lane's image's inStride included).
   */
  readonly inOffset: number;
  /** [a²][4]: −1 where the input is inside the image, 0 where it is padding (ANDed into the value). */
  readonly inMask: number;
  /** [4 lanes]: byte offset of the tile's top-left output in its output plane (plus the image's outStride). */
  readonly outOffset: number;
  /** [4 lanes]: bit m·i + k set when output (m·ty + i, m·tx + k) exists. */
  readonly outBits: number;
  /**
   * 1 when every lane's window is wholly inside the image, so its rows can be read with vector loads:
   * F(2×2) also needs the four windows side by side in one row (one run of 10 floats per window row);
   * F(4×4) reads each lane's window rows on their own (lane offsets: inOffset of position 0).
   */
  readonly fastIn: number;
  /** 1 when every output of the four tiles exists (vector stores); F(2×2) also needs them side by side. */
  readonly fastOut: number;
  /**
   * [4 lanes]: byte offset of the lane's window origin in its channel plane, (iy0·W + ix0)·4, even where
   * that is outside the image (negative, or past its end); 0 for tiles past the last. F(4×4) reads the
   * window rows of groups that reach outside as vectors from there and zeroes the outside by inMask,
   * where winograd.ts finds the reads inside the memory (readExtent).
   */
  readonly winOffset: number;
  readonly bytes: number;
}

export function groupLayout(v: WinogradVariant): GroupLayout {
  const positions = 16 * v.xi;
  return { inOffset: 0, inMask: positions, outOffset: 2 * positions, outBits: 2 * positions + 16, fastIn: 2 * positions + 32, fastOut: 2 * positions + 36, winOffset: 2 * positions + 48, bytes: 2 * positions + 64 };
}

/** Bytes a window row read as vectors spans from its first input: a 16-byte and an 8-byte load (F(4×4)'s 6 floats). */
const WINDOW_ROW_READ = 24;

/**
 * The bytes that reading every window of one plane as vector rows (from winOffset, a rows of
 * WINDOW_ROW_READ bytes) touches, relative to the plane's start: `below` before it, `end` the furthest
 * end after it.
 */
export function readExtent(v: WinogradVariant, g: TileGeometry): { below: number; end: number } {
  const rowBytes = 4 * g.W;
  const TH = tileRows(g, v.m);
  const TW = tileCols(g, v.m);
  // The extreme origins are the first and the last tile's (rows and columns grow together).
  const first = (-g.padTop * g.W - g.padLeft) * 4;
  const last = ((v.m * (TH - 1) - g.padTop) * g.W + v.m * (TW - 1) - g.padLeft) * 4;
  const span = (v.a - 1) * rowBytes + WINDOW_ROW_READ;
  return { below: Math.max(0, -first), end: Math.max(span, last + span) };
}

export interface TileGeometry {
  readonly H: number;
  readonly W: number;
  readonly OH: number;
  readonly OW: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * A tile sequence over `count` images (tile T is tile T mod n of image ⌊T / n⌋, n an image's tiles):
 * an image's input starts inStride bytes after the previous one's, its output outStride bytes.
 */
export interface TileBatch {
  readonly count: number;
  readonly inStride: number;
  readonly outStride: number;
}

const ONE_IMAGE: TileBatch = { count: 1, inStride: 0, outStride: 0 };

export const tileRows = (g: TileGeometry, m: number): number => Math.ceil(g.OH / m);
export const tileCols = (g: TileGeometry, m: number): number => Math.ceil(g.OW / m);
export const tileCount = (g: TileGeometry, m: number): number => tileRows(g, m) * tileCols(g, m);

/** Tables of recently used geometries (a model's convolutions repeat a few shapes). */
const cache = new Map<string, Int32Array>();
const CACHE_ENTRIES = 32;

/** groupTable, computed once per geometry (the result is shared: never write to it). */
export function cachedGroupTable(v: WinogradVariant, g: TileGeometry, groups: number, batch: TileBatch = ONE_IMAGE): Int32Array {
  const key = `${v.name},${g.H},${g.W},${g.OH},${g.OW},${g.padTop},${g.padLeft},${groups},${batch.count},${batch.inStride},${batch.outStride}`;
  let t = cache.get(key);
  if (t === undefined) {
    if (cache.size >= CACHE_ENTRIES) cache.clear();
    t = groupTable(v, g, groups, batch);
    cache.set(key, t);
  }
  return t;
}

/** Group records for tiles [0, 4·groups) of one image or of a batch; tiles past the last one are all padding. */
export function groupTable(v: WinogradVariant, g: TileGeometry, groups: number, batch: TileBatch = ONE_IMAGE): Int32Array {
  const L = groupLayout(v);
  const { m, a } = v;
  const fields = L.bytes / 4;
  const t = new Int32Array(groups * fields);
  const TW = tileCols(g, m);
  const perImage = tileCount(g, m);
  const nTiles = perImage * batch.count;
  const allBits = 2 ** (m * m) - 1;
  for (let q = 0; q < groups; q++) {
    const rec = q * fields;
    let sameRow = true;
    let allIn = true;
    let allOut = true;
    for (let l = 0; l < 4; l++) {
      const T = 4 * q + l;
      const valid = T < nTiles;
      const image = Math.floor(T / perImage);
      const tile = T - image * perImage;
      const ty = Math.floor(tile / TW);
      const tx = tile - ty * TW;
      const first = 4 * q - Math.floor((4 * q) / perImage) * perImage;
      if (!valid || image !== Math.floor((4 * q) / perImage) || ty !== Math.floor(first / TW)) sameRow = false;
      const inBase = image * batch.inStride;
      const outBase = image * batch.outStride;
      const iy0 = m * ty - g.padTop;
      const ix0 = m * tx - g.padLeft;
      for (let r = 0; r < a; r++) {
        for (let c = 0; c < a; c++) {
          const inside = valid && iy0 + r >= 0 && iy0 + r < g.H && ix0 + c >= 0 && ix0 + c < g.W;
          if (!inside) allIn = false;
          t[rec + L.inOffset / 4 + (r * a + c) * 4 + l] = inside ? inBase + ((iy0 + r) * g.W + ix0 + c) * 4 : 0;
          t[rec + L.inMask / 4 + (r * a + c) * 4 + l] = inside ? -1 : 0;
        }
      }
      let bits = 0;
      for (let i = 0; i < m; i++) for (let k = 0; k < m; k++) if (valid && m * ty + i < g.OH && m * tx + k < g.OW) bits |= 1 << (m * i + k);
      if (bits !== allBits) allOut = false;
      t[rec + L.outOffset / 4 + l] = valid ? outBase + (m * ty * g.OW + m * tx) * 4 : 0;
      t[rec + L.winOffset / 4 + l] = valid ? inBase + (iy0 * g.W + ix0) * 4 : 0;
      t[rec + L.outBits / 4 + l] = bits;
    }
    const sideBySide = v.name === 'F2' ? sameRow : true;
    t[rec + L.fastIn / 4] = sideBySide && allIn ? 1 : 0;
    t[rec + L.fastOut / 4] = sideBySide && allOut ? 1 : 0;
  }
  return t;
}
