// Small shared pieces of the adapters: attributes that later opsets turned into inputs, constant inputs
// read as attribute values on import, and the opset-dependent forms (attribute or initializer input) of
// axes-like arguments on export.

import type { DType } from '../../../core/dtype.js';
import { OnnxImportError } from '../../../core/errors.js';
import { fromFloat64, HostTensor, readElement } from '../../../core/tensor.js';
import type { OpName } from '../../../ops/op-attrs.js';
import { clampInt, writeAttr } from '../attributes.js';
import type { OnnxTypes } from '../proto.js';
import type { ExportContext, ImportContext } from './types.js';

/** Before the opset that turned some attributes into inputs, the node takes its data input alone. */
export function expectDataInputOnly(ctx: ImportContext): void {
  if (ctx.inputs.length > 1) throw new OnnxImportError(`${ctx.opType} node '${ctx.name}': takes 1 input at opset ${ctx.opset}, got ${ctx.inputs.length}`);
}

/** From opset `since` on, `names` are inputs: a node that still gives them as attributes is malformed. */
export function rejectMovedAttrs(ctx: ImportContext, names: readonly string[], since: number): void {
  for (const name of names) {
    if (ctx.attrs.has(name)) throw new OnnxImportError(`${ctx.opType} node '${ctx.name}': attribute '${name}' does not exist at opset ${ctx.opset} (an input since opset ${since})`);
  }
}

/** Integer values of a constant int32/int64 tensor (int64 beyond ±2^53 clamps, like attributes). */
export function intsOf(ctx: ImportContext, t: HostTensor, what: string): number[] {
  if (t.dtype !== 'int64' && t.dtype !== 'int32') {
    throw new OnnxImportError(`${ctx.opType} node '${ctx.name}': input '${what}' expected an int64 (or int32) tensor, got ${t.dtype}`);
  }
  const out: number[] = [];
  for (let i = 0; i < t.data.length; i++) out.push(t.dtype === 'int64' ? clampInt((t.data as BigInt64Array)[i]) : (t.data as Int32Array)[i]);
  return out;
}

/** The constant input i as a list of ints, or undefined when the input is omitted. */
export function constantInts(ctx: ImportContext, i: number, what: string): number[] | undefined {
  if (ctx.inputs[i] === undefined) return undefined;
  return intsOf(ctx, ctx.requireConstant(i, what), what);
}

/** The constant one-element input i as a number, or undefined when the input is omitted. */
export function constantScalar(ctx: ImportContext, i: number, what: string): number | undefined {
  if (ctx.inputs[i] === undefined) return undefined;
  const t = ctx.requireConstant(i, what);
  if (t.data.length !== 1) {
    throw new OnnxImportError(`${ctx.opType} node '${ctx.name}': input '${what}' expected a scalar (one element), got dims [${t.dims.join(',')}]`);
  }
  return readElement(t.dtype, t.data, 0);
}

/** Negative axes are allowed from opset 11 on; older targets get them normalized against `rank`. */
export function axesForTarget<K extends OpName>(ctx: ExportContext<K>, axes: readonly number[], rank: number): number[] {
  return ctx.opset >= 11 ? [...axes] : axes.map((a) => (a < 0 ? a + rank : a));
}

export function int64Initializer<K extends OpName>(ctx: ExportContext<K>, suffix: string, values: readonly number[]): string {
  return ctx.addInitializer(suffix, fromFloat64('int64', [values.length], values));
}

/** A 0-d initializer holding `value` as `dtype`. */
export function scalarInitializer<K extends OpName>(ctx: ExportContext<K>, suffix: string, dtype: DType, value: number): string {
  return ctx.addInitializer(suffix, fromFloat64(dtype, [], [value]));
}

export const attr = {
  int: (name: string, v: number): OnnxTypes.IAttributeProto => writeAttr(name, 'int', v),
  float: (name: string, v: number): OnnxTypes.IAttributeProto => writeAttr(name, 'float', v),
  ints: (name: string, v: readonly number[]): OnnxTypes.IAttributeProto => writeAttr(name, 'ints', v),
  floats: (name: string, v: readonly number[]): OnnxTypes.IAttributeProto => writeAttr(name, 'floats', v),
  string: (name: string, v: string): OnnxTypes.IAttributeProto => writeAttr(name, 'string', v),
  tensor: (name: string, v: HostTensor): OnnxTypes.IAttributeProto => writeAttr(name, 'tensor', v),
};

export type ReduceOnnxOp = 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceSumSquare';

/** Opset from which each reduction takes `axes` as an input instead of an attribute. */
export const REDUCE_AXES_INPUT_SINCE: { readonly [R in ReduceOnnxOp]: number } = {
  ReduceSum: 13,
  ReduceMean: 18,
  ReduceMax: 18,
  ReduceSumSquare: 18,
};

/** Write a reduction in the target opset's form; `axes` undefined or [] means all axes. */
export function writeReduce<K extends OpName>(
  ctx: ExportContext<K>,
  op: ReduceOnnxOp,
  input: string,
  axes: readonly number[] | undefined,
  rank: number,
  keepdims: number,
  output: string,
  name?: string,
  noopWithEmptyAxes = 0,
): void {
  const attributes = [attr.int('keepdims', keepdims)];
  if (noopWithEmptyAxes === 1) attributes.push(attr.int('noop_with_empty_axes', 1));
  const inputs = [input];
  const given = axes !== undefined && axes.length > 0 ? axesForTarget(ctx, axes, rank) : undefined;
  if (given !== undefined) {
    if (ctx.opset >= REDUCE_AXES_INPUT_SINCE[op]) inputs.push(int64Initializer(ctx, `${output}_axes`, given));
    else attributes.push(attr.ints('axes', given));
  }
  ctx.addNode(op, inputs, [output], attributes, name === undefined ? {} : { name });
}

/** Squeeze in the target opset's form (axes input since 13). */
export function writeSqueeze<K extends OpName>(ctx: ExportContext<K>, input: string, axes: readonly number[] | undefined, rank: number, output: string, name?: string): void {
  const opts = name === undefined ? {} : { name };
  if (axes === undefined || axes.length === 0) return ctx.addNode('Squeeze', [input], [output], [], opts);
  const a = axesForTarget(ctx, axes, rank);
  if (ctx.opset >= 13) ctx.addNode('Squeeze', [input, int64Initializer(ctx, `${output}_axes`, a)], [output], [], opts);
  else ctx.addNode('Squeeze', [input], [output], [attr.ints('axes', a)], opts);
}

/** Unsqueeze in the target opset's form (axes input since 13); `outRank` normalizes negative axes. */
export function writeUnsqueeze<K extends OpName>(ctx: ExportContext<K>, input: string, axes: readonly number[], outRank: number, output: string, name?: string): void {
  const opts = name === undefined ? {} : { name };
  const a = axesForTarget(ctx, axes, outRank);
  if (ctx.opset >= 13) ctx.addNode('Unsqueeze', [input, int64Initializer(ctx, `${output}_axes`, a)], [output], [], opts);
  else ctx.addNode('Unsqueeze', [input], [output], [attr.ints('axes', a)], opts);
}

/** Cast in ONNX form. */
export function writeCast<K extends OpName>(ctx: ExportContext<K>, input: string, to: number, output: string): void {
  ctx.addNode('Cast', [input], [output], [attr.int('to', to)]);
}
