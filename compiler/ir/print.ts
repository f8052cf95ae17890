// Text form of the IR, one line per node (DESIGN.md §3), for tests, error messages and `kiln inspect`:
//   %3:f32[2,3,4,5] = BatchNormalization[epsilon=1e-05] %0 %1 %2 %3 %4

import type { DType } from '../../core/dtype.js';
import type { HostTensor } from '../../core/tensor.js';
import type { AnyNode, Graph, TensorType, Value } from './types.js';

const SHORT: { readonly [D in DType]: string } = {
  float32: 'f32', float64: 'f64', float16: 'f16', bfloat16: 'bf16', int64: 'i64', int32: 'i32', int8: 'i8', uint8: 'u8', bool: 'bool',
};

export function printType(t: TensorType): string {
  return `${SHORT[t.dtype]}[${t.shape.join(',')}]`;
}

function printValue(v: Value): string {
  return `%${v.id}:${printType(v.type)}`;
}

function printAttr(v: unknown): string {
  if (Array.isArray(v)) return `[${v.join(',')}]`;
  // Floats at float32 precision (ONNX float attributes are float32).
  if (typeof v === 'number') {
    const short = Number.isInteger(v) ? v : Number(v.toPrecision(7));
    return short !== 0 && Math.abs(short) < 1e-3 ? short.toExponential().replace(/e([+-])(\d)$/, 'e$10$2') : String(short);
  }
  if (typeof v === 'object' && v !== null && 'dims' in v) return `tensor${printType({ dtype: (v as HostTensor).dtype, shape: (v as HostTensor).dims })}`;
  return JSON.stringify(v);
}

export function printNode(n: AnyNode): string {
  const attrs = Object.entries(n.attrs as object).filter(([, v]) => v !== undefined);
  const attrText = attrs.length ? `[${attrs.map(([k, v]) => `${k}=${printAttr(v)}`).join(', ')}]` : '';
  const ins = n.inputs.map((v) => (v ? `%${v.id}` : '_')).join(' ');
  return `${n.outputs.map(printValue).join(', ')} = ${n.op}${attrText} ${ins}  # ${n.name}`;
}

export function printGraph(g: Graph): string {
  const lines = [`graph ${g.name}(${g.inputs.map((v) => `${printValue(v)} '${v.name}'`).join(', ')})`];
  for (const [id, t] of g.initializers) lines.push(`  %${id}:${printType({ dtype: t.dtype, shape: t.dims })} = initializer`);
  for (const n of g.nodes) lines.push(`  ${printNode(n)}`);
  lines.push(`  return ${g.outputs.map((v) => `%${v.id}`).join(', ')}`);
  return lines.join('\n');
}
