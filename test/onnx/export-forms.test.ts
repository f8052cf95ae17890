// What export writes: the target opset's form of each argument (attribute or initializer input),
// BatchNormalization's explicit epsilon/momentum, IR versions and opset imports, symbolic dims as
// dim_param, and OnnxExportError for what a target opset cannot express.

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph } from '../../compiler/ir/types.js';
import { OnnxExportError } from '../../core/errors.js';
import { fromFloat64, hostTensor, toFloat64, toOrtTensor, fromOrtTensor } from '../../core/tensor.js';
import { exportModel, exportModelProto, importModel } from '../../compiler/onnx/index.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { expectClose } from '../helpers/compare.js';
import { randomTensor } from '../helpers/random.js';
import { graphCases } from './graph-cases.js';
import { onnx } from './proto-builder.js';

function single(build: (b: GraphBuilder, x: ReturnType<GraphBuilder['input']>) => ReturnType<GraphBuilder['op']>, dims: (number | string)[] = [2, 3, 4], dtype: 'float32' | 'int32' = 'float32'): Graph {
  const b = new GraphBuilder('single');
  const x = b.input('x', dtype, dims);
  return b.build([build(b, x)]);
}

function attrNames(p: ReturnType<typeof exportModelProto>, opType: string): string[] {
  return p.graph!.node!.find((n) => n.opType === opType)!.attribute!.map((a) => a.name!);
}

describe('argument forms per target opset', () => {
  it('ReduceSum axes: attribute at 11, int64 initializer input at 13', () => {
    const g = single((b, x) => b.op('ReduceSum', [x], { axes: [1], keepdims: 0 }, 'rs'));
    const at11 = exportModelProto(g, { opset: 11 }).graph!.node![0];
    expect(at11.input).toEqual(['x']);
    expect(at11.attribute!.map((a) => a.name)).toEqual(['keepdims', 'axes']);
    const at13 = exportModelProto(g, { opset: 13 });
    const axesName = at13.graph!.node![0].input![1];
    const init = at13.graph!.initializer!.find((t) => t.name === axesName)!;
    expect(init.dataType).toBe(7);
    expect(at13.graph!.node![0].attribute!.map((a) => a.name)).toEqual(['keepdims']);
  });

  it('negative axes are normalized below opset 11', () => {
    const g = single((b, x) => b.op('Unsqueeze', [x], { axes: [-1] }, 'u'));
    const a = exportModelProto(g, { opset: 9 }).graph!.node![0].attribute![0];
    expect([a.name, a.ints!.map(Number)]).toEqual(['axes', [3]]);
  });

  it('BatchNormalization always writes epsilon and momentum (training_mode from 14)', () => {
    const g = graphCases()[0].graph;
    expect(attrNames(exportModelProto(g, { opset: 9 }), 'BatchNormalization')).toEqual(['epsilon', 'momentum']);
    expect(attrNames(exportModelProto(g, { opset: 15 }), 'BatchNormalization')).toEqual(['epsilon', 'momentum', 'training_mode']);
  });

  it('type-mixed BatchNormalization gets Casts below opsets 15 (scale/B) and 14 (mean/var)', () => {
    const g = graphCases().find((c) => c.name === 'batchnorm-type-mix')!.graph;
    const casts = (opset: number): number => exportModelProto(g, { opset }).graph!.node!.filter((n) => n.opType === 'Cast').length;
    expect([casts(9), casts(14), casts(15)]).toEqual([4, 2, 0]);
  });

  it('training BatchNormalization names all three outputs even when the IR node has one', () => {
    const b = new GraphBuilder('bn1');
    const x = b.input('x', 'float32', [2, 3]);
    const p = (n: string, v: number) => b.initializer(n, fromFloat64('float32', [3], [v, v + 1, v + 2]));
    const [y] = b.node('BatchNormalization', [x, p('s', 1), p('b', 2), p('m', 3), p('v', 4)], { training_mode: 1 });
    const n = exportModelProto(b.build([y]), { opset: 14 }).graph!.node![0];
    expect(n.output!.length).toBe(3);
    expect(n.output!.every((o) => o !== '')).toBe(true);
  });
});

describe('model-level fields', () => {
  it('ir_version follows the opset; IR 3 lists initializers as inputs', () => {
    const g = graphCases()[0].graph;
    const ir = (opset: number): number => Number(exportModelProto(g, { opset }).irVersion);
    expect([ir(7), ir(9), ir(13), ir(14), ir(15), ir(21)]).toEqual([3, 4, 7, 7, 8, 10]);
    const p7 = exportModelProto(g, { opset: 7 });
    expect(p7.graph!.input!.map((v) => v.name)).toEqual(['x', ...p7.graph!.initializer!.map((t) => t.name)]);
    expect(exportModelProto(g, { opset: 9 }).graph!.input!.map((v) => v.name)).toEqual(['x']);
  });

  it('opset 7 files load in onnxruntime and match kiln', async () => {
    const c = graphCases()[0];
    const session = await ort.InferenceSession.create(exportModel(c.graph, { opset: 7 }), { logSeverityLevel: 3 });
    const res = await session.run({ x: toOrtTensor(c.feeds.x) });
    const want = new GraphSession(c.graph).runHost(c.feeds);
    const name = c.graph.outputs[0].name;
    expectClose(fromOrtTensor(res[name], name), toFloat64(want[name]), { rtol: 1e-4, atol: 1e-5 });
  });

  it('symbolic dims are written as dim_param', () => {
    const g = single((b, x) => b.op('Relu', [x]), ['batch', 3]);
    const dims = exportModelProto(g).graph!.input![0].type!.tensorType!.shape!.dim!;
    expect(dims.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 3]);
    const back = importModel(exportModel(g));
    expect(back.graph.inputs[0].type.shape).toEqual(['batch', 3]);
  });

  it('opset_import names ai.kiln only when a kiln op is kept', () => {
    const c = graphCases().find((g) => g.name.startsWith('moments'))!;
    const domains = (kilnOps: boolean): string[] => exportModelProto(c.graph, { kilnOps }).opsetImport!.map((o) => o.domain!);
    expect(domains(false)).toEqual(['']);
    expect(domains(true)).toEqual(['', 'ai.kiln']);
  });

  it('value names stay unique when adapters add initializers and nodes', () => {
    for (const c of graphCases()) {
      for (const opset of [9, 15]) {
        if (c.minOpset !== undefined && opset < c.minOpset) continue;
        const p = onnx.ModelProto.decode(exportModel(c.graph, { opset }));
        const produced = [...p.graph!.initializer!.map((t) => t.name), ...p.graph!.node!.flatMap((n) => n.output!.filter((o) => o !== ''))];
        expect(new Set(produced).size, `${c.name} at ${opset}`).toBe(produced.length);
        const nodeNames = p.graph!.node!.map((n) => n.name);
        expect(new Set(nodeNames).size, `${c.name} node names at ${opset}`).toBe(nodeNames.length);
      }
    }
  });
});

