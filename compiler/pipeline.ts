// The graph optimization pipeline: the ordered list of graph passes, with the reasons for the order.
// Each pass is a pure Graph => Graph function in compiler/passes/; tests verify the graph after each.

import type { Graph } from './ir/types.js';
import { batchNormToScaleShift } from './passes/batch-norm-to-scale-shift.js';
import { eliminateDeadCode } from './passes/eliminate-dead-code.js';
import { foldBatchNormIntoConsumer } from './passes/fold-batch-norm-into-consumer.js';
import { foldBatchNormIntoProducer } from './passes/fold-batch-norm-into-producer.js';
import { foldConstants } from './passes/fold-constants.js';
import type { PassOptions, SkippedRewrite } from './passes/rewrite.js';

export interface OptimizeOptions {
  /**
   * The graph is used for inference only: its initializers are fixed, so BatchNormalization may be
   * folded into weights. Off by default, because a training graph's weights still change.
   */
  readonly inference?: boolean;
  /** Called with each pass's result (tests run verifyGraph here). */
  readonly afterPass?: (pass: string, g: Graph) => void;
  /** Called for each rewrite a guard stopped. */
  readonly onSkip?: (skip: SkippedRewrite) => void;
}

export interface PipelinePass {
  readonly name: string;
  /** Runs only with `inference: true`. */
  readonly inferenceOnly: boolean;
  run(g: Graph, options: PassOptions): Graph;
}

export const PIPELINE: readonly PipelinePass[] = [
  // First, constant folding: Constant nodes and constant subgraphs (a Cast or Reshape of a parameter,
  // common in imported ONNX models) become initializers, so the BatchNormalization folds below see
  // their parameters and weights as the constants their guards require.
  { name: 'foldConstants', inferenceOnly: false, run: (g) => foldConstants(g) },
  // Fold BN into the Conv/ConvTranspose/Gemm/MatMul producing its input first: it removes the BN
  // outright and is exact up to the rounding the unfused graph already had. It must run before
  // batchNormToScaleShift, which would turn these BNs into Sub/Mul/Add that no fold recognizes, and
  // before the forward fold, which is inexact under padding and moves the offset into a rounded bias.
  { name: 'foldBatchNormIntoProducer', inferenceOnly: true, run: foldBatchNormIntoProducer },
  // Then fold the BNs left without a foldable producer (one normalizing a graph input, or following an
  // Add or a pool) forward into the Conv or Gemm consuming them, where exact.
  { name: 'foldBatchNormIntoConsumer', inferenceOnly: true, run: foldBatchNormIntoConsumer },
  // The leftovers become (x − mean)·a + B as Sub/Mul/Add, elementwise ops kernel fusion merges with
  // their neighbours (activations, residual adds).
  { name: 'batchNormToScaleShift', inferenceOnly: true, run: batchNormToScaleShift },
  // Constant folding after the folds: a rewrite can leave a node whose inputs are all constant (a BN
  // of a constant turned into Sub/Mul/Add of initializers).
  { name: 'foldConstants', inferenceOnly: false, run: (g) => foldConstants(g) },
  // Dead code last: every rewrite leaves the replaced nodes and the old parameters unused behind it.
  { name: 'eliminateDeadCode', inferenceOnly: false, run: (g) => eliminateDeadCode(g) },
];

/** Run the pipeline; returns the new graph (`g` is not modified). */
export function optimizeGraph(g: Graph, options: OptimizeOptions = {}): Graph {
  const passOptions: PassOptions = options.onSkip === undefined ? {} : { onSkip: options.onSkip };
  let out = g;
  for (const pass of PIPELINE) {
    if (pass.inferenceOnly && options.inference !== true) continue;
    out = pass.run(out, passOptions);
    options.afterPass?.(pass.name, out);
  }
  return out;
}
