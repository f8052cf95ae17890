// foldBatchNormIntoConsumer: BatchNormalization [inference] -> Conv(·, W, B) | Gemm(·, B, C)
//   => Conv(x, W', B') | Gemm(x, B', C')   with W'[m,c,k] = W[m,c,k]·a_c and
//   B'_m = B_m + Σ_{c,k} W[m,c,k]·(β_c − mean_c·a_c)   (algebra/consumer-weights.ts; groups handled).
// Used for BatchNormalization nodes with no foldable producer (e.g. one normalizing a graph input).
// Guards (explicit early returns, reported through onSkip): the BN output has other users, or feeds
// the consumer's weight rather than its data input; training_mode = 1; non-constant BN parameters,
// W, B or C; Conv zero padding (pads ≠ 0, or SAME_* padding that is non-zero or unknown): the padded
// zeros are not normalized, so the border outputs would change; Gemm with transA = 1 (the BN channel
// axis is then an output row axis); an offset the folded bias cannot carry in the weight dtype
// (|mean·a| ≫ the normalized signal: see offsetRatio).

import { fromFloat64, F64Tensor, toFloat64 } from '../../core/tensor.js';
import type { OpAttrs } from '../../ops/op-attrs.js';
import { windowOf } from '../../ops/window.js';
import type { AnyNode, Graph, Node, Value } from '../ir/types.js';
import { batchNormFactor, offsetRatio, readBatchNorm, unitRoundoff } from './algebra/batch-norm.js';
import { consumerConvBias, consumerGemmBias, scaleConvInputs, scaleGemmInputs } from './algebra/consumer-weights.js';
import { PassOptions, RewriteContext, rewriteGraph } from './rewrite.js';

const PASS = 'foldBatchNormIntoConsumer';

/**
 * Relative error (of the consumer's output) a fold may add by rounding the offset it moves into the
 * bias: unit roundoff × offsetRatio must stay below this, i.e. |mean·a| ≤ ~170× the signal in float32.
 */
export const FOLD_ERROR_BUDGET = 1e-5;

/** A consumer's replacement, decided when its BatchNormalization was visited. */
type Pending =
  | { readonly op: 'Conv'; readonly attrs: OpAttrs['Conv']; readonly weight: F64Tensor; readonly bias: F64Tensor }
  | { readonly op: 'Gemm'; readonly attrs: OpAttrs['Gemm']; readonly weight: F64Tensor; readonly bias: F64Tensor };

export function foldBatchNormIntoConsumer(g: Graph, options: PassOptions = {}): Graph {
  const pending = new Map<AnyNode, Pending>();
  return rewriteGraph(g, (n, ctx) => {
    const p = pending.get(n);
    if (p !== undefined) return emit(n, p, ctx);
    if (n.op !== 'BatchNormalization') return undefined;
    const decided = planFold(n, ctx);
    if (decided === undefined) return undefined;
    if (typeof decided === 'string') {
      options.onSkip?.({ pass: PASS, node: n.name, reason: decided });
      return undefined;
    }
    pending.set(decided.consumer, decided.fold);
    // The consumer now reads the BN's input directly.
    return [ctx.input(n, 0)];
  });
}

