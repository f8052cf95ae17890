// BatchNormalization imported from hand-built ModelProtos at opsets 6, 7 (spatial 1 and 0), 9, 14 and 15,
// inference and training, checked against an independent float64 formula (bn-oracle.ts) and, where
// onnxruntime has a kernel for the form, against onnxruntime too.

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { OnnxImportError, UnsupportedOpError } from '../../core/errors.js';
import { floatToBfloat16, floatToHalf } from '../../core/half.js';
import { fromOrtTensor, hostTensor, HostTensor } from '../../core/tensor.js';
import { importModel } from '../../compiler/onnx/index.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { expectClose, hostValues, toleranceFor } from '../helpers/compare.js';
import { randomValues } from '../helpers/random.js';
import { onnxBatchNorm, OnnxBnResult } from './bn-oracle.js';
import { a, Attr, modelBytes, node, TYPE, valueInfo } from './proto-builder.js';

const DIMS = [3, 2, 2, 3]; // N, C, H, W
const C = DIMS[1];
const SPATIAL = DIMS[2] * DIMS[3];
const X = Array.from(randomValues(DIMS.reduce((p, d) => p * d, 1), { seed: 1, offset: 4 }), Math.fround);
const f32 = (v: ArrayLike<number>): number[] => Array.from(v, Math.fround);
// Distinct parameter values (DESIGN.md §7: shared buffers confuse onnxruntime's training kernel).
const P = {
  scale: f32([0.75, 1.25]),
  bias: f32([0.1, -0.3]),
  mean: f32([3.9, 4.2]),
  variance: f32([0.3, 0.45]),
};
const EPS = 1e-3;
const MOMENTUM = 0.8;

type ElemType = (typeof TYPE)[keyof typeof TYPE];

/** A TensorProto of `type` from float values, written without kiln's codec (half types as int32_data bits). */
function tensor(name: string, type: ElemType, dims: readonly number[], values: ArrayLike<number>): OnnxTypes.ITensorProto {
  const v = Array.from(values);
  switch (type) {
    case TYPE.float: return { name, dataType: type, dims: [...dims], floatData: v };
    case TYPE.double: return { name, dataType: type, dims: [...dims], doubleData: v };
    case TYPE.float16: return { name, dataType: type, dims: [...dims], int32Data: v.map(floatToHalf) };
    case TYPE.bfloat16: return { name, dataType: type, dims: [...dims], int32Data: v.map(floatToBfloat16) };
    default: throw new Error(`test helper: type ${type}`);
  }
}

function hostOf(type: ElemType, dims: readonly number[], values: readonly number[]): HostTensor {
  switch (type) {
    case TYPE.float: return hostTensor('float32', dims, Float32Array.from(values));
    case TYPE.double: return hostTensor('float64', dims, Float64Array.from(values));
    case TYPE.float16: return hostTensor('float16', dims, Uint16Array.from(values, floatToHalf));
    case TYPE.bfloat16: return hostTensor('bfloat16', dims, Uint16Array.from(values, floatToBfloat16));
    default: throw new Error(`test helper: type ${type}`);
  }
}

interface BnModel {
  readonly opset: number;
  readonly outputs: readonly string[];
  readonly attrs: Record<string, Attr>;
  readonly xType?: ElemType;
  readonly paramType?: ElemType;
  readonly statType?: ElemType;
  readonly paramDims?: readonly number[];
  readonly params?: { scale: number[]; bias: number[]; mean: number[]; variance: number[] };
}

function bnModel(m: BnModel): Uint8Array {
  const xType = m.xType ?? TYPE.float;
  const pt = m.paramType ?? xType;
  const st = m.statType ?? pt;
  const pd = m.paramDims ?? [C];
  const p = m.params ?? P;
  const statOut = (name: string, i: number): OnnxTypes.IValueInfoProto => valueInfo(name, i === 0 ? xType : i <= 2 ? st : xType, i === 0 ? DIMS : [C]);
  return modelBytes({
    opset: m.opset,
    inputs: [valueInfo('x', xType, DIMS)],
    outputs: m.outputs.map((name, i) => ({ name, i })).filter(({ name }) => name !== '').map(({ name, i }) => statOut(name, i)),
    initializers: [tensor('scale', pt, pd, p.scale), tensor('B', pt, pd, p.bias), tensor('mean', st, pd, p.mean), tensor('var', st, pd, p.variance)],
    nodes: [node('BatchNormalization', ['x', 'scale', 'B', 'mean', 'var'], m.outputs, m.attrs, 'bn')],
  });
}

function runKiln(bytes: Uint8Array, xType: ElemType = TYPE.float): Record<string, HostTensor> {
  const { graph } = importModel(bytes);
  return new GraphSession(graph).runHost({ x: hostOf(xType, DIMS, X) });
}

