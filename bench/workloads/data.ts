// Deterministic benchmark data: fast fills for large inputs (a 32-bit LCG, so 51M elements take
// ~0.1 s rather than seconds of Box-Muller) and seeded parameter tensors from core/rng.

import { Rng } from '../../core/rng.js';
import { hostTensor, type HostTensor } from '../../core/tensor.js';

/**
 * Values in [-1, 1) plus a per-channel offset (channel axis 1), so batch statistics differ per channel
 * as in real activations. `seed` picks the stream.
 */
export function fillInput(dims: readonly number[], seed: number): HostTensor<'float32'> {
  const t = hostTensor('float32', dims);
  const data = t.data;
  const c = dims.length > 1 ? dims[1] : 1;
  const inner = dims.slice(2).reduce((a, b) => a * b, 1);
  let state = Math.imul(seed, 2654435761) >>> 0;
  let i = 0;
  for (let block = 0; i < data.length; block++) {
    const offset = 0.25 * (((block % c) % 7) - 3);
    for (let j = 0; j < inner; j++, i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[i] = state / 2147483648 - 1 + offset;
    }
  }
  return t;
}

/** [n] values uniform in [lo, hi), from a seeded Rng. */
export function uniformVector(rng: Rng, n: number, lo: number, hi: number): HostTensor<'float32'> {
  const t = hostTensor('float32', [n]);
  for (let i = 0; i < n; i++) t.data[i] = lo + (hi - lo) * rng.uniform();
  return t;
}

/** A tensor of normals with standard deviation `std` (He initialization: std = √(2 / fan_in)). */
export function normalTensor(rng: Rng, dims: readonly number[], std: number): HostTensor<'float32'> {
  const t = hostTensor('float32', dims);
  for (let i = 0; i < t.data.length; i++) t.data[i] = std * rng.normal();
  return t;
}

/**
 * BatchNormalization parameters with distinct values per role (DESIGN.md §7: onnxruntime's training-mode
 * BatchNormalization goes wrong when scale/bias share a buffer with mean/var).
 */
export function bnParams(rng: Rng, c: number): { scale: HostTensor<'float32'>; B: HostTensor<'float32'>; mean: HostTensor<'float32'>; var: HostTensor<'float32'> } {
  return {
    scale: uniformVector(rng, c, 0.5, 1.5),
    B: uniformVector(rng, c, -0.2, 0.2),
    mean: uniformVector(rng, c, -0.1, 0.1),
    var: uniformVector(rng, c, 0.5, 1.5),
  };
}
