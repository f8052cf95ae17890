// foldBatchNormIntoProducer: P(x, W, B) -> BatchNormalization [inference]  =>  P(x, W', B')
// for P = Conv (grouped and depthwise too), ConvTranspose, Gemm, and rank-2 MatMul (which becomes a
// Gemm carrying the folded bias as C), with W' = W·a per output channel and B' = (B − mean)·a + β
// (algebra/producer-weights.ts). The folded node keeps P's name and takes the BN output's name.
// Guards (explicit early returns, reported through onSkip): P's output has other users (they need the
// unnormalized value); training_mode = 1; non-constant BN parameters, W, B or C; the BN channel axis 1
// is not P's output channel (MatMul with an output of rank ≠ 2: axis 1 is then a row axis).

import { F64Tensor, fromFloat64, toFloat64 } from '../../core/tensor.js';
import type { AnyNode, Graph, Value } from '../ir/types.js';
import { batchNormFactor, BatchNormConstants, readBatchNorm } from './algebra/batch-norm.js';
import { FoldedWeights, foldIntoConv, foldIntoConvTranspose, foldIntoGemm } from './algebra/producer-weights.js';
import { PassOptions, RewriteContext, rewriteGraph } from './rewrite.js';

const PASS = 'foldBatchNormIntoProducer';
const PRODUCERS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export function foldBatchNormIntoProducer(g: Graph, options: PassOptions = {}): Graph {
  // BatchNormalization nodes whose producer took them over: they become the folded producer's output.
  const absorbed = new Set<AnyNode>();
  return rewriteGraph(g, (n, ctx) => {
    if (absorbed.has(n)) return [ctx.input(n, 0)];
    if (!PRODUCERS.has(n.op)) return undefined;
    const out = n.outputs[0];
    const bns = ctx.users(out).filter((u) => u.node.op === 'BatchNormalization' && u.index === 0);
    if (bns.length === 0) return undefined;
    const skip = (reason: string): undefined => {
      for (const u of bns) options.onSkip?.({ pass: PASS, node: u.node.name, reason });
      return undefined;
    };
    if (ctx.uses(out) !== 1) return skip(`${n.op} '${n.name}' output has ${ctx.uses(out)} uses; the others need it unnormalized`);
    const bn = bns[0].node;
    const m = readBatchNorm(bn, ctx.constant);
    if (!m.ok) return skip(m.reason);
    const folded = foldNode(n, bn, m.params, ctx);
    if (typeof folded === 'string') return skip(folded);
    absorbed.add(bn);
    return folded;
  });
}

function constantF64(ctx: RewriteContext, v: Value | undefined): F64Tensor | undefined {
  const t = ctx.constant(v);
  return t === undefined ? undefined : toFloat64(t);
}

/** The folded producer's outputs, or the reason it cannot fold. */
function foldNode(n: AnyNode, bn: AnyNode, p: BatchNormConstants, ctx: RewriteContext): Value[] | string {
  const a = batchNormFactor(p);
  const [x, w] = ctx.inputs(n);
  const wData = constantF64(ctx, n.inputs[1]);
  if (wData === undefined || w === undefined || x === undefined) return `${n.op} '${n.name}' weight is not a constant`;
  const bData = constantF64(ctx, n.inputs[2]);
  if (n.inputs[2] !== undefined && bData === undefined) return `${n.op} '${n.name}' bias is not a constant`;
  const dtype = w.type.dtype;
  const round = (name: string, t: F64Tensor): Value =>
    ctx.initializer(ctx.freshName(`${n.name}_${name}_folded`), fromFloat64(dtype, t.dims, t.data));
  const emit = (f: FoldedWeights): [Value, Value] => [round('weight', f.weight), round('bias', f.bias)];
  const names = { name: n.name, outputs: [bn.outputs[0].name] };
  switch (n.op) {
    case 'Conv': {
      const [wf, bf] = emit(foldIntoConv(wData, bData, p, a));
      return ctx.node('Conv', [x, wf, bf], n.attrs, names);
    }
    case 'ConvTranspose': {
      const [wf, bf] = emit(foldIntoConvTranspose(wData, bData, n.attrs.group, p, a));
      return ctx.node('ConvTranspose', [x, wf, bf], n.attrs, names);
    }
    case 'Gemm': {
      const [wf, cf] = emit(foldIntoGemm(wData, bData, n.attrs, p, a));
      return ctx.node('Gemm', [x, wf, cf], { ...n.attrs, beta: 1 }, names);
    }
    case 'MatMul': {
      // numpy.matmul's output has rank 2 only when A and B do; then axis 1 is N, B's columns.
      if (x.type.shape.length !== 2 || w.type.shape.length !== 2) {
        return `MatMul '${n.name}' output has rank ${n.outputs[0].type.shape.length}: BN channel axis 1 is not its output channel (last axis)`;
      }
      const [wf, cf] = emit(foldIntoGemm(wData, undefined, { alpha: 1, beta: 1, transB: 0 }, p, a));
      return ctx.node('Gemm', [x, wf, cf], { alpha: 1, beta: 1, transA: 0, transB: 0 }, names);
    }
    default:
      return `${n.op} is not a foldable producer`;
  }
}
