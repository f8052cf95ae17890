// batchNormToScaleShift: BatchNormalization(x, scale, B, mean, var) [inference]
//   => Add(Mul(Sub(x, mean'), a), B')   with a = scale/√(var + ε) and mean', a, B' shaped [C, 1, …, 1].
// Subtracting the mean first keeps accuracy on inputs with large offsets, where onnxruntime's
// x·a + (B − mean·a) loses ~1e-3 absolute (DESIGN.md §7). Kernel fusion merges the three elementwise
// ops back into one kernel. Guards: training_mode = 1; a non-constant scale, B, mean or var; X of a
// half type (each of the three ops would round to half precision until fusion merges them); a mean
// that X's dtype cannot hold exactly (x − mean would no longer be the value the op subtracts).

import { fromFloat64 } from '../../core/tensor.js';
import type { AnyNode, Graph, Value } from '../ir/types.js';
import { batchNormFactor, readBatchNorm, representable } from './algebra/batch-norm.js';
import { PassOptions, RewriteContext, rewriteGraph } from './rewrite.js';

const PASS = 'batchNormToScaleShift';

export function batchNormToScaleShift(g: Graph, options: PassOptions = {}): Graph {
  return rewriteGraph(g, (n, ctx) => {
    if (n.op !== 'BatchNormalization') return undefined;
    const reason = rewriteNode(n, ctx);
    if (typeof reason === 'string') {
      options.onSkip?.({ pass: PASS, node: n.name, reason });
      return undefined;
    }
    return reason;
  });
}

/** The replacement outputs, or why the node stays. */
function rewriteNode(n: AnyNode, ctx: RewriteContext): Value[] | string {
  const m = readBatchNorm(n, ctx.constant);
  if (!m.ok) return m.reason;
  const x = ctx.input(n, 0);
  const dtype = x.type.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') return `X is ${dtype}: three separately rounded half-precision ops lose accuracy before fusion`;
  const p = m.params;
  if (!representable(dtype, p.mean)) return `input_mean is not exactly representable in X's dtype ${dtype}`;
  const a = batchNormFactor(p);
  // [C, 1, …, 1] broadcasts along axis 1 of a rank-r X (right-aligned numpy broadcasting).
  const dims = [p.channels, ...Array<number>(x.type.shape.length - 2).fill(1)];
  const constant = (suffix: string, values: Float64Array): Value => ctx.initializer(ctx.freshName(`${n.name}_${suffix}`), fromFloat64(dtype, dims, values));
  const mean = constant('mean', p.mean);
  const factor = constant('scale', a);
  const shift = constant('shift', p.bias);
  const out = n.outputs[0].name;
  const [centered] = ctx.node('Sub', [x, mean], {}, { name: ctx.freshName(`${n.name}_sub`), outputs: [ctx.freshName(`${out}_centered`)] });
  const [scaled] = ctx.node('Mul', [centered, factor], {}, { name: ctx.freshName(`${n.name}_mul`), outputs: [ctx.freshName(`${out}_scaled`)] });
  return ctx.node('Add', [scaled, shift], {}, { name: n.name, outputs: [out] });
}
