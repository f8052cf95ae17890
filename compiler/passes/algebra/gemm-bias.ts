// Gemm's C operand as the BatchNormalization folds rewrite it: beta·C broadcast to one value per
// output column, shaped [N], or [M', N] when C has a leading dim M' (so it broadcasts as C did).

import type { F64Tensor } from '../../../core/tensor.js';
import { f64 } from '../../../ops/f64.js';

/**
 * The new C, taken with beta = 1: combine(beta·C[r, j], j) for each row r of C and output column j of
 * N; an absent C reads as 0. C may be a scalar, [N] or [1], or [M', N] / [M', 1].
 */
export function mapGemmBias(c: F64Tensor | undefined, beta: number, n: number, combine: (cv: number, j: number) => number): F64Tensor {
  const rows = c !== undefined && c.dims.length === 2 ? c.dims[0] : 1;
  const cCols = c === undefined || c.dims.length === 0 ? 1 : c.dims[c.dims.length - 1];
  const out = f64(c !== undefined && c.dims.length === 2 ? [rows, n] : [n]);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      const cv = c === undefined ? 0 : beta * c.data[r * cCols + (cCols === 1 ? 0 : j)];
      out.data[r * n + j] = combine(cv, j);
    }
  }
  return out;
}
