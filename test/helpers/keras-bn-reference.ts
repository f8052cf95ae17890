// Independent float64 oracle for Keras 3 BatchNormalization (batch_normalization.py call/_moments and
// keras ops.batch_normalization), written with plain loops and no kiln code beyond shape arithmetic.

export interface KerasBnCase {
  readonly x: Float64Array;
  readonly dims: readonly number[];
  readonly axis: number;
  readonly epsilon: number;
  readonly momentum: number;
  readonly gamma: Float64Array | undefined;
  readonly beta: Float64Array | undefined;
  readonly movingMean: Float64Array;
  readonly movingVariance: Float64Array;
  readonly training: boolean;
  /** Shape dims[0..rank-2]; non-zero entries count (Keras casts masks to bool). */
  readonly mask?: Float64Array;
}

export interface KerasBnResult {
  readonly y: Float64Array;
  readonly movingMean: Float64Array;
  readonly movingVariance: Float64Array;
  readonly batchMean: Float64Array;
  readonly batchVariance: Float64Array;
}

export function kerasBatchNorm(k: KerasBnCase): KerasBnResult {
  const rank = k.dims.length;
  const axis = k.axis < 0 ? k.axis + rank : k.axis;
  const c = k.dims[axis];
  let inner = 1;
  for (let d = axis + 1; d < rank; d++) inner *= k.dims[d];
  const lastDim = k.dims[rank - 1];
  const channel = (i: number): number => Math.floor(i / inner) % c;
  // Keras expands the mask on the last axis: element i belongs to mask entry floor(i / lastDim).
  const weight = (i: number): number => (k.mask === undefined ? 1 : k.mask[Math.floor(i / lastDim)] !== 0 ? 1 : 0);
  const n = k.x.length;
  const count = new Float64Array(c);
  const sum = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    count[channel(i)] += weight(i);
    sum[channel(i)] += weight(i) * k.x[i];
  }
  const eps = k.mask === undefined ? 0 : 1e-7; // keras backend.epsilon() in _moments with a mask
  const batchMean = sum.map((s, ch) => s / (count[ch] + eps));
  const sq = new Float64Array(c);
  for (let i = 0; i < n; i++) sq[channel(i)] += weight(i) * (k.x[i] - batchMean[channel(i)]) ** 2;
  const batchVariance = sq.map((s, ch) => s / (count[ch] + eps));
  const mean = k.training ? batchMean : k.movingMean;
  const variance = k.training ? batchVariance : k.movingVariance;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ch = channel(i);
    const g = k.gamma ? k.gamma[ch] : 1;
    const b = k.beta ? k.beta[ch] : 0;
    y[i] = ((k.x[i] - mean[ch]) / Math.sqrt(variance[ch] + k.epsilon)) * g + b;
  }
  const m = k.momentum;
  return {
    y,
    batchMean,
    batchVariance,
    movingMean: k.training ? k.movingMean.map((v, ch) => v * m + batchMean[ch] * (1 - m)) : k.movingMean,
    movingVariance: k.training ? k.movingVariance.map((v, ch) => v * m + batchVariance[ch] * (1 - m)) : k.movingVariance,
  };
}