describe('what a target opset cannot express', () => {
  const cases: [string, Graph, number, RegExp][] = [
    ['Reshape allowzero=1 with a 0', single((b, x) => b.op('Reshape', [x, b.initializer('s', fromFloat64('int64', [3], [2, 0, 12]))], { allowzero: 1 }), [2, 0, 12]), 13, /allowzero=1/],
    ['Pad wrap', single((b, x) => b.op('Pad', [x], { pads: [0, 0, 1, 0, 0, 1], mode: 'wrap' })), 18, /wrap/],
    ['Shape start', single((b, x) => b.op('Shape', [x], { start: 1 })), 14, /start=1 needs opset >= 15/],
    ['integer Clip', single((b, x) => b.op('Clip', [x], { min: 0 }), [2, 3], 'int32'), 11, /int32 input needs opset >= 12/],
    ['bfloat16 Cast', single((b, x) => b.op('Cast', [x], { to: 'bfloat16' })), 12, /bfloat16 needs opset >= 13/],
    ['AveragePool dilations', single((b, x) => b.op('AveragePool', [x], { kernel_shape: [2], dilations: [2] })), 18, /dilations=\[2\] needs opset >= 19/],
    ['MaxPool ceil_mode', single((b, x) => b.op('MaxPool', [x], { kernel_shape: [2], ceil_mode: 1 })), 9, /ceil_mode=1 needs opset >= 10/],
    ['Slice steps', single((b, x) => b.op('Slice', [x], { starts: [0], ends: [4], axes: [2], steps: [2] })), 9, /steps \[2\] need opset >= 10/],
    ['HardSwish is fine (decomposed)', single((b, x) => b.op('HardSwish', [x])), 9, /^$/],
  ];
  it.each(cases)('%s', (_, g, opset, pattern) => {
    if (pattern.source === '^$') {
      expect(() => exportModel(g, { opset })).not.toThrow();
      return;
    }
    let caught: unknown;
    try {
      exportModel(g, { opset });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(OnnxExportError);
    expect((caught as Error).message).toMatch(pattern);
    expect(() => exportModel(g, { opset: 21 })).not.toThrow();
  });

  it('training BatchNormalization below opset 14', () => {
    const g = graphCases().find((c) => c.name === 'batchnorm-training')!.graph;
    expect(() => exportModel(g, { opset: 9 })).toThrow(/training_mode=1 needs opset >= 14/);
  });
});

describe('single-op export checks against onnxruntime at old opsets', () => {
  it('HardSwish at 9 (HardSigmoid·x), Softmax axis 0 at 11, Gemm without C at 9', async () => {
    const b = new GraphBuilder('mix');
    const x = b.input('x', 'float32', [3, 4]);
    const hs = b.op('HardSwish', [x], {}, 'hs');
    const sm = b.op('Softmax', [x], { axis: 0 }, 'sm');
    const gm = b.op('Gemm', [x, b.initializer('w', randomTensor('float32', [4, 2], { seed: 2 }))], { alpha: 2 }, 'gm');
    const g = b.build([hs, sm, gm]);
    const feeds = { x: randomTensor('float32', [3, 4], { seed: 1, low: -4, high: 4 }) };
    const want = new GraphSession(g).runHost(feeds);
    for (const opset of [9, 11]) {
      const session = await ort.InferenceSession.create(exportModel(g, { opset }), { logSeverityLevel: 3 });
      const res = await session.run({ x: toOrtTensor(feeds.x) });
      for (const v of g.outputs) expectClose(fromOrtTensor(res[v.name], v.name), toFloat64(want[v.name]), { rtol: 1e-4, atol: 1e-5 }, `${v.name} at ${opset}`);
    }
  });

  it('integer Clip bounds are written in the input type', async () => {
    const g = single((b, x) => b.op('Clip', [x], { min: -2, max: 3 }), [5], 'int32');
    const session = await ort.InferenceSession.create(exportModel(g, { opset: 13 }), { logSeverityLevel: 3 });
    const res = await session.run({ x: toOrtTensor(hostTensor('int32', [5], Int32Array.from([-9, -2, 0, 3, 7]))) });
    expect(Array.from(res[g.outputs[0].name].data as Int32Array)).toEqual([-2, -2, 0, 3, 3]);
  });
});
