// Independent float64 oracles for the Keras layers (Dense, Conv2D, pooling, Flatten, activations, Add),
// written as plain loops over Keras layouts (NHWC kernels [kh, kw, in/groups, filters], TF 'same'
// padding) with no kiln code, so the layers' lowering to ONNX ops is checked against Keras semantics.

/** A float64 tensor in row-major order. */
export interface T64 {
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

export type Act = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';
export type Format = 'channels_last' | 'channels_first';

function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function t64(dims: readonly number[], data?: ArrayLike<number>): T64 {
  return { dims: [...dims], data: data === undefined ? new Float64Array(size(dims)) : Float64Array.from(data) };
}

/** keras activations: elementwise, and softmax over the last axis (shifted by the row max). */
export function activate(x: T64, act: Act): T64 {
  const d = x.data;
  switch (act) {
    case 'linear': return t64(x.dims, d);
    case 'relu': return t64(x.dims, d.map((v) => (v > 0 ? v : 0)));
    case 'sigmoid': return t64(x.dims, d.map((v) => 1 / (1 + Math.exp(-v))));
    case 'tanh': return t64(x.dims, d.map((v) => Math.tanh(v)));
    case 'softmax': {
      const last = x.dims[x.dims.length - 1];
      const out = new Float64Array(d.length);
      for (let r = 0; r < d.length / last; r++) {
        let max = -Infinity;
        for (let j = 0; j < last; j++) max = Math.max(max, d[r * last + j]);
        let sum = 0;
        for (let j = 0; j < last; j++) sum += Math.exp(d[r * last + j] - max);
        for (let j = 0; j < last; j++) out[r * last + j] = Math.exp(d[r * last + j] - max) / sum;
      }
      return t64(x.dims, out);
    }
  }
}

/** Dense: y[..., u] = Σ_k x[..., k]·kernel[k, u] + bias[u], then the activation. */
export function denseOracle(x: T64, kernel: T64, bias: T64 | undefined, act: Act): T64 {
  const [inDim, units] = kernel.dims;
  const rows = x.data.length / inDim;
  const y = t64([...x.dims.slice(0, -1), units]);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      let s = bias === undefined ? 0 : bias.data[u];
      for (let k = 0; k < inDim; k++) s += x.data[r * inDim + k] * kernel.data[k * units + u];
      y.data[r * units + u] = s;
    }
  }
  return activate(y, act);
}

/** NCHW → NHWC. */
export function toLast(x: T64): T64 {
  const [n, c, h, w] = x.dims;
  const y = t64([n, h, w, c]);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    y.data[((b * h + i) * w + j) * c + ch] = x.data[((b * c + ch) * h + i) * w + j];
  }
  return y;
}

/** NHWC → NCHW. */
export function toFirst(x: T64): T64 {
  const [n, h, w, c] = x.dims;
  const y = t64([n, c, h, w]);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    y.data[((b * c + ch) * h + i) * w + j] = x.data[((b * h + i) * w + j) * c + ch];
  }
  return y;
}

/**
 * TensorFlow's documented 'SAME' rule (tf.nn.convolution): out = ceil(in/s), total padding
 * max((out − 1)·s + effK − in, 0), pad_before = floor(total/2). 'valid': no padding.
 */
function geometry(inSize: number, k: number, s: number, d: number, padding: 'valid' | 'same'): { out: number; before: number } {
  const effK = (k - 1) * d + 1;
  if (padding === 'valid') return { out: Math.floor((inSize - effK) / s) + 1, before: 0 };
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + effK - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

export interface ConvCase {
  readonly strides?: readonly [number, number];
  readonly dilation?: readonly [number, number];
  readonly padding: 'valid' | 'same';
  readonly groups?: number;
  readonly format?: Format;
  readonly act?: Act;
}

/** Conv2D over an NHWC (or NCHW) input with a Keras [kh, kw, in/groups, filters] kernel. */
export function conv2dOracle(input: T64, kernel: T64, bias: T64 | undefined, o: ConvCase): T64 {
  const format = o.format ?? 'channels_last';
  const x = format === 'channels_first' ? toLast(input) : input;
  const [n, h, w, c] = x.dims;
  const [kh, kw, cg, f] = kernel.dims;
  const [sh, sw] = o.strides ?? [1, 1];
  const [dh, dw] = o.dilation ?? [1, 1];
  const groups = o.groups ?? 1;
  const fg = f / groups;
  const gh = geometry(h, kh, sh, dh, o.padding);
  const gw = geometry(w, kw, sw, dw, o.padding);
  const y = t64([n, gh.out, gw.out, f]);
  for (let b = 0; b < n; b++) for (let oi = 0; oi < gh.out; oi++) for (let oj = 0; oj < gw.out; oj++) for (let m = 0; m < f; m++) {
    const g = Math.floor(m / fg);
    let s = bias === undefined ? 0 : bias.data[m];
    for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) {
      const i = oi * sh - gh.before + a * dh;
      const j = oj * sw - gw.before + e * dw;
      if (i < 0 || i >= h || j < 0 || j >= w) continue;
      for (let q = 0; q < cg; q++) {
        s += x.data[((b * h + i) * w + j) * c + g * cg + q] * kernel.data[((a * kw + e) * cg + q) * f + m];
      }
    }
    y.data[((b * gh.out + oi) * gw.out + oj) * f + m] = s;
  }
  // Keras applies the activation on the layer's output layout (softmax: over its last axis).
  const out = format === 'channels_first' ? toFirst(y) : y;
  return activate(out, o.act ?? 'linear');
}