async function runOrt(bytes: Uint8Array): Promise<Record<string, HostTensor>> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const res = await session.run({ x: new ort.Tensor('float32', Float32Array.from(X), DIMS) });
  return Object.fromEntries(Object.entries(res).map(([k, t]) => [k, fromOrtTensor(t, k)]));
}

const oracle = (training: boolean, perActivation = false, params = P): OnnxBnResult =>
  onnxBatchNorm({ x: X, dims: DIMS, ...params, epsilon: EPS, momentum: MOMENTUM, training, perActivation });

const t64 = (dims: readonly number[], data: Float64Array): { dims: readonly number[]; data: Float64Array } => ({ dims, data });

const epsMomentum = { epsilon: a.float(EPS), momentum: a.float(MOMENTUM) };

describe('BatchNormalization-6 (is_test, spatial; onnxruntime has no BN-6 kernel: float64 oracle only)', () => {
  it('is_test=1 is inference', () => {
    const out = runKiln(bnModel({ opset: 6, outputs: ['y'], attrs: { ...epsMomentum, is_test: a.int(1), spatial: a.int(1) } }));
    expectClose(out.y, t64(DIMS, oracle(false).y));
  });

  it('is_test=0 (the default) is training, with running and saved statistics', () => {
    const out = runKiln(bnModel({ opset: 6, outputs: ['y', 'rm', 'rv', 'sm', 'sv'], attrs: { ...epsMomentum, consumed_inputs: a.ints([0, 0, 0, 1, 1]) } }));
    const o = oracle(true);
    expectClose(out.y, t64(DIMS, o.y), undefined, 'y');
    expectClose(out.rm, t64([C], o.runningMean), undefined, 'running mean');
    expectClose(out.rv, t64([C], o.runningVar), undefined, 'running var');
    // saved_var is the batch (population) variance: ONNX's "saved variance", as onnx/reference computes it.
    expectClose(out.sm, t64([C], o.batchMean), undefined, 'saved mean');
    expectClose(out.sv, t64([C], o.batchVar), undefined, 'saved var');
  });

  it('is_test=1 with training outputs is an error', () => {
    expect(() => runKiln(bnModel({ opset: 6, outputs: ['y', 'rm'], attrs: { is_test: a.int(1) } }))).toThrow(/only defined in training mode/);
  });
});

describe('BatchNormalization-7 (spatial)', () => {
  it('spatial=1 inference matches the oracle and onnxruntime', async () => {
    const bytes = bnModel({ opset: 7, outputs: ['y'], attrs: { ...epsMomentum, spatial: a.int(1) } });
    const out = runKiln(bytes);
    expectClose(out.y, t64(DIMS, oracle(false).y));
    expectClose((await runOrt(bytes)).y, t64(DIMS, oracle(false).y), { rtol: 1e-4, atol: 1e-5 }, 'onnxruntime');
  });

  it('spatial=0 inference uses per-activation parameters [C, H, W]', async () => {
    const pd = [C, DIMS[2], DIMS[3]];
    const n = C * SPATIAL;
    const params = {
      scale: f32(randomValues(n, { seed: 2, low: 0.5, high: 1.5 })),
      bias: f32(randomValues(n, { seed: 3 })),
      mean: f32(randomValues(n, { seed: 4, low: 3.5, high: 4.5 })),
      variance: f32(randomValues(n, { seed: 5, low: 0.2, high: 1 })),
    };
    const bytes = bnModel({ opset: 7, outputs: ['y'], attrs: { ...epsMomentum, spatial: a.int(0) }, paramDims: pd, params });
    const { graph } = importModel(bytes);
    expect(graph.nodes.map((nd) => nd.op)).toEqual(['Sub', 'Add', 'Sqrt', 'Div', 'Mul', 'Add']);
    const out = runKiln(bytes);
    expectClose(out.y, t64(DIMS, oracle(false, true, params).y));
  });

  it('spatial=0 training is unsupported', () => {
    const bytes = bnModel({ opset: 7, outputs: ['y', 'rm', 'rv'], attrs: { spatial: a.int(0) } });
    expect(() => importModel(bytes)).toThrow(UnsupportedOpError);
    expect(() => importModel(bytes)).toThrow(/training with spatial=0/);
  });

  it('extra outputs signal training (Y, mean, var, saved_mean, saved_var)', () => {
    const out = runKiln(bnModel({ opset: 7, outputs: ['y', 'rm', 'rv', '', 'sv'], attrs: epsMomentum }));
    const o = oracle(true);
    expectClose(out.y, t64(DIMS, o.y), undefined, 'y');
    expectClose(out.rv, t64([C], o.runningVar), undefined, 'running var');
    expectClose(out.sv, t64([C], o.batchVar), undefined, 'saved var');
  });
});

