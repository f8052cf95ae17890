// NCHW <-> NHWC copies for the peers that work channels-last (tfjs), and OIHW -> HWIO conv filters.

/** Copies between NCHW and NHWC order; `toLast` moves the channel axis last. `dims` are NCHW. */
function moveChannels(data: Float32Array, dims: readonly number[], toLast: boolean): Float32Array {
  if (dims.length <= 2) return data;
  const [n, c] = dims;
  const s = dims.slice(2).reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.length);
  for (let i = 0; i < n; i++) {
    const base = i * c * s;
    for (let k = 0; k < c; k++) {
      for (let j = 0; j < s; j++) {
        const first = base + k * s + j;
        const last = base + j * c + k;
        if (toLast) out[last] = data[first];
        else out[first] = data[last];
      }
    }
  }
  return out;
}

/** [N, C, S...] -> [N, S..., C]; rank 2 is returned as is. */
export function nchwToNhwc(data: Float32Array, dims: readonly number[]): Float32Array {
  return moveChannels(data, dims, true);
}

/** [N, S..., C] -> [N, C, S...], where `dims` are the NCHW dims. */
export function nhwcToNchw(data: Float32Array, dims: readonly number[]): Float32Array {
  return moveChannels(data, dims, false);
}

/** NCHW dims -> NHWC dims. */
export function nhwcDims(dims: readonly number[]): number[] {
  return dims.length <= 2 ? [...dims] : [dims[0], ...dims.slice(2), dims[1]];
}

/** Conv weights [O, I, KH, KW] -> [KH, KW, I, O] (tfjs conv2d filters). */
export function oihwToHwio(data: Float32Array, dims: readonly number[]): Float32Array {
  const [o, i, kh, kw] = dims;
  const out = new Float32Array(data.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let h = 0; h < kh; h++) for (let w = 0; w < kw; w++) out[((h * kw + w) * i + b) * o + a] = data[((a * i + b) * kh + h) * kw + w];
  return out;
}
