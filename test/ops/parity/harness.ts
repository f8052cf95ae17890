// Shared harness of the single-node onnxruntime-node parity suites (DESIGN.md §8, third oracle): run one
// op on kiln's CPU backend and on onnxruntime-node, then compare output by output — floats within a
// tolerance, integers and bools exactly, dtypes and dims always exactly.

import { expect } from 'vitest';
import type { DType } from '../../../core/dtype.js';
import { fromFloat64, HostTensor, toFloat64 } from '../../../core/tensor.js';
import type { OpAttrs, OpName } from '../../../ops/op-attrs.js';
import { opDef } from '../../../ops/table.js';
import { expectClose, Tolerance } from '../../helpers/compare.js';
import { OrtAttr, ortAttrsOf, runOrtSingleNode } from '../../helpers/ort-single-node.js';
import { randomValues } from '../../helpers/random.js';
import { runSingleNode, SingleNodeInput, SingleNodeResult } from '../../helpers/single-node.js';

/** kiln against onnxruntime in float32: the acceptance tolerance. */
export const ORT_TOL: Tolerance = { rtol: 1e-4, atol: 1e-5 };
export const EXACT: Tolerance = { rtol: 0, atol: 0 };

/**
 * Tolerance of kiln against onnxruntime for results of `dtype`. float16: both round a float32
 * computation to half, so they may differ by one half ulp step (2⁻¹⁰ relative) plus float32 noise.
 */
export function parityTolerance(dtype: DType): Tolerance {
  switch (dtype) {
    case 'float32': return ORT_TOL;
    case 'float64': return { rtol: 1e-10, atol: 1e-12 };
    case 'float16':
    case 'bfloat16': return { rtol: 2e-3, atol: 1e-3 };
    default: return EXACT;
  }
}

/** The onnxruntime side of a case where it differs from the kiln side (ONNX input forms, attribute encodings). */
export interface OrtSide {
  /** ai.onnx opset; default: the opset whose semantics kiln's definition implements. */
  readonly opset?: number;
  /** Node inputs; default: the kiln inputs, with kiln constants as initializers. */
  readonly inputs?: readonly (HostTensor | undefined)[];
  /** Inputs fed as initializers; default: the kiln constants (only when `inputs` is not given). */
  readonly constantInputs?: readonly number[];
  /** ONNX attributes; default: ortAttrsOf(op, attrs). */
  readonly attrs?: Readonly<Record<string, OrtAttr>>;
}

export interface ParityCase<K extends OpName> {
  readonly op: K;
  /** kiln inputs in kiln's canonical IR form. */
  readonly inputs: readonly (HostTensor | SingleNodeInput | undefined)[];
  readonly attrs?: Partial<OpAttrs[K]>;
  /** Number of node outputs (all become graph outputs on both sides). */
  readonly outputs?: number;
  readonly ort?: OrtSide;
  /** Override the per-dtype tolerance (for every output). */
  readonly tol?: Tolerance;
}

export interface ParityResult extends SingleNodeResult {
  readonly ort: HostTensor[];
}

function asSpec(inp: HostTensor | SingleNodeInput | undefined): SingleNodeInput {
  return inp === undefined || 'dtype' in inp ? { tensor: inp } : inp;
}

/** Run the case on both sides without comparing. */
export async function runParity<K extends OpName>(c: ParityCase<K>): Promise<ParityResult> {
  const r = runSingleNode(c.op, c.inputs, c.attrs ?? {}, c.outputs ?? 1);
  const specs = c.inputs.map(asSpec);
  const ortInputs = c.ort?.inputs ?? specs.map((s) => s.tensor);
  const constantInputs = c.ort?.constantInputs ?? (c.ort?.inputs === undefined ? specs.flatMap((s, i) => (s.constant ? [i] : [])) : []);
  const ort = await runOrtSingleNode({
    op: c.op,
    opset: c.ort?.opset ?? opDef(c.op).version,
    inputs: ortInputs,
    constantInputs,
    attrs: c.ort?.attrs ?? ortAttrsOf(c.op, c.attrs ?? {}),
    // Declaring kiln's inferred output types makes onnxruntime's own type inference check them too.
    outputs: r.graph.outputs.map((v) => v.type.dtype),
  });
  return { ...r, ort };
}

/** Each kiln output matches onnxruntime's: same dtype, same dims, values within tolerance. */
export function expectMatchesOrt(r: ParityResult, tol?: Tolerance): void {
  r.kiln.forEach((k, i) => {
    const o = r.ort[i];
    const what = `output ${i}: kiln vs onnxruntime`;
    expect(k.dtype, `${what} dtype`).toBe(o.dtype);
    expectClose(k, toFloat64(o), tol ?? parityTolerance(k.dtype), what);
  });
}

/** Run a case on both sides and assert parity; returns the results for extra checks. */
export async function expectOrtParity<K extends OpName>(c: ParityCase<K>): Promise<ParityResult> {
  const r = await runParity(c);
  expectMatchesOrt(r, c.tol);
  return r;
}

/**
 * For cases onnxruntime cannot run or gets wrong (each call site says why): kiln against the float64
 * reference, at the f32 tolerance of DESIGN.md §8 (or the given one).
 */
export function expectMatchesReference<K extends OpName>(op: K, inputs: readonly (HostTensor | SingleNodeInput | undefined)[], attrs: Partial<OpAttrs[K]> = {}, outputs = 1, tol?: Tolerance): SingleNodeResult {
  const r = runSingleNode(op, inputs, attrs, outputs);
  r.kiln.forEach((k, i) => {
    const t = tol ?? (k.dtype === 'float32' ? ORT_TOL : parityTolerance(k.dtype));
    expectClose(k, r.reference[i], t, `output ${i}: kiln vs float64 reference`);
  });
  return r;
}

/** A constant (initializer) input on the kiln side. */
export function constant(t: HostTensor): SingleNodeInput {
  return { tensor: t, constant: true };
}

/** An int64 vector (shapes, axes). */
export function i64(values: readonly number[]): HostTensor<'int64'> {
  return fromFloat64('int64', [values.length], values);
}

/** Seeded booleans, about half true. */
export function randomBool(dims: readonly number[], seed: number): HostTensor<'bool'> {
  const n = dims.reduce((p, d) => p * d, 1);
  return fromFloat64('bool', dims, randomValues(n, { seed, low: 0, high: 1 }).map((v) => (v < 0.5 ? 0 : 1)));
}

/** Seeded integers in [low, high] (inclusive), optionally with zero replaced by `nonZero`. */
export function randomInts<D extends DType>(dtype: D, dims: readonly number[], seed: number, low: number, high: number, nonZero?: number): HostTensor<D> {
  const n = dims.reduce((p, d) => p * d, 1);
  const v = randomValues(n, { seed, low, high: high + 1 }).map((x) => {
    const k = Math.min(Math.floor(x), high);
    return nonZero !== undefined && k === 0 ? nonZero : k;
  });
  return fromFloat64(dtype, dims, v);
}
