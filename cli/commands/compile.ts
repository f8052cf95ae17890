// `kiln compile in.onnx -o out.onnx [--opset N] [--training]`: import a model, run the optimization
// pipeline (compiler/pipeline.ts: BatchNormalization folds for inference; with --training only the
// passes that keep a training graph's changing weights) and write standard ONNX any runtime can load.
// Prints a one-screen summary: node counts by op type, the BatchNormalization nodes removed, skips.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Graph } from '../../compiler/ir/types.js';
import { decodeModel, encodeModel, exportModelProto, MAX_EXPORT_OPSET, MIN_EXPORT_OPSET } from '../../compiler/onnx/index.js';
import { toSafeInt, type OnnxTypes } from '../../compiler/onnx/proto.js';
import type { SkippedRewrite } from '../../compiler/passes/rewrite.js';
import { optimizeGraph, PIPELINE } from '../../compiler/pipeline.js';
import { formatBytes } from '../../compiler/lowering/describe-plan.js';
import { FileError, UsageError } from '../errors.js';
import { processIO, type CliIO } from '../io.js';
import { loadModel } from '../load-model.js';
import { flagValue, intArg, parseArgs } from '../options.js';
import { renderTable } from '../table.js';

export const COMPILE_USAGE = 'kiln compile in.onnx -o out.onnx [--opset N] [--training]';

/** Opset written when the input's is older than BatchNormalization-9 (no `spatial`, no `is_test`). */
const FALLBACK_OPSET = 15;
const FIRST_KEPT_OPSET = 9;
/** Skipped rewrites listed in the summary; the rest are counted (`kiln inspect --passes` shows all). */
const MAX_SKIPS_SHOWN = 12;

export interface CompileOptions {
  /** Default-domain opset to write; default: the input's when ≥ 9 (capped at what kiln writes), else 15. */
  readonly opset?: number;
  /** Keep the graph trainable: run only the passes that are not inference-only. */
  readonly training?: boolean;
}

/** Where a pipeline pass changed the BatchNormalization count. */
export interface BatchNormRemoval {
  readonly pass: string;
  readonly removed: number;
}

export interface CompiledModel {
  readonly before: Graph;
  readonly after: Graph;
  /** The inference pipeline ran (false: --training, inference-only passes left out). */
  readonly inference: boolean;
  readonly inputOpset: number;
  readonly opset: number;
  readonly passes: readonly string[];
  readonly batchNormRemovals: readonly BatchNormRemoval[];
  readonly skipped: readonly SkippedRewrite[];
  readonly proto: OnnxTypes.IModelProto;
  readonly bytes: Uint8Array;
}

/** The default-domain opset of a decoded model (the importer has validated that there is one). */
export function defaultDomainOpset(model: OnnxTypes.IModelProto): number {
  let opset = 0;
  for (const o of model.opsetImport ?? []) {
    if (o.domain === undefined || o.domain === null || o.domain === '' || o.domain === 'ai.onnx') opset = Math.max(opset, toSafeInt(o.version ?? 0, 'opset_import version'));
  }
  return opset;
}

/** The opset compile writes when none is asked for. */
export function defaultOutputOpset(inputOpset: number): number {
  if (inputOpset < FIRST_KEPT_OPSET) return FALLBACK_OPSET;
  return Math.min(inputOpset, MAX_EXPORT_OPSET);
}

export function countBatchNorms(g: Graph): number {
  return g.nodes.filter((n) => n.op === 'BatchNormalization').length;
}

/** Optimize an imported graph and export it as a standard ONNX model. */
export function compileGraph(before: Graph, inputOpset: number, options: CompileOptions = {}): CompiledModel {
  const inference = options.training !== true;
  const opset = options.opset ?? defaultOutputOpset(inputOpset);
  const passes: string[] = [];
  const batchNormRemovals: BatchNormRemoval[] = [];
  const skipped: SkippedRewrite[] = [];
  let bnCount = countBatchNorms(before);
  const after = optimizeGraph(before, {
    inference,
    afterPass: (pass, g) => {
      passes.push(pass);
      const now = countBatchNorms(g);
      if (now !== bnCount) batchNormRemovals.push({ pass, removed: bnCount - now });
      bnCount = now;
    },
    onSkip: (s) => skipped.push(s),
  });
  // kilnOps off: ai.kiln::Moments is written as standard ReduceMean/Sub/Mul/Div nodes.
  const proto = exportModelProto(after, { opset, kilnOps: false, producer: 'kiln compile' });
  return { before, after, inference, inputOpset, opset, passes, batchNormRemovals, skipped, proto, bytes: encodeModel(proto) };
}

