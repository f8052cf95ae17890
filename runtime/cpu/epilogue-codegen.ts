// Renders a routine's fused epilogue (DESIGN.md §5) to JavaScript: a function that applies the
// epilogue expression to a contiguous run of output elements as the routine stores them, with the
// extra operands broadcast against the epilogue dims. Source is printable; compiled functions are
// cached by epilogue object and by source text.

import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../../core/half.js';
import type { Epilogue } from '../../ops/kernel-ir.js';
import { loopNest, PRELUDE, renderExpr } from './elementwise-codegen.js';
import type { FloatArray } from './routines/types.js';

/**
 * out[outOff + t] = epilogue(src[srcOff + t], extras at flat output index outOff + t) for t < len.
 * `extras` are the epilogue's operands 1.. (already widened to float arrays by the backend).
 */
export type EpilogueFn = (src: FloatArray, srcOff: number, out: FloatArray, outOff: number, len: number, extras: readonly FloatArray[]) => void;

export function renderEpilogue(e: Epilogue): string {
  const extras = e.operands.slice(1);
  const { dims, strides } = loopNest({ operands: extras, outDims: e.operands[0].dims });
  const q = dims.length;
  const lines: string[] = [PRELUDE];
  extras.forEach((_, j) => lines.push(`const e${j + 1} = extras[${j}];`));
  const expr = renderExpr(e.expr);
  if (q === 0) {
    // A single element: every operand is read at offset 0.
    lines.push('for (let k = 0; k < len; k++) {');
    lines.push('  const x0 = src[srcOff + k];');
    extras.forEach((_, j) => lines.push(`  const x${j + 1} = e${j + 1}[0];`));
    lines.push(`  out[outOff + k] = ${expr};`);
    lines.push('}');
    return lines.join('\n');
  }
  const inner = q - 1;
  // Coordinates of outOff over the merged dims, then each extra operand's offset there.
  lines.push('let rem = outOff;');
  for (let d = inner; d >= 0; d--) lines.push(`let c${d} = rem % ${dims[d]}; rem = (rem - c${d}) / ${dims[d]};`);
  extras.forEach((_, j) => {
    const terms = strides[j].map((s, d) => (s === 0 ? '' : ` + c${d} * ${s}`)).join('');
    lines.push(`let p${j + 1} = 0${terms};`);
  });
  lines.push('let t = 0;');
  lines.push('while (t < len) {');
  lines.push(`  const run = Math.min(len - t, ${dims[inner]} - c${inner});`);
  lines.push('  const s = srcOff + t;');
  lines.push('  const o = outOff + t;');
  lines.push('  for (let k = 0; k < run; k++) {');
  lines.push('    const x0 = src[s + k];');
  extras.forEach((_, j) => {
    const st = strides[j][inner];
    lines.push(`    const x${j + 1} = e${j + 1}[p${j + 1}${st === 0 ? '' : st === 1 ? ' + k' : ` + k * ${st}`}];`);
  });
  lines.push(`    out[o + k] = ${expr};`);
  lines.push('  }');
  lines.push('  t += run;');
  lines.push(`  c${inner} += run;`);
  extras.forEach((_, j) => {
    const st = strides[j][inner];
    if (st !== 0) lines.push(`  p${j + 1} += run * ${st};`);
  });
  // Carry into the outer axes (an odometer); the outermost never needs to wrap.
  let indent = '  ';
  const opened: string[] = [];
  for (let d = inner; d >= 1; d--) {
    lines.push(`${indent}if (c${d} === ${dims[d]}) {`);
    opened.push(indent);
    indent += '  ';
    lines.push(`${indent}c${d} = 0;`);
    extras.forEach((_, j) => {
      const back = strides[j][d] * dims[d];
      const step = strides[j][d - 1];
      const delta = step - back;
      if (delta !== 0) lines.push(`${indent}p${j + 1} += ${delta};`);
    });
    lines.push(`${indent}c${d - 1}++;`);
  }
  for (const ind of opened.reverse()) lines.push(`${ind}}`);
  lines.push('}');
  return lines.join('\n');
}

const byObject = new WeakMap<Epilogue, EpilogueFn>();
const bySource = new Map<string, EpilogueFn>();

export function compileEpilogue(e: Epilogue): EpilogueFn {
  let fn = byObject.get(e);
  if (fn !== undefined) return fn;
  const src = renderEpilogue(e);
  fn = bySource.get(src);
  if (fn === undefined) {
    const make = new Function('h2f', 'bf2f', 'f2h', 'f2bf', `return (src, srcOff, out, outOff, len, extras) => {\n${src}\n};`) as (
      ...helpers: ((x: number) => number)[]
    ) => EpilogueFn;
    fn = make(halfToFloat, bfloat16ToFloat, floatToHalf, floatToBfloat16);
    bySource.set(src, fn);
  }
  byObject.set(e, fn);
  return fn;
}
