// Malformed ONNX files give typed errors with useful messages, never a crash: truncated or garbage
// bytes, bad tensors, cycles, undefined inputs, unknown ops and attributes, dynamic inputs kiln needs
// as constants, bad opset imports.

import { describe, expect, it } from 'vitest';
import { KilnError, OnnxImportError, ShapeError, UnsupportedOpError } from '../../core/errors.js';
import { importModel } from '../../compiler/onnx/index.js';
import { mulberry32 } from '../helpers/random.js';
import { a, floatTensor, int64Tensor, modelBytes, ModelSpec, node, onnx, TYPE, valueInfo } from './proto-builder.js';

const x = valueInfo('x', TYPE.float, [2, 3]);
const y = valueInfo('y', TYPE.float, [2, 3]);

function good(): ModelSpec {
  return {
    opset: 15,
    inputs: [x],
    outputs: [y],
    initializers: [floatTensor('w', [2, 3], [1, 2, 3, 4, 5, 6])],
    nodes: [node('Add', ['x', 'w'], ['s'], {}, 'add'), node('Relu', ['s'], ['y'], {}, 'relu')],
  };
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

function importError(spec: ModelSpec): Error {
  return thrown(() => importModel(modelBytes(spec)));
}

describe('bytes that are not a model', () => {
  it('a valid model imports (control)', () => {
    expect(importModel(modelBytes(good())).graph.nodes.length).toBe(2);
  });

  it('truncated protobuf: every cut gives a typed error or a (shorter) valid model, never anything else', () => {
    const bytes = modelBytes(good());
    let onnxErrors = 0;
    for (let n = 1; n < bytes.length; n++) {
      try {
        importModel(bytes.slice(0, n));
      } catch (e) {
        expect(e, `cut at ${n}`).toBeInstanceOf(KilnError);
        if (e instanceof OnnxImportError) onnxErrors++;
      }
    }
    expect(onnxErrors).toBeGreaterThan(bytes.length / 2);
    const mid = thrown(() => importModel(bytes.slice(0, Math.floor(bytes.length / 2))));
    expect(mid).toBeInstanceOf(OnnxImportError);
    expect(mid.message).toMatch(/ONNX model/);
  });

  it('garbage bytes and empty input', () => {
    const rnd = mulberry32(7);
    for (let k = 0; k < 50; k++) {
      const junk = Uint8Array.from({ length: 64 + k }, () => Math.floor(rnd() * 256));
      expect(thrown(() => importModel(junk))).toBeInstanceOf(KilnError);
    }
    const e = thrown(() => importModel(new Uint8Array(0)));
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/empty/);
    const text = thrown(() => importModel(new TextEncoder().encode('this is not an onnx file at all')));
    expect(text).toBeInstanceOf(OnnxImportError);
  });
});

describe('bad tensors in a model', () => {
  it('initializer data length that does not match its dims', () => {
    const e = importError({ ...good(), initializers: [floatTensor('w', [2, 3], [1, 2, 3, 4, 5])] });
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/initializer 'w': float_data holds 5 elements, expected 6 elements for dims \[2,3\]/);
  });

  it('negative dims in an initializer and in a graph input', () => {
    const e = importError({ ...good(), initializers: [{ ...floatTensor('w', [2, 3], [1, 2, 3, 4, 5, 6]), dims: [-2, -3] }] });
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/initializer 'w': dim 0 is -2/);
    const f = importError({ ...good(), inputs: [valueInfo('x', TYPE.float, [2, -3])] });
    expect(f).toBeInstanceOf(OnnxImportError);
    expect(f.message).toMatch(/graph input 'x': dim 1 is -3/);
  });

  it('a graph input with an unsupported type or without a shape', () => {
    expect(importError({ ...good(), inputs: [valueInfo('x', 8, [2, 3])] }).message).toMatch(/graph input 'x'.*STRING \(code 8\)/);
    expect(importError({ ...good(), inputs: [valueInfo('x', TYPE.float, undefined)] }).message).toMatch(/graph input 'x': has no shape/);
  });
});

