// Independent float64 oracle for ONNX BatchNormalization (channel axis 1), written from the spec text:
// inference y = (x − mean)/√(var + ε)·scale + B; training normalizes with the batch mean and population
// variance and returns running = input·momentum + batch·(1 − momentum). `perActivation` is opset 7's
// spatial=0: parameters of shape [C, D1..Dn] index every (channel, position) instead of the channel.

export interface OnnxBnCase {
  readonly x: ArrayLike<number>;
  readonly dims: readonly number[];
  readonly scale: ArrayLike<number>;
  readonly bias: ArrayLike<number>;
  readonly mean: ArrayLike<number>;
  readonly variance: ArrayLike<number>;
  readonly epsilon: number;
  readonly momentum: number;
  readonly training: boolean;
  readonly perActivation?: boolean;
}

export interface OnnxBnResult {
  readonly y: Float64Array;
  readonly runningMean: Float64Array;
  readonly runningVar: Float64Array;
  readonly batchMean: Float64Array;
  readonly batchVar: Float64Array;
}

export function onnxBatchNorm(k: OnnxBnCase): OnnxBnResult {
  const [n, c] = k.dims;
  const inner = k.dims.slice(2).reduce((p, d) => p * d, 1);
  const at = (b: number, ch: number, i: number): number => (b * c + ch) * inner + i;
  const param = (p: ArrayLike<number>, ch: number, i: number): number => (k.perActivation ? p[ch * inner + i] : p[ch]);
  const batchMean = new Float64Array(c);
  const batchVar = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) s += k.x[at(b, ch, i)];
    const m = s / (n * inner);
    let q = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) q += (k.x[at(b, ch, i)] - m) ** 2;
    batchMean[ch] = m;
    batchVar[ch] = q / (n * inner);
  }
  const y = new Float64Array(n * c * inner);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < inner; i++) {
        const m = k.training ? batchMean[ch] : param(k.mean, ch, i);
        const v = k.training ? batchVar[ch] : param(k.variance, ch, i);
        y[at(b, ch, i)] = ((k.x[at(b, ch, i)] - m) / Math.sqrt(v + k.epsilon)) * param(k.scale, ch, i) + param(k.bias, ch, i);
      }
    }
  }
  const runningMean = Float64Array.from({ length: c }, (_, ch) => k.mean[ch] * k.momentum + batchMean[ch] * (1 - k.momentum));
  const runningVar = Float64Array.from({ length: c }, (_, ch) => k.variance[ch] * k.momentum + batchVar[ch] * (1 - k.momentum));
  return { y, runningMean, runningVar, batchMean, batchVar };
}
