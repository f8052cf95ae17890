// Hand-built ONNX models around BatchNormalization folds for the compile and inspect CLI tests:
// Conv → BN → Relu, Gemm → BN, BN after an Add, a BN whose producer output has two users, and a
// training-mode BN. Parameter values are distinct (DESIGN.md §7: onnxruntime's shared-buffer trap).

import { onnx, type OnnxTypes } from '../../compiler/onnx/proto.js';
import type { HostTensor } from '../../core/tensor.js';
import { randomTensor } from '../helpers/random.js';
import { modelBytes } from './onnx-models.js';

const FLOAT = onnx.AttributeProto.AttributeType.FLOAT;
const INT = onnx.AttributeProto.AttributeType.INT;
const INTS = onnx.AttributeProto.AttributeType.INTS;

const f32 = (name: string, dims: readonly number[], seed: number, low = -1, high = 1): { name: string; tensor: HostTensor } => ({
  name,
  tensor: randomTensor('float32', dims, { seed, low, high }),
});

/** BatchNormalization `name` over C channels reading `x`, writing `outputs`. */
function bnNode(name: string, x: string, outputs: readonly string[], trainingMode = 0): OnnxTypes.INodeProto {
  return {
    opType: 'BatchNormalization', name, input: [x, `${name}_scale`, `${name}_B`, `${name}_mean`, `${name}_var`], output: [...outputs],
    attribute: [
      { name: 'epsilon', type: FLOAT, f: 1e-5 },
      { name: 'momentum', type: FLOAT, f: 0.9 },
      ...(trainingMode === 0 ? [] : [{ name: 'training_mode', type: INT, i: trainingMode }]),
    ],
  };
}

function bnParams(name: string, c: number, seed: number): { name: string; tensor: HostTensor }[] {
  return [
    f32(`${name}_scale`, [c], seed, 0.5, 1.5),
    f32(`${name}_B`, [c], seed + 1, -1, 1),
    f32(`${name}_mean`, [c], seed + 2, -0.5, 0.5),
    f32(`${name}_var`, [c], seed + 3, 0.3, 2),
  ];
}

function convNode(name: string, x: string, y: string, pads = 1): OnnxTypes.INodeProto {
  return {
    opType: 'Conv', name, input: [x, `${name}_W`, `${name}_B`], output: [y],
    attribute: [{ name: 'pads', type: INTS, ints: [pads, pads, pads, pads] }],
  };
}

function convParams(name: string, cout: number, cin: number, k: number, seed: number): { name: string; tensor: HostTensor }[] {
  return [f32(`${name}_W`, [cout, cin, k, k], seed), f32(`${name}_B`, [cout], seed + 1)];
}

export function convBnRelu(): Uint8Array {
  return modelBytes({
    inputs: [{ name: 'x', dtype: 'float32', dims: ['N', 3, 8, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: ['N', 4, 8, 8] }],
    nodes: [convNode('conv', 'x', 'c'), bnNode('bn', 'c', ['b']), { opType: 'Relu', name: 'relu', input: ['b'], output: ['y'] }],
    initializers: [...convParams('conv', 4, 3, 3, 10), ...bnParams('bn', 4, 20)],
  });
}

export function gemmBn(): Uint8Array {
  return modelBytes({
    inputs: [{ name: 'x', dtype: 'float32', dims: ['N', 6] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: ['N', 5] }],
    nodes: [
      { opType: 'Gemm', name: 'gemm', input: ['x', 'W', 'C'], output: ['g'], attribute: [{ name: 'transB', type: INT, i: 1 }] },
      bnNode('bn', 'g', ['y']),
    ],
    initializers: [f32('W', [5, 6], 30), f32('C', [5], 31), ...bnParams('bn', 5, 40)],
  });
}

/** Add → BN → `tail`: Relu (the BN becomes Sub/Mul/Add) or an unpadded 1×1 Conv (folded forward). */
export function bnAfterAdd(tail: 'relu' | 'conv'): Uint8Array {
  const tailNode: OnnxTypes.INodeProto = tail === 'relu' ? { opType: 'Relu', name: 'relu', input: ['b'], output: ['y'] } : convNode('conv', 'b', 'y', 0);
  return modelBytes({
    inputs: [{ name: 'x1', dtype: 'float32', dims: ['N', 4, 5, 5] }, { name: 'x2', dtype: 'float32', dims: ['N', 4, 5, 5] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: ['N', tail === 'relu' ? 4 : 3, 5, 5] }],
    nodes: [{ opType: 'Add', name: 'add', input: ['x1', 'x2'], output: ['s'] }, bnNode('bn', 's', ['b']), tailNode],
    initializers: [...bnParams('bn', 4, 50), ...(tail === 'conv' ? convParams('conv', 3, 4, 1, 60) : [])],
  });
}

/** Conv whose output feeds the BN and a Relu (both graph outputs): the BN must not fold into the Conv. */
export function producerWithTwoUsers(): Uint8Array {
  return modelBytes({
    inputs: [{ name: 'x', dtype: 'float32', dims: ['N', 3, 6, 6] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: ['N', 4, 6, 6] }, { name: 'r', dtype: 'float32', dims: ['N', 4, 6, 6] }],
    nodes: [convNode('conv', 'x', 'c'), bnNode('bn', 'c', ['y']), { opType: 'Relu', name: 'relu', input: ['c'], output: ['r'] }],
    initializers: [...convParams('conv', 4, 3, 3, 70), ...bnParams('bn', 4, 80)],
  });
}

/** Conv → training-mode BN with its running statistics wired as graph outputs (DESIGN.md §7). */
export function trainingModeBn(): Uint8Array {
  return modelBytes({
    inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3, 5, 5] }],
    outputs: [
      { name: 'y', dtype: 'float32', dims: [2, 4, 5, 5] },
      { name: 'running_mean', dtype: 'float32', dims: [4] },
      { name: 'running_var', dtype: 'float32', dims: [4] },
    ],
    nodes: [convNode('conv', 'x', 'c'), bnNode('bn', 'c', ['y', 'running_mean', 'running_var'], 1)],
    initializers: [...convParams('conv', 4, 3, 3, 90), ...bnParams('bn', 4, 100)],
  });
}