export interface PoolCase {
  readonly pool: readonly [number, number];
  readonly strides?: readonly [number, number];
  readonly padding: 'valid' | 'same';
  readonly format?: Format;
}

/** Max / average pooling; 'same' padding never enters a max and is not counted in an average (TF). */
export function pool2dOracle(input: T64, fn: 'max' | 'avg', o: PoolCase): T64 {
  const format = o.format ?? 'channels_last';
  const x = format === 'channels_first' ? toLast(input) : input;
  const [n, h, w, c] = x.dims;
  const [ph, pw] = o.pool;
  const [sh, sw] = o.strides ?? o.pool;
  const gh = geometry(h, ph, sh, 1, o.padding);
  const gw = geometry(w, pw, sw, 1, o.padding);
  const y = t64([n, gh.out, gw.out, c]);
  for (let b = 0; b < n; b++) for (let oi = 0; oi < gh.out; oi++) for (let oj = 0; oj < gw.out; oj++) for (let ch = 0; ch < c; ch++) {
    let acc = fn === 'max' ? -Infinity : 0;
    let count = 0;
    for (let a = 0; a < ph; a++) for (let e = 0; e < pw; e++) {
      const i = oi * sh - gh.before + a;
      const j = oj * sw - gw.before + e;
      if (i < 0 || i >= h || j < 0 || j >= w) continue;
      const v = x.data[((b * h + i) * w + j) * c + ch];
      acc = fn === 'max' ? Math.max(acc, v) : acc + v;
      count++;
    }
    y.data[((b * gh.out + oi) * gw.out + oj) * c + ch] = fn === 'max' ? acc : acc / count;
  }
  return format === 'channels_first' ? toFirst(y) : y;
}

/** Mean over the two spatial axes; keepdims keeps them as size 1 in the input's layout. */
export function globalAvgOracle(input: T64, format: Format, keepdims: boolean): T64 {
  const x = format === 'channels_first' ? toLast(input) : input;
  const [n, h, w, c] = x.dims;
  const y = t64([n, c]);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < h * w; i++) s += x.data[(b * h * w + i) * c + ch];
    y.data[b * c + ch] = s / (h * w);
  }
  if (!keepdims) return y;
  return t64(format === 'channels_last' ? [n, 1, 1, c] : [n, c, 1, 1], y.data);
}

/** Keras Flatten: channels_first moves axis 1 last before flattening. */
export function flattenOracle(x: T64, format: Format): T64 {
  const n = x.dims[0];
  const rest = x.data.length / n;
  if (format === 'channels_last' || x.dims.length <= 2) return t64([n, rest], x.data);
  const c = x.dims[1];
  const inner = rest / c;
  const y = t64([n, rest]);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < inner; i++) {
    y.data[b * rest + i * c + ch] = x.data[b * rest + ch * inner + i];
  }
  return y;
}

/** Keras BatchNormalization inference on channel axis `axis`: (x − mean)/√(var + ε)·γ + β. */
export function bnInferenceOracle(x: T64, axis: number, epsilon: number, w: { gamma: T64; beta: T64; mean: T64; variance: T64 }): T64 {
  const rank = x.dims.length;
  const ax = axis < 0 ? axis + rank : axis;
  const c = x.dims[ax];
  const inner = size(x.dims.slice(ax + 1));
  return t64(x.dims, x.data.map((v, i) => {
    const ch = Math.floor(i / inner) % c;
    return ((v - w.mean.data[ch]) / Math.sqrt(w.variance.data[ch] + epsilon)) * w.gamma.data[ch] + w.beta.data[ch];
  }));
}

/** Per-channel batch mean over every axis but `axis`. */
export function channelMeans(x: T64, axis: number): Float64Array {
  const rank = x.dims.length;
  const ax = axis < 0 ? axis + rank : axis;
  const c = x.dims[ax];
  const inner = size(x.dims.slice(ax + 1));
  const sum = new Float64Array(c);
  x.data.forEach((v, i) => (sum[Math.floor(i / inner) % c] += v));
  return sum.map((s) => (s * c) / x.data.length);
}

/** Elementwise sum with size-1 broadcasting between same-rank shapes. */
export function addOracle(xs: readonly T64[]): T64 {
  const rank = xs[0].dims.length;
  const dims = Array.from({ length: rank }, (_, a) => Math.max(...xs.map((x) => x.dims[a])));
  const y = t64(dims);
  for (let i = 0; i < y.data.length; i++) {
    let rem = i;
    const idx = new Array<number>(rank);
    for (let a = rank - 1; a >= 0; a--) {
      idx[a] = rem % dims[a];
      rem = Math.floor(rem / dims[a]);
    }
    let s = 0;
    for (const x of xs) {
      let off = 0;
      for (let a = 0; a < rank; a++) off = off * x.dims[a] + (x.dims[a] === 1 ? 0 : idx[a]);
      s += x.data[off];
    }
    y.data[i] = s;
  }
  return y;
}
