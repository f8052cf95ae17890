// Batched matrix product out[...b, M, N] = op(A)[...b, M, K] · op(B)[...b, K, N] with numpy batch
// broadcasting. Loop order i-k-j over contiguous rows of B (four at a time), accumulated in a float64
// row so float32 inputs lose nothing to partial sums; transB uses contiguous dot products instead.
// Each finished row is stored through the call's fused epilogue when it has one.

import { sizeOf } from '../../../core/shape.js';
import { outputStore } from './epilogue.js';
import type { RoutineImpl } from './types.js';

/**
 * For each batch position of `outBatch`, the matrix index into an operand with batch dims `dims`
 * (numpy broadcasting). Shared with the wasm matmul.
 */
export function batchMatrixIndex(outBatch: readonly number[], dims: readonly number[]): Int32Array {
  const n = sizeOf(outBatch);
  const idx = new Int32Array(n);
  const off = outBatch.length - dims.length;
  // Row-major strides of the operand's batch dims, 0 on broadcast (size-1) axes.
  const strides = new Array<number>(outBatch.length).fill(0);
  let acc = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    strides[d + off] = dims[d] === 1 ? 0 : acc;
    acc *= dims[d];
  }
  const pos = new Array<number>(outBatch.length).fill(0);
  let cur = 0;
  for (let p = 0; p < n; p++) {
    idx[p] = cur;
    for (let d = outBatch.length - 1; d >= 0; d--) {
      pos[d]++;
      cur += strides[d];
      if (pos[d] < outBatch[d]) break;
      cur -= strides[d] * outBatch[d];
      pos[d] = 0;
    }
  }
  return idx;
}

export const matmul: RoutineImpl<'matmul'> = (call, inputs, outputs) => {
  const [a, b] = inputs;
  const store = outputStore(call, inputs, outputs[0]);
  const { aDims, bDims, transA, transB, outDims } = call;
  const r = outDims.length;
  const m = outDims[r - 2];
  const n = outDims[r - 1];
  const k = transA ? aDims[aDims.length - 2] : aDims[aDims.length - 1];
  const outBatch = outDims.slice(0, r - 2);
  const aIdx = batchMatrixIndex(outBatch, aDims.slice(0, -2));
  const bIdx = batchMatrixIndex(outBatch, bDims.slice(0, -2));
  const row = new Float64Array(transB ? k : n);
  // The finished output row, stored (through the epilogue, if any) once complete.
  const yRowAcc = transB ? new Float64Array(n) : row;
  for (let p = 0; p < aIdx.length; p++) {
    const aOff = aIdx[p] * m * k;
    const bOff = bIdx[p] * k * n;
    const oOff = p * m * n;
    for (let i = 0; i < m; i++) {
      const yRow = oOff + i * n;
      const y = yRowAcc;
      if (transB) {
        // B is [N, K]: Y[i, j] = A[i, :] · B[j, :], both contiguous once A's row is gathered.
        for (let q = 0; q < k; q++) row[q] = transA ? a[aOff + q * m + i] : a[aOff + i * k + q];
        let j = 0;
        // Four rows of B per pass share each load of A's row.
        for (; j + 4 <= n; j += 4) {
          const b0 = bOff + j * k;
          const b1 = b0 + k;
          const b2 = b1 + k;
          const b3 = b2 + k;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let q = 0; q < k; q++) {
            const av = row[q];
            s0 += av * b[b0 + q];
            s1 += av * b[b1 + q];
            s2 += av * b[b2 + q];
            s3 += av * b[b3 + q];
          }
          y[j] = s0;
          y[j + 1] = s1;
          y[j + 2] = s2;
          y[j + 3] = s3;
        }
        for (; j < n; j++) {
          const bRow = bOff + j * k;
          let s = 0;
          for (let q = 0; q < k; q++) s += row[q] * b[bRow + q];
          y[j] = s;
        }
      } else {
        row.fill(0);
        const aAt = (q: number): number => (transA ? a[aOff + q * m + i] : a[aOff + i * k + q]);
        let q = 0;
        // Four rows of B per pass: a quarter of the loads and stores of the accumulator row.
        for (; q + 4 <= k; q += 4) {
          const a0 = aAt(q);
          const a1 = aAt(q + 1);
          const a2 = aAt(q + 2);
          const a3 = aAt(q + 3);
          const b0 = bOff + q * n;
          const b1 = b0 + n;
          const b2 = b1 + n;
          const b3 = b2 + n;
          for (let j = 0; j < n; j++) row[j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
        }
        for (; q < k; q++) {
          const av = aAt(q);
          const bRow = bOff + q * n;
          for (let j = 0; j < n; j++) row[j] += av * b[bRow + j];
        }
      }
      store(y, 0, yRow, n);
    }
  }
};
