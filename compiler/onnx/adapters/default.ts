// The default adapter: ONNX attributes map 1:1 onto the op's attribute specs (same names, kinds checked
// on import), inputs and outputs map positionally. Attributes a later opset introduced are left out
// of older targets when they hold their default, and refused (OnnxExportError) otherwise.

import { OnnxExportError } from '../../../core/errors.js';
import type { OpName } from '../../../ops/op-attrs.js';
import { opDef } from '../../../ops/table.js';
import type { ExportContext, OpAdapter } from './types.js';

export interface DefaultAdapterOptions {
  /** First opset in which the op exists (default 1). */
  readonly since?: number;
  /** Attributes added after `since`: name → first opset that has them. */
  readonly attrSince?: Readonly<Record<string, number>>;
}

export function sameAttrValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** Values that mean the same as leaving the attribute out (all-1 dilations, Shape's start 0). */
function isNeutral(name: string, v: unknown): boolean {
  if (name === 'dilations' || name === 'strides') return Array.isArray(v) && v.every((x) => x === 1);
  if (name === 'start') return v === 0;
  return false;
}

/** Refuse export to a target opset that predates the op. */
export function checkSince<K extends OpName>(ctx: ExportContext<K>, since: number): void {
  if (ctx.opset < since) {
    throw new OnnxExportError(`${ctx.site.op} '${ctx.site.node}': ONNX ${ctx.node.op} needs opset >= ${since}; the target opset is ${ctx.opset}`);
  }
}

/** Names of attributes to omit at the target opset (default-valued ones newer than it); throws for non-default ones. */
export function omitNewAttrs<K extends OpName>(ctx: ExportContext<K>, attrSince: Readonly<Record<string, number>>): string[] {
  const specs = opDef(ctx.node.op).attrs as Record<string, { default?: unknown }>;
  const attrs = ctx.node.attrs as Record<string, unknown>;
  const omit: string[] = [];
  for (const [name, since] of Object.entries(attrSince)) {
    if (ctx.opset >= since) continue;
    const v = attrs[name];
    if (v !== undefined && !sameAttrValue(v, specs[name]?.default) && !isNeutral(name, v)) {
      throw new OnnxExportError(`${ctx.site.op} '${ctx.site.node}': attribute ${name}=${JSON.stringify(v)} needs opset >= ${since}; the target opset is ${ctx.opset}`);
    }
    omit.push(name);
  }
  return omit;
}

/** Input names of the IR node, trailing omitted inputs dropped. */
export function inputNames<K extends OpName>(ctx: ExportContext<K>): string[] {
  const names = ctx.node.inputs.map((_, i) => ctx.input(i));
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  return names;
}

export function outputNames<K extends OpName>(ctx: ExportContext<K>): string[] {
  return ctx.node.outputs.map((_, i) => ctx.output(i));
}

/** Write the node as one ONNX node of the same type with its attributes 1:1 (minus `omit`). */
export function writeDefault<K extends OpName>(ctx: ExportContext<K>, omit: readonly string[] = []): void {
  ctx.addNode(ctx.node.op, inputNames(ctx), outputNames(ctx), ctx.attributes(omit), { name: ctx.node.name });
}

export function defaultAdapter<K extends OpName>(op: K, options: DefaultAdapterOptions = {}): OpAdapter<K> {
  const since = options.since ?? 1;
  return {
    since,
    // import-model.ts refuses nodes from opsets before `since`.
    importNode(ctx) {
      return ctx.emit(op, ctx.inputs, ctx.mapAttrs(op), ctx.outputNames);
    },
    exportNode(ctx) {
      checkSince(ctx, since);
      writeDefault(ctx, omitNewAttrs(ctx, options.attrSince ?? {}));
    },
  };
}
