// `kiln inspect model.onnx [--dim name=size ...] [--passes] [--plan]`: what the compiler does to a model.
// --passes prints the IR after import and after each pass of the inference pipeline (with the rewrites
// a guard stopped); --plan prints the kernel plan of the optimized graph for concrete input dims: one
// line per kernel, bytes moved and peak activation memory from the memory plan. Default: both.

import { describeShape } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import type { Graph } from '../../compiler/ir/types.js';
import { printGraph } from '../../compiler/ir/print.js';
import { countDataKernels } from '../../compiler/kernels/count-kernels.js';
import { compilePlan } from '../../compiler/lowering/compile-plan.js';
import { formatBytes, stepBytes } from '../../compiler/lowering/describe-plan.js';
import { bytesOf } from '../../compiler/lowering/memory-plan.js';
import type { KernelPlan, PlanStep } from '../../compiler/lowering/plan.js';
import type { SkippedRewrite } from '../../compiler/passes/rewrite.js';
import { optimizeGraph, PIPELINE } from '../../compiler/pipeline.js';
import type { RoutineCall } from '../../ops/kernel-ir.js';
import { UsageError } from '../errors.js';
import { readDimFlags } from '../feeds.js';
import { processIO, type CliIO } from '../io.js';
import { loadModel } from '../load-model.js';
import { parseArgs } from '../options.js';
import { renderTable } from '../table.js';

export const INSPECT_USAGE = 'kiln inspect model.onnx [--dim name=size ...] [--passes] [--plan]';

// ---- the passes section ----

/** The graph after one pipeline pass, and the rewrites its guards stopped. */
export interface PassTrace {
  readonly pass: string;
  readonly graph: Graph;
  readonly skipped: readonly SkippedRewrite[];
}

/** Run the inference pipeline, keeping every intermediate graph. */
export function tracePipeline(g: Graph): { readonly optimized: Graph; readonly trace: readonly PassTrace[] } {
  const trace: PassTrace[] = [];
  let pending: SkippedRewrite[] = [];
  const optimized = optimizeGraph(g, {
    inference: true,
    // A pass reports its skips while it runs, so they belong to the pass that finishes next.
    onSkip: (s) => pending.push(s),
    afterPass: (pass, out) => {
      trace.push({ pass, graph: out, skipped: pending });
      pending = [];
    },
  });
  return { optimized, trace };
}

function printPasses(io: CliIO, imported: Graph, trace: readonly PassTrace[]): void {
  io.out(`== IR after import (${imported.nodes.length} nodes) ==`);
  io.out(printGraph(imported));
  let previous = printGraph(imported);
  trace.forEach((t, i) => {
    const text = printGraph(t.graph);
    const changed = text !== previous;
    io.out('');
    io.out(`== pass ${i + 1}/${trace.length}: ${t.pass}${changed ? ` (${t.graph.nodes.length} nodes)` : ''} ==`);
    io.out(changed ? text : '(no change)');
    for (const s of t.skipped) io.out(`skipped '${s.node}': ${s.reason}`);
    previous = text;
  });
}

// ---- the plan section ----

/** Each graph input's dims: symbolic dims from --dim, else 1. */
export function planInputDims(g: Graph, bindings: ReadonlyMap<string, number>): Map<string, number[]> {
  const symbols = new Set(g.inputs.flatMap((v) => v.type.shape.filter((d): d is string => typeof d === 'string')));
  for (const name of bindings.keys()) {
    if (!symbols.has(name)) {
      const known = [...symbols].map((s) => `'${s}'`).join(', ') || 'none';
      throw new UsageError('inspect', `--dim ${name}`, `a symbolic input dimension (the model's: ${known})`, `'${name}'`);
    }
  }
  return new Map(g.inputs.map((v) => [v.name, v.type.shape.map((d) => (typeof d === 'number' ? d : (bindings.get(d) ?? 1)))]));
}

/** A routine's output dims, for the routines whose call does not list them. */
function routineOutputDims(call: RoutineCall): (readonly number[])[] {
  switch (call.routine) {
    case 'reduce': return [call.inDims.map((d, i) => (call.axes.includes(i) ? 1 : d))];
    case 'moments': {
      const reduced = call.inDims.map((d, i) => (call.axes.includes(i) ? 1 : d));
      return [reduced, reduced];
    }
    case 'transpose': return [call.perm.map((p) => call.inDims[p])];
    case 'softmax': return [call.inDims];
    case 'lrn': return [call.inDims];
    case 'matmul':
    case 'conv2d':
    case 'pool2d':
    case 'convTranspose2d':
    case 'pad':
    case 'concat':
    case 'slice':
    case 'gather':
      return [call.outDims];
  }
}

export function stepOutputDims(s: PlanStep): (readonly number[])[] {
  if (s.kind === 'elementwise') return [s.kernel.outDims];
  // A fused epilogue iterates (and stores) over its operand 0's dims.
  if ('epilogue' in s.call && s.call.epilogue !== undefined) return [s.call.epilogue.operands[0].dims];
  if (s.call.routine === 'moments' && s.call.batchNorm !== undefined) {
    // Then the per-channel outputs: a and the running statistics the node returns.
    const [mean, variance] = routineOutputDims(s.call);
    const channels = [mean.reduce((n, d) => n * d, 1)];
    return [mean, variance, ...s.outputs.slice(2).map(() => channels)];
  }
  return routineOutputDims(s.call);
}