describe('bad graphs', () => {
  it('a cycle names the nodes on it', () => {
    const e = importError({
      ...good(),
      nodes: [node('Add', ['x', 'b'], ['a'], {}, 'first'), node('Relu', ['a'], ['b'], {}, 'second'), node('Relu', ['b'], ['y'], {}, 'out')],
    });
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/cycle/);
    expect(e.message).toMatch(/Add 'first'/);
    expect(e.message).toMatch(/Relu 'second'/);
  });

  it('nodes out of order are sorted', () => {
    const spec = good();
    const { graph } = importModel(modelBytes({ ...spec, nodes: [...spec.nodes].reverse() }));
    expect(graph.nodes.map((n) => n.name)).toEqual(['add', 'relu']);
  });

  it('an input that is never defined names the node and the input', () => {
    const e = importError({ ...good(), nodes: [node('Add', ['x', 'ghost'], ['s'], {}, 'add'), node('Relu', ['s'], ['y'], {}, 'relu')] });
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/Add node 'add': input 'ghost' is never defined/);
  });

  it('an unknown op names type, domain, opset and node', () => {
    const e = importError({ ...good(), nodes: [node('FancyOp', ['x'], ['y'], {}, 'fancy')] });
    expect(e).toBeInstanceOf(UnsupportedOpError);
    expect(e.message).toBe("unsupported op ai.onnx::FancyOp opset 15 at node 'fancy'");
    const custom = importError({ ...good(), nodes: [node('Gelu', ['x'], ['y'], {}, 'g', 'com.example')], extraOpsets: [{ domain: 'com.example', version: 3 }] });
    expect(custom).toBeInstanceOf(UnsupportedOpError);
    expect(custom.message).toBe("unsupported op com.example::Gelu opset 3 at node 'g'");
  });

  it('an op newer than the model opset is unsupported there', () => {
    const e = importError({ ...good(), opset: 13, nodes: [node('HardSwish', ['x'], ['y'], {}, 'hs')] });
    expect(e).toBeInstanceOf(UnsupportedOpError);
    expect(e.message).toMatch(/ai.onnx::HardSwish opset 13 at node 'hs': HardSwish does not exist before opset 14/);
  });

  it('unknown attributes and attributes of the wrong type', () => {
    const e = importError({ ...good(), nodes: [node('Add', ['x', 'w'], ['s'], {}, 'add'), node('Relu', ['s'], ['y'], { alpha: a.float(0.1) }, 'relu')] });
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/Relu node 'relu': unknown attribute 'alpha' at opset 15/);
    const t = importError({ ...good(), nodes: [node('Softmax', ['x'], ['y'], { axis: a.float(1) }, 'sm')] });
    expect(t).toBeInstanceOf(OnnxImportError);
    expect(t.message).toMatch(/Softmax node 'sm': attribute 'axis' expected INT, got FLOAT/);
  });

  it('a dynamic value where kiln needs a constant', () => {
    const e = importError({
      opset: 13,
      inputs: [x, valueInfo('axes', TYPE.int64, [1])],
      outputs: [valueInfo('y', TYPE.float, [2])],
      nodes: [node('ReduceSum', ['x', 'axes'], ['y'], { keepdims: a.int(0) }, 'rs')],
    });
    expect(e).toBeInstanceOf(UnsupportedOpError);
    expect(e.message).toMatch(/ai.onnx::ReduceSum opset 13 at node 'rs': input 'axes' \('axes'\) is computed at run time/);
  });

  it('shape errors from inference stay typed', () => {
    const e = importError({ ...good(), initializers: [floatTensor('w', [4], [1, 2, 3, 4])] });
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/Add 'add'/);
  });

  it('two producers of one value, a graph output never defined', () => {
    const dup = importError({ ...good(), nodes: [node('Relu', ['x'], ['y'], {}, 'r1'), node('Abs', ['x'], ['y'], {}, 'r2')] });
    expect(dup.message).toMatch(/Abs node 'r2': output 'y' is also produced by Relu node 'r1'/);
    const none = importError({ ...good(), outputs: [valueInfo('nowhere', TYPE.float, [2, 3])] });
    expect(none.message).toMatch(/graph output 'nowhere' is never defined/);
  });

  it('opset imports: missing default domain, too new', () => {
    const bytes = modelBytes(good());
    const noDefault = thrown(() => importModel({ ...onnx.ModelProto.decode(bytes), opsetImport: [{ domain: 'ai.kiln', version: 1 }] }));
    expect(noDefault.message).toMatch(/no entry for the default domain/);
    const tooNew = thrown(() => importModel(modelBytes({ ...good(), opset: 99 })));
    expect(tooNew.message).toMatch(/opset 99 is outside/);
  });

  it('int64 constants from an int64 initializer drive inputs-as-attributes', () => {
    const { graph } = importModel(modelBytes({
      opset: 13,
      inputs: [x],
      outputs: [valueInfo('y', TYPE.float, [2])],
      initializers: [int64Tensor('axes', [1])],
      nodes: [node('ReduceSum', ['x', 'axes'], ['y'], { keepdims: a.int(0) }, 'rs')],
    }));
    expect(graph.nodes[0].attrs).toMatchObject({ axes: [1], keepdims: 0 });
  });
});
