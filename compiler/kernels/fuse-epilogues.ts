// fuseEpilogues: let a heavy routine (matmul, conv2d, convTranspose2d) apply the elementwise step that
// consumes its output as it stores it (DESIGN.md §5).
//   R: r = routine(x…); B: b = g(r, q…) [elementwise]  =>  R': b = routine(x…) with epilogue g(round(·), q…)
// R' takes B's position (B's extra operands q may be written after R) and lists q after R's operands.
// Guards (each an early `continue`):
//   - R takes an epilogue, has none yet, and writes one buffer r, read by B alone and bound to no
//     plan output;
//   - r and b are float buffers (an integer store truncates or wraps; the routine's float store path
//     must stay the only narrowing);
//   - B reads r at its own flat index (the epilogue runs once per routine output element).
// Run after fuseElementwise, so that B is the whole elementwise chain after R (BN scale/shift +
// residual add + activation in one epilogue). The store of r in its dtype becomes an explicit
// rounding unary, so the fused routine computes bit for bit what the two steps computed.

import { DType, isFloatDType } from '../../core/dtype.js';
import { acceptsEpilogue, E, EpilogueRoutineCall } from '../../ops/kernel-ir.js';
import type { KernelPlan, PlanStep } from '../lowering/plan.js';
import { OperandTable, readsInPlace } from './operand-table.js';
import { fusedNodeName, PlanEditor } from './plan-editor.js';
import { roundedTo, substituteOperands } from './scalar-expr.js';

type ElementwiseStep = Extract<PlanStep, { kind: 'elementwise' }>;
type RoutineStep = Extract<PlanStep, { kind: 'routine' }>;

export function fuseEpilogues(plan: KernelPlan): KernelPlan {
  const ed = new PlanEditor(plan);
  const dtypeOf = (buffer: number): DType => plan.buffers[buffer].dtype;
  for (let j = 0; j < ed.length; j++) {
    const b = ed.step(j);
    if (b === undefined || b.kind !== 'elementwise') continue;
    for (const buffer of new Set(b.operands)) {
      const i = ed.producerOf(buffer);
      const r = i === undefined ? undefined : ed.step(i);
      if (i === undefined || r === undefined || r.kind !== 'routine') continue;
      const call = r.call;
      if (!acceptsEpilogue(call) || call.epilogue !== undefined || r.outputs.length !== 1) continue;
      if (!ed.onlyReader(buffer, j)) continue;
      if (!isFloatDType(dtypeOf(buffer)) || !isFloatDType(b.kernel.outDtype)) continue;
      if (!b.kernel.operands.every((o, k) => b.operands[k] !== buffer || readsInPlace(o.dims, b.kernel.outDims))) continue;
      ed.remove(i);
      ed.replace(j, withEpilogue(r, call, b, dtypeOf(buffer)));
      break;
    }
  }
  return ed.result();
}

function withEpilogue(r: RoutineStep, call: EpilogueRoutineCall, b: ElementwiseStep, rawDtype: DType): RoutineStep {
  const raw = r.outputs[0];
  const bk = b.kernel;
  const table = new OperandTable();
  // Operand 0 is the raw routine output element (no buffer of its own: −1 never matches a buffer).
  table.add(-1, { dtype: rawDtype, dims: bk.outDims });
  const index = bk.operands.map((o, k) => (b.operands[k] === raw ? 0 : table.add(b.operands[k], o)));
  const expr = substituteOperands(bk.expr, (k) => (index[k] === 0 ? roundedTo(rawDtype, E.operand(0)) : E.operand(index[k])));
  const fused: EpilogueRoutineCall = { ...call, epilogue: { expr, operands: table.operands } };
  return {
    kind: 'routine',
    node: fusedNodeName(r.node, b.node),
    call: fused,
    operands: [...r.operands, ...table.buffers.slice(1)],
    outputs: [b.output],
  };
}