function opCounts(g: Graph): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of g.nodes) out.set(n.op, (out.get(n.op) ?? 0) + 1);
  return out;
}

/** Nodes before → after by op type, ops in name order, with a total row. */
export function opCountTable(before: Graph, after: Graph): string {
  const b = opCounts(before);
  const a = opCounts(after);
  const ops = [...new Set([...b.keys(), ...a.keys()])].sort();
  const rows = ops.map((op) => [op, b.get(op) ?? 0, a.get(op) ?? 0]);
  rows.push(['total', before.nodes.length, after.nodes.length]);
  return renderTable(['op', 'before', 'after'], rows);
}

function batchNormLine(c: CompiledModel): string {
  const before = countBatchNorms(c.before);
  const after = countBatchNorms(c.after);
  const by = c.batchNormRemovals.map((r) => (r.removed > 0 ? `${r.pass} ${r.removed}` : `${r.pass} added ${-r.removed}`));
  const detail = by.length > 0 ? ` (${by.join(', ')})` : '';
  return `BatchNormalization nodes folded: ${before - after} of ${before}${detail}; ${after} left`;
}

function printSummary(io: CliIO, inPath: string, outPath: string, inputNodes: number, c: CompiledModel): void {
  const mode = c.inference ? 'inference' : `training: ${PIPELINE.filter((p) => p.inferenceOnly).length} inference-only passes left out`;
  io.out(`compiled ${inPath} -> ${outPath}`);
  io.out(`input:  opset ${c.inputOpset}, ${inputNodes} ONNX nodes, graph '${c.before.name}'`);
  io.out(`output: opset ${c.opset}, ${c.proto.graph?.node?.length ?? 0} ONNX nodes, ${formatBytes(c.bytes.length)}`);
  io.out(`passes (${mode}): ${c.passes.join(', ')}`);
  io.out('');
  io.out(`nodes (kiln IR) ${c.before.nodes.length} -> ${c.after.nodes.length}:`);
  io.out(opCountTable(c.before, c.after));
  io.out('');
  io.out(batchNormLine(c));
  if (c.skipped.length === 0) {
    io.out('skipped rewrites: none');
    return;
  }
  io.out(`skipped rewrites (${c.skipped.length}):`);
  for (const s of c.skipped.slice(0, MAX_SKIPS_SHOWN)) io.out(`  ${s.pass} '${s.node}': ${s.reason}`);
  const more = c.skipped.length - MAX_SKIPS_SHOWN;
  if (more > 0) io.out(`  ... and ${more} more (kiln inspect --passes lists every one)`);
}

function writeModel(path: string, bytes: Uint8Array): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  } catch (e) {
    throw new FileError(`cannot write compiled model '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** `-o FILE` is the short form of `--output FILE`. */
function expandShortFlags(args: readonly string[]): string[] {
  return args.map((a) => (a === '-o' ? '--output' : a));
}

export function runCompile(args: readonly string[], io: CliIO = processIO()): number {
  const parsed = parseArgs('compile', expandShortFlags(args), {
    single: ['output', 'opset'],
    switches: ['training'],
    positionals: [1, 1],
    positionalName: 'in.onnx',
  });
  const outPath = flagValue(parsed, 'output');
  if (outPath === undefined) throw new UsageError('compile', '-o', 'the path of the compiled model (-o out.onnx)', 'nothing');
  const opsetFlag = flagValue(parsed, 'opset') === undefined ? undefined : intArg('compile', parsed, 'opset', FALLBACK_OPSET, MIN_EXPORT_OPSET, MAX_EXPORT_OPSET);
  const inPath = parsed.positionals[0];
  const loaded = loadModel(inPath);
  const file = decodeModel(loaded.bytes);
  const compiled = compileGraph(loaded.graph, defaultDomainOpset(file), {
    ...(opsetFlag === undefined ? {} : { opset: opsetFlag }),
    training: parsed.switches.has('training'),
  });
  writeModel(outPath, compiled.bytes);
  printSummary(io, inPath, outPath, file.graph?.node?.length ?? 0, compiled);
  return 0;
}
