// The per-channel outputs a training-form BatchNormalization takes from its batch statistics (the
// moments routine's `batchNorm` option, ops/kernel-ir.ts), shared by the CPU and wasm routines so both
// compute them with the same float64 operations: the normalize factor a = scale/√(var + ε) and the
// running statistics running·momentum + batch·(1 − momentum) (ONNX BatchNormalization-15).

/** What the routine reads and writes per channel (any float arrays; outputs round on assignment). */
export interface BatchNormChannels {
  readonly mean: ArrayLike<number>;
  readonly variance: ArrayLike<number>;
  readonly scale: ArrayLike<number>;
  readonly a: { [c: number]: number };
  /** Running mean and variance in, and their new values out; absent when the node returns y only. */
  readonly running?: {
    readonly mean: ArrayLike<number>;
    readonly variance: ArrayLike<number>;
    readonly meanOut: { [c: number]: number };
    readonly varianceOut: { [c: number]: number };
  };
}

export function writeBatchNormChannels(k: number, epsilon: number, momentum: number, io: BatchNormChannels): void {
  const { mean, variance, scale, a, running } = io;
  for (let c = 0; c < k; c++) a[c] = scale[c] / Math.sqrt(variance[c] + epsilon);
  if (running === undefined) return;
  const keep = 1 - momentum;
  const { mean: runMean, variance: runVar, meanOut, varianceOut } = running;
  for (let c = 0; c < k; c++) meanOut[c] = runMean[c] * momentum + mean[c] * keep;
  for (let c = 0; c < k; c++) varianceOut[c] = runVar[c] * momentum + variance[c] * keep;
}
