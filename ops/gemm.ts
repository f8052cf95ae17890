// ONNX Gemm (opset 13; https://onnx.ai/onnx/operators/onnx__Gemm.html): Y = alpha·A'·B' + beta·C with
// A' = transA ? Aᵀ : A ([M, K]), B' = transB ? Bᵀ : B ([K, N]); C is optional and unidirectionally
// broadcastable to [M, N]. Lowered to the matmul routine plus an elementwise epilogue.

import { ArgumentError, describeShape, ErrorSite, ShapeError } from '../core/errors.js';
import type { Dim } from '../core/shape.js';
import type { TensorType } from '../compiler/ir/types.js';
import { checkFinite, dimsCompatible, expectDType, expectRank, expectSameDType, requireInput } from './check.js';
import { broadcastIndex, f64 } from './f64.js';
import { E, ScalarExpr } from './kernel-ir.js';
import { MATMUL_TYPES } from './mat-mul.js';
import type { LValue, OpDef } from './op-def.js';

export interface GemmAttrs {
  /** Scalar multiplier of A'·B'; ONNX default 1. */
  readonly alpha: number;
  /** Scalar multiplier of C; ONNX default 1. */
  readonly beta: number;
  /** 1: use Aᵀ; ONNX default 0. */
  readonly transA: number;
  /** 1: use Bᵀ; ONNX default 0. */
  readonly transB: number;
}

function checkFlag(site: ErrorSite, name: string, v: number): void {
  if (v !== 0 && v !== 1) throw new ArgumentError(site, name, '0 or 1', String(v));
}

export const Gemm: OpDef<'Gemm'> = {
  type: 'Gemm',
  domain: '',
  version: 13,
  inputs: [{ name: 'A' }, { name: 'B' }, { name: 'C', optional: true }],
  outputs: [{ name: 'Y' }],
  attrs: {
    alpha: { kind: 'float', default: 1 },
    beta: { kind: 'float', default: 1 },
    transA: { kind: 'int', default: 0 },
    transB: { kind: 'int', default: 0 },
  },

  inferShape(ctx) {
    const { site, attrs } = ctx;
    checkFlag(site, 'transA', attrs.transA);
    checkFlag(site, 'transB', attrs.transB);
    checkFinite(site, 'alpha', attrs.alpha);
    checkFinite(site, 'beta', attrs.beta);
    const a = requireInput(ctx, 0, 'A');
    const b = requireInput(ctx, 1, 'B');
    expectDType(site, 'A', a, MATMUL_TYPES);
    expectSameDType(site, 'B', b, a, 'A');
    expectRank(site, 'A', a, 2, 2);
    expectRank(site, 'B', b, 2, 2);
    const [m, k] = attrs.transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [kb, n] = attrs.transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (!dimsCompatible(k, kb)) {
      const want = attrs.transB ? describeShape([n, k]) : describeShape([k, n]);
      throw new ShapeError(site, 'B', `${want} (K = ${k} from A ${describeShape(a.shape)}, transA=${attrs.transA}, transB=${attrs.transB})`, describeShape(b.shape));
    }
    const c = ctx.inputs[2];
    if (c !== undefined) checkC(site, c, a, m, n);
    return [{ dtype: a.dtype, shape: [m, n] }];
  },

  reference({ attrs, inputs, outputTypes }) {
    const a = inputs[0]!;
    const b = inputs[1]!;
    const c = inputs[2];
    const [m, n] = outputTypes[0].dims;
    const k = attrs.transA ? a.dims[0] : a.dims[1];
    const aAt = (i: number, q: number): number => (attrs.transA ? a.data[q * m + i] : a.data[i * k + q]);
    const bAt = (q: number, j: number): number => (attrs.transB ? b.data[j * k + q] : b.data[q * n + j]);
    const cIdx = c === undefined ? undefined : broadcastIndex([m, n], c.dims);
    const y = f64([m, n]);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += aAt(i, q) * bAt(q, j);
        y.data[i * n + j] = c === undefined || cIdx === undefined ? attrs.alpha * s : attrs.alpha * s + attrs.beta * c.data[cIdx[i * n + j]];
      }
    }
    return [y];
  },

  lower(ctx) {
    const { attrs } = ctx;
    const a = ctx.inputs[0]!;
    const b = ctx.inputs[1]!;
    const c = ctx.inputs[2];
    const out = ctx.outputTypes[0];
    const needsEpilogue = c !== undefined || attrs.alpha !== 1;
    // With an epilogue the product stays in float64 so that Y is rounded once.
    const [ab] = ctx.routine(
      { routine: 'matmul', aDims: a.dims, bDims: b.dims, transA: attrs.transA === 1, transB: attrs.transB === 1, outDims: out.dims },
      [a, b],
      [{ dtype: needsEpilogue ? 'float64' : out.dtype, dims: out.dims }],
    );
    if (!needsEpilogue) return [ab];
    const operands: LValue[] = [ab];
    let expr: ScalarExpr = attrs.alpha === 1 ? E.operand(0) : E.mul(E.const(attrs.alpha), E.operand(0));
    if (c !== undefined) {
      operands.push(c);
      expr = E.add(expr, E.mul(E.const(attrs.beta), E.operand(1)));
    }
    return [ctx.elementwise(operands, expr, out.dims, out.dtype)];
  },
};

/** C must broadcast to [M, N] one way (ONNX unidirectional broadcasting): rank <= 2, dims 1 or equal. */
function checkC(site: ErrorSite, c: TensorType, a: TensorType, m: Dim, n: Dim): void {
  expectSameDType(site, 'C', c, a, 'A');
  const target = [m, n];
  const off = 2 - c.shape.length;
  const ok = c.shape.length <= 2 && c.shape.every((d, i) => d === 1 || dimsCompatible(d, target[i + off]));
  if (!ok) throw new ShapeError(site, 'C', `unidirectionally broadcastable to [M,N] = ${describeShape(target)}`, describeShape(c.shape));
}
