// A routine's fused epilogue applied as the routine stores (DESIGN.md §5), instead of as a second pass
// over its output: the routine computes a block of raw results into per-thread scratch (the stage),
// then calls the epilogue's elementwise function (elementwise.ts, embedded in the routine's module)
// on each row of the block — a contiguous run of flat output indices — reading raw values from the
// stage and the other operands at those indices, and writing the output there.
//
// Why: the memory plan may give a conv/matmul step's output the storage of an epilogue operand that
// dies there (the residual of Conv→BN→Add→ReLU; compiler/lowering/memory-plan.ts), as onnxruntime's
// FusedConv declares MayInplace(Z→Y) for its Sum input. A raw store into the output followed by an
// epilogue pass would overwrite the residual before reading it; here each output element is written
// only after the same element of every operand has been read (within a vector step: loads before the
// store), and units of work write disjoint rows, so the alias is safe with any number of threads.
// The epilogue is the same generated function as the second pass, and elementwise results never
// depend on where runs begin, so outputs are bit-identical to the two-pass form.
//
// Function params of the embedded kernel are [operand addresses…, output address]; operand 0 is the
// raw product, which the stage holds. Each thread copies a template of these params into its scratch
// and sets operand 0's address per row so that flat index `start` lands on the stage row:
// address = stageRow − 4·start (i32 arithmetic wraps, and the function only forms stageRow + 4·(i − start)).

import { ELEMENT_BYTES } from '../../../core/dtype.js';
import type { Epilogue } from '../../../ops/kernel-ir.js';
import type { FunctionBuilder, Local } from '../encoder/index.js';
import { elementwiseFunction } from '../elementwise.js';
import { forUp, type Emit } from '../codegen-util.js';
import type { EmbeddedKernel, WasmBuffer, WasmRoutineContext } from './context.js';
import type { PoolModule } from '../pool.js';
import { epilogueKernel } from './epilogue.js';

/** An epilogue ready to run inside a routine: its function (with a cache key) and the params template. */
export interface StagedEpilogue {
  readonly embedded: EmbeddedKernel;
  /** Heap address of the params template [0, operand 1…, output] (i32 words). */
  readonly template: number;
  readonly words: number;
  /** Builds the embedded function (for the routine's module). */
  readonly build: () => FunctionBuilder;
}

/**
 * The staged form of `epilogue` writing `out` (extras: the epilogue's operands 1..), or undefined when
 * its kernel has no wasm form (then the routine stores raw results where `rawTarget` says and runs the
 * JavaScript kernel over them). Release the template with `releaseStaged`.
 */
export function stageEpilogue(ctx: WasmRoutineContext, epilogue: Epilogue, extras: readonly WasmBuffer[], out: WasmBuffer): StagedEpilogue | undefined {
  const kernel = epilogueKernel(epilogue, out.dtype);
  // Operand 0's buffer is a placeholder: the stage replaces it row by row.
  const embedded = ctx.embeddedKernel(kernel, [out, ...extras]);
  if (embedded === undefined) return undefined;
  const values = [0, ...embedded.operands.slice(1).map((b) => b.offset), out.offset];
  const template = ctx.heap.alloc(4 * values.length);
  ctx.heap.i32(template, values.length).set(values);
  return { embedded, template, words: values.length, build: () => elementwiseFunction(embedded.kernel, embedded.precision) };
}

export function releaseStaged(ctx: WasmRoutineContext, s: StagedEpilogue | undefined): void {
  if (s !== undefined) ctx.heap.release(s.template);
}

/** Bytes of a thread's params copy (rounded to 16). */
export function stagedParamsBytes(s: StagedEpilogue | undefined): number {
  return s === undefined ? 0 : Math.ceil((4 * s.words) / 16) * 16;
}

/**
 * Where a routine stores its raw float32 results when the epilogue runs as a second pass over them:
 * the output itself when it is float32 and shares no storage with an epilogue operand (a raw store
 * would overwrite that operand before the pass reads it), else scratch of `elements` float32 (release
 * it with ctx.releaseScratch when it is not `out`).
 */
export function rawTarget(ctx: WasmRoutineContext, out: WasmBuffer, extras: readonly WasmBuffer[], elements: number): WasmBuffer {
  return out.dtype === 'float32' && !extras.some((e) => overlaps(e, out)) ? out : ctx.scratchBuffer('float32', elements);
}

/** Whether two buffers share any byte of memory. */
export function overlaps(a: WasmBuffer, b: WasmBuffer): boolean {
  const bytes = (x: WasmBuffer): number => x.size * ELEMENT_BYTES[x.dtype];
  return a.offset < b.offset + bytes(b) && b.offset < a.offset + bytes(a) && bytes(a) > 0 && bytes(b) > 0;
}

/**
 * Codegen: copy `words` i32 from the template to the thread's params at `dst` (once per driver call).
 * `i` is a scratch local.
 */
export function emitCopyTemplate(f: FunctionBuilder, template: Local, words: Local, dst: Local, i: Local): void {
  forUp(f, i, () => void f.i32(0), () => void f.get(words), 1, () => {
    f.get(dst).get(i).i32(2).op('i32.shl').op('i32.add');
    f.get(template).get(i).i32(2).op('i32.shl').op('i32.add').mem('i32.load');
    f.mem('i32.store');
  });
}

/**
 * Codegen: run the embedded epilogue `fn` on output elements [start, start + len) whose raw values are
 * the floats at `stageRow` (start and stageRow are evaluated once each; `at` is a scratch local).
 */
export function emitEpilogueRun(f: FunctionBuilder, fn: number, params: Local, tid: Local, stageRow: Emit, start: Emit, len: Emit, at: Local): void {
  start();
  f.set(at);
  f.get(params);
  stageRow();
  f.get(at).i32(2).op('i32.shl').op('i32.sub');
  f.mem('i32.store');
  f.get(at).get(at);
  len();
  f.op('i32.add').get(tid).get(params).call(fn);
}

/**
 * A routine's module instance for a call: `name` plain, or `name+kernel` with the staged epilogue's
 * function embedded (one module per epilogue kernel, built by `build(epilogue)`).
 */
export function stagedModule(ctx: WasmRoutineContext, name: string, build: (epilogue?: FunctionBuilder) => Uint8Array, exports: readonly string[], staged: StagedEpilogue | undefined): PoolModule {
  if (staged === undefined) return ctx.module(name, () => build(), exports);
  return ctx.module(`${name}+${staged.embedded.key}`, () => build(staged.build()), exports);
}