function kernelKind(s: PlanStep): string {
  if (s.kind === 'elementwise') return 'elementwise';
  return 'epilogue' in s.call && s.call.epilogue !== undefined ? `${s.call.routine}+epilogue` : s.call.routine;
}

/**
 * The largest per-channel constant in the plan (a constant with at most one dim above 1: a bias, BN's
 * scale/shift as [C] or [C, 1, 1]). Kernels touching no more elements than that are coefficient
 * kernels, not passes over the activations (compiler/kernels/count-kernels.ts).
 */
export function perChannelElements(plan: KernelPlan): number {
  let n = 1;
  for (const t of plan.constants.values()) {
    if (t.dims.filter((d) => d > 1).length <= 1) n = Math.max(n, sizeOf(t.dims));
  }
  return n;
}

/**
 * Peak activation memory: the memory plan's allocations less the constants' (weights stay resident):
 * its arenas (one per dtype, holding every intermediate buffer at a planned offset) and the storage of
 * its own of each plan input and output.
 */
export interface ActivationMemory {
  readonly peakBytes: number;
  /** Of peakBytes: the arenas. */
  readonly arenaBytes: number;
  /** Of peakBytes: the plan inputs' and outputs' storage. */
  readonly ioBytes: number;
  /** The same activation buffers with one allocation each. */
  readonly unsharedBytes: number;
  readonly constantBytes: number;
}

export function activationMemory(plan: KernelPlan): ActivationMemory {
  const live = (id: number): boolean => plan.memory === undefined || plan.memory.allocationOf[id] >= 0;
  const activations = plan.buffers.filter((b) => !plan.constants.has(b.id) && live(b.id));
  const unsharedBytes = activations.reduce((t, b) => t + bytesOf(b.dtype, b.size), 0);
  const constantBytes = plan.buffers.filter((b) => plan.constants.has(b.id) && live(b.id)).reduce((t, b) => t + bytesOf(b.dtype, b.size), 0);
  const m = plan.memory;
  if (m === undefined) {
    const io = new Set([...plan.inputs, ...plan.outputs].map((b) => b.buffer));
    const ioBytes = activations.filter((b) => io.has(b.id)).reduce((t, b) => t + bytesOf(b.dtype, b.size), 0);
    return { peakBytes: unsharedBytes, arenaBytes: unsharedBytes - ioBytes, ioBytes, unsharedBytes, constantBytes };
  }
  const bytes = (role: (typeof m.allocations)[number]['role'][]): number => m.allocations.filter((a) => role.includes(a.role)).reduce((t, a) => t + bytesOf(a.dtype, a.size), 0);
  const arenaBytes = bytes(['arena']);
  const ioBytes = bytes(['input', 'output']);
  return { peakBytes: arenaBytes + ioBytes, arenaBytes, ioBytes, unsharedBytes, constantBytes };
}

function printPlan(io: CliIO, g: Graph, dims: ReadonlyMap<string, readonly number[]>): void {
  const plan = compilePlan(g, dims);
  const given = [...dims].map(([name, d]) => `'${name}' ${describeShape(d)}`).join(', ');
  io.out(`== kernel plan of the optimized graph for ${given || 'no inputs'} ==`);
  const rows = plan.steps.map((s, i) => [
    i,
    kernelKind(s),
    s.node,
    stepOutputDims(s).map(describeShape).join(' '),
    formatBytes(stepBytes(plan, s)),
  ]);
  io.out(renderTable(['#', 'kernel', 'node(s)', 'output dims', 'bytes r+w'], rows));
  io.out('');
  const threshold = perChannelElements(plan);
  const data = countDataKernels(plan, threshold);
  const moved = plan.steps.reduce((t, s) => t + stepBytes(plan, s), 0);
  const mem = activationMemory(plan);
  io.out(`kernels: ${plan.steps.length}`);
  io.out(`kernels over the data: ${data} (touching more than ${threshold} elements, the largest per-channel constant)`);
  io.out(`bytes moved: ${formatBytes(moved)} (each kernel's operands read once, its outputs written once)`);
  io.out(`peak activation memory: ${formatBytes(mem.peakBytes)} = ${formatBytes(mem.arenaBytes)} arenas + ${formatBytes(mem.ioBytes)} inputs and outputs (unshared: ${formatBytes(mem.unsharedBytes)}); constants resident: ${formatBytes(mem.constantBytes)}`);
}

export function runInspect(args: readonly string[], io: CliIO = processIO()): number {
  const parsed = parseArgs('inspect', args, {
    repeated: ['dim'],
    switches: ['passes', 'plan'],
    positionals: [1, 1],
    positionalName: 'model.onnx',
  });
  const both = !parsed.switches.has('passes') && !parsed.switches.has('plan');
  const showPasses = both || parsed.switches.has('passes');
  const showPlan = both || parsed.switches.has('plan');
  const path = parsed.positionals[0];
  const loaded = loadModel(path);
  // Validate the dims before the (possibly long) pass listing.
  const dims = planInputDims(loaded.graph, readDimFlags('inspect', parsed.values.get('dim') ?? []));
  const { optimized, trace } = tracePipeline(loaded.graph);
  io.out(`model: ${path} (graph '${loaded.graph.name}', ${loaded.graph.nodes.length} nodes; inference pipeline of ${PIPELINE.length} passes: ${loaded.graph.nodes.length} -> ${optimized.nodes.length} nodes)`);
  if (showPasses) {
    io.out('');
    printPasses(io, loaded.graph, trace);
  }
  if (showPlan) {
    io.out('');
    printPlan(io, optimized, dims);
  }
  return 0;
}
