// Filling op attributes from a partial set: ONNX defaults come from the op's spec (the only place they
// are written), required attributes must be given, unknown names are rejected.

import { ArgumentError, ErrorSite } from '../../core/errors.js';
import type { OpAttrs, OpName } from '../../ops/op-attrs.js';
import { opDef } from '../../ops/table.js';

export function completeAttrs<K extends OpName>(op: K, given: Partial<OpAttrs[K]>, site: ErrorSite): OpAttrs[K] {
  const specs = opDef(op).attrs as Record<string, { default?: unknown; required?: boolean }>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!(key in specs)) throw new ArgumentError(site, key, `one of the attributes {${Object.keys(specs).join(', ')}}`, `unknown attribute '${key}'`);
  }
  for (const [key, spec] of Object.entries(specs)) {
    const v = (given as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
    else if (spec.default !== undefined) out[key] = spec.default;
    else if (spec.required) throw new ArgumentError(site, key, 'a value (required attribute)', 'nothing');
  }
  return out as OpAttrs[K];
}