/** The consumer and its folded weights; a reason when a guard stops it; undefined when no candidate. */
function planFold(bn: Node<'BatchNormalization'>, ctx: RewriteContext): { consumer: AnyNode; fold: Pending } | string | undefined {
  const out = bn.outputs[0];
  const users = ctx.users(out);
  const candidate = users.find((u) => u.node.op === 'Conv' || u.node.op === 'Gemm');
  if (candidate === undefined) return undefined;
  const consumer = candidate.node;
  if (ctx.uses(out) !== 1) return `output has ${ctx.uses(out)} uses; the others need it normalized`;
  if (candidate.index !== 0) return `output feeds input ${candidate.index} of ${consumer.op} '${consumer.name}', not its data input`;
  const m = readBatchNorm(bn, ctx.constant);
  if (!m.ok) return m.reason;
  const p = m.params;
  const a = batchNormFactor(p);
  const x = ctx.input(bn, 0);
  const dtype = x.type.dtype;
  const ratio = offsetRatio(p, a);
  if (ratio * unitRoundoff(dtype) > FOLD_ERROR_BUDGET) {
    return `offset |mean·a| is ${ratio.toPrecision(3)}× the normalized signal: a ${dtype} bias would carry it with relative error above ${FOLD_ERROR_BUDGET}`;
  }
  const wTensor = ctx.constant(consumer.inputs[1]);
  if (wTensor === undefined) return `${consumer.op} '${consumer.name}' weight is not a constant`;
  const w = toFloat64(wTensor);
  const bTensor = ctx.constant(consumer.inputs[2]);
  if (consumer.inputs[2] !== undefined && bTensor === undefined) return `${consumer.op} '${consumer.name}' bias is not a constant`;
  const b = bTensor === undefined ? undefined : toFloat64(bTensor);
  // The bias is computed against the weight as it will be stored (rounded): see consumer-weights.ts.
  const stored = (t: F64Tensor): F64Tensor => toFloat64(fromFloat64(wTensor.dtype, t.dims, t.data));
  switch (consumer.op) {
    case 'Conv': {
      const padding = convPadding(consumer, x.type.shape.slice(2));
      if (padding !== undefined) return padding;
      const weight = stored(scaleConvInputs(w, consumer.attrs.group, a));
      return { consumer, fold: { op: 'Conv', attrs: consumer.attrs, weight, bias: consumerConvBias(w, weight, b, consumer.attrs.group, p) } };
    }
    case 'Gemm': {
      if (consumer.attrs.transA !== 0) return `Gemm '${consumer.name}' has transA=1: the BN channel axis is an output row axis`;
      const weight = stored(scaleGemmInputs(w, consumer.attrs.transB, a));
      const bias = consumerGemmBias(w, weight, b, consumer.attrs, p);
      return { consumer, fold: { op: 'Gemm', attrs: { ...consumer.attrs, beta: 1 }, weight, bias } };
    }
    default:
      return undefined;
  }
}

/** Why the Conv pads its input (the fold would then be inexact), or undefined when it does not. */
function convPadding(conv: Node<'Conv'>, spatial: readonly (number | string)[]): string | undefined {
  const { attrs } = conv;
  if (attrs.auto_pad === 'VALID') return undefined;
  if (attrs.auto_pad === 'NOTSET') {
    return (attrs.pads ?? []).some((p) => p !== 0) ? `Conv '${conv.name}' pads [${attrs.pads?.join(',')}]: padded zeros are not normalized` : undefined;
  }
  // SAME_*: the pads depend on the input size; a symbolic axis leaves them unknown.
  if (!spatial.every((d) => typeof d === 'number')) return `Conv '${conv.name}' auto_pad=${attrs.auto_pad} over symbolic spatial dims: its pads are unknown`;
  const kernel = attrs.kernel_shape ?? conv.inputs[1]?.type.shape.slice(2).filter((d): d is number => typeof d === 'number') ?? [];
  const win = windowOf({ op: 'Conv', node: conv.name }, spatial, attrs, kernel, 0);
  return win.pads.some((p) => p !== 0) ? `Conv '${conv.name}' auto_pad=${attrs.auto_pad} pads [${win.pads.join(',')}]: padded zeros are not normalized` : undefined;
}

function emit(n: AnyNode, p: Pending, ctx: RewriteContext): Value[] {
  const x = ctx.input(n, 0);
  const dtype = n.outputs[0].type.dtype;
  const constant = (suffix: string, t: F64Tensor): Value => ctx.initializer(ctx.freshName(`${n.name}_${suffix}_folded`), fromFloat64(dtype, t.dims, t.data));
  const names = { name: n.name, outputs: n.outputs.map((v) => v.name) };
  const weight = constant('weight', p.weight);
  const bias = constant('bias', p.bias);
  return p.op === 'Conv' ? ctx.node('Conv', [x, weight, bias], p.attrs, names) : ctx.node('Gemm', [x, weight, bias], p.attrs, names);
}