describe('BatchNormalization-9', () => {
  it('inference matches the oracle and onnxruntime', async () => {
    const bytes = bnModel({ opset: 9, outputs: ['y'], attrs: epsMomentum });
    expectClose(runKiln(bytes).y, t64(DIMS, oracle(false).y));
    expectClose((await runOrt(bytes)).y, t64(DIMS, oracle(false).y), { rtol: 1e-4, atol: 1e-5 }, 'onnxruntime');
  });

  it('training via outputs (Y, mean, var) matches the oracle', () => {
    const out = runKiln(bnModel({ opset: 9, outputs: ['y', 'rm', 'rv'], attrs: epsMomentum }));
    const o = oracle(true);
    expectClose(out.y, t64(DIMS, o.y), undefined, 'y');
    expectClose(out.rm, t64([C], o.runningMean), undefined, 'running mean');
    expectClose(out.rv, t64([C], o.runningVar), undefined, 'running var');
  });

  it('spatial is no longer an attribute', () => {
    expect(() => importModel(bnModel({ opset: 9, outputs: ['y'], attrs: { spatial: a.int(1) } }))).toThrow(OnnxImportError);
  });
});

describe('BatchNormalization-14 (training_mode)', () => {
  it('training_mode=1 matches the oracle and onnxruntime (running outputs wired as graph outputs)', async () => {
    const bytes = bnModel({ opset: 14, outputs: ['y', 'rm', 'rv'], attrs: { ...epsMomentum, training_mode: a.int(1) } });
    const o = oracle(true);
    const k = runKiln(bytes);
    const r = await runOrt(bytes);
    for (const [name, dims, want] of [['y', DIMS, o.y], ['rm', [C], o.runningMean], ['rv', [C], o.runningVar]] as const) {
      expectClose(k[name], t64(dims, want), undefined, `kiln ${name}`);
      expectClose(r[name], t64(dims, want), { rtol: 1e-4, atol: 1e-5 }, `onnxruntime ${name}`);
    }
  });

  it("empty-named outputs ['y', '', ''] are unused outputs (not given to onnxruntime, which crashes on them)", () => {
    const out = runKiln(bnModel({ opset: 14, outputs: ['y', '', ''], attrs: { ...epsMomentum, training_mode: a.int(1) } }));
    expectClose(out.y, t64(DIMS, oracle(true).y));
  });

  it('training_mode=0 with extra outputs is an error', () => {
    expect(() => importModel(bnModel({ opset: 14, outputs: ['y', 'rm', 'rv'], attrs: { training_mode: a.int(0) } }))).toThrow(/only defined in training mode/);
  });

  it('mean/var of their own type (U = float64)', () => {
    const out = runKiln(bnModel({ opset: 14, outputs: ['y', 'rm', 'rv'], attrs: { ...epsMomentum, training_mode: a.int(1) }, statType: TYPE.double, paramType: TYPE.float }));
    expect(out.rm.dtype).toBe('float64');
    expectClose(out.rm, t64([C], oracle(true).runningMean), toleranceFor('float32'));
  });
});

describe('BatchNormalization-15 (T, T1, T2)', () => {
  it('float32 inference matches the oracle and onnxruntime', async () => {
    const bytes = bnModel({ opset: 15, outputs: ['y'], attrs: epsMomentum });
    expectClose(runKiln(bytes).y, t64(DIMS, oracle(false).y));
    expectClose((await runOrt(bytes)).y, t64(DIMS, oracle(false).y), { rtol: 1e-4, atol: 1e-5 }, 'onnxruntime');
  });

  it('float16 X with float32 scale/B and float64 mean/var', () => {
    const out = runKiln(bnModel({ opset: 15, outputs: ['y', 'rm', 'rv'], attrs: { ...epsMomentum, training_mode: a.int(1) }, xType: TYPE.float16, paramType: TYPE.float, statType: TYPE.double }), TYPE.float16);
    expect([out.y.dtype, out.rm.dtype]).toEqual(['float16', 'float64']);
    // The oracle sees X rounded to float16, as kiln does.
    const o = onnxBatchNorm({ x: Array.from(hostValuesOf(TYPE.float16, X)), dims: DIMS, ...P, epsilon: EPS, momentum: MOMENTUM, training: true });
    expectClose(out.y, t64(DIMS, o.y), toleranceFor('float16'), 'y');
    expectClose(out.rm, t64([C], o.runningMean), toleranceFor('float32'), 'running mean');
  });

  it('bfloat16 inference (onnxruntime has no bfloat16 kernel: float64 oracle only)', () => {
    const out = runKiln(bnModel({ opset: 15, outputs: ['y'], attrs: epsMomentum, xType: TYPE.bfloat16, paramType: TYPE.float }), TYPE.bfloat16);
    expect(out.y.dtype).toBe('bfloat16');
    const o = onnxBatchNorm({ x: Array.from(hostValuesOf(TYPE.bfloat16, X)), dims: DIMS, ...P, epsilon: EPS, momentum: MOMENTUM, training: false });
    expectClose(out.y, t64(DIMS, o.y), toleranceFor('bfloat16'));
  });
});

function hostValuesOf(type: ElemType, values: readonly number[]): Float64Array {
  return hostValues(hostOf(type, [values.length], values));
}
