// Single-node parity with onnxruntime-node for the layout ops: Reshape (0 copies a dim, −1 infers one,
// allowzero; the shape as a constant input on both sides), Transpose (default and explicit perms, ranks
// 1–5) and Flatten (every axis, negative included), over float and integer dtypes. Results are exact.

import { describe, expect, it } from 'vitest';
import type { DType } from '../../../core/dtype.js';
import type { HostTensor } from '../../../core/tensor.js';
import { A } from '../../helpers/ort-single-node.js';
import { randomTensor } from '../../helpers/random.js';
import { constant, EXACT, expectOrtParity, i64, randomBool, randomInts } from './harness.js';

const DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'int64', 'int32', 'bool'];

function data(dtype: DType, dims: readonly number[], seed: number): HostTensor {
  if (dtype === 'bool') return randomBool(dims, seed);
  if (dtype === 'int32' || dtype === 'int64') return randomInts(dtype, dims, seed, -1000, 1000);
  return randomTensor(dtype, dims, { seed, low: -10, high: 10 });
}

/** [name, data dims, shape input, allowzero, expected dims]. */
type ReshapeCase = readonly [string, readonly number[], readonly number[], 0 | 1, readonly number[]];

const RESHAPES: readonly ReshapeCase[] = [
  ['plain', [2, 3, 4], [4, 6], 0, [4, 6]],
  ['-1 infers the last dim', [2, 3, 4], [3, -1], 0, [3, 8]],
  ['-1 infers the first dim', [2, 3, 4], [-1, 2], 0, [12, 2]],
  ['0 copies dim 0', [2, 3, 4], [0, -1], 0, [2, 12]],
  ['0 copies inner dims', [2, 3, 4, 5], [0, 0, -1], 0, [2, 3, 20]],
  ['0 and -1 with a new axis', [2, 3, 4], [0, 1, -1, 2], 0, [2, 1, 6, 2]],
  ['flatten to 1-D', [2, 3, 4], [-1], 0, [24]],
  ['to a scalar', [1, 1], [], 0, []],
  ['from a scalar', [], [1, 1, 1], 0, [1, 1, 1]],
  ['allowzero=1 without zeros behaves as 0', [2, 3, 4], [6, -1], 1, [6, 4]],
  ['allowzero=1 keeps a literal 0 dim', [0, 3], [3, 0], 1, [3, 0]],
  ['allowzero=0 copies a zero-size dim', [0, 3], [0, 3], 0, [0, 3]],
  // (0 together with −1 under allowzero=1 is invalid ONNX — the −1 cannot be inferred — so not a parity case.)
  ['allowzero=1 reorders a zero-size input', [2, 0, 3], [3, 0, 2], 1, [3, 0, 2]],
];

describe('Reshape parity (opset 14, shape as an initializer)', () => {
  describe.each(DTYPES)('%s', (dtype) => {
    it.each(RESHAPES)('%s: %j -> %j allowzero=%i', async (_n, dims, shape, allowzero, want) => {
      const x = data(dtype, dims, 41);
      const r = await expectOrtParity({
        op: 'Reshape',
        inputs: [x, constant(i64(shape))],
        attrs: { allowzero },
        ort: { opset: 14, attrs: { allowzero: A.int(allowzero) } },
        tol: EXACT,
      });
      expect(r.kiln[0].dims).toEqual(want);
    });
  });

  // Opset 13 has no allowzero attribute: 0 always copies. kiln's canonical form is allowzero=0.
  it.each(RESHAPES.filter(([, , , z]) => z === 0))('opset 13: %s', async (_n, dims, shape) => {
    const x = data('float32', dims, 42);
    await expectOrtParity({ op: 'Reshape', inputs: [x, constant(i64(shape))], attrs: { allowzero: 0 }, ort: { opset: 13, attrs: {} }, tol: EXACT });
  });
});

/** [X dims, perm (undefined: reverse the axes)]. */
const TRANSPOSES: readonly (readonly [readonly number[], readonly number[] | undefined])[] = [
  [[5], undefined],
  [[5], [0]],
  [[3, 4], undefined],
  [[3, 4], [1, 0]],
  [[3, 4], [0, 1]],
  [[2, 3, 4], undefined],
  [[2, 3, 4], [0, 2, 1]],
  [[2, 3, 4], [2, 0, 1]],
  [[2, 3, 4], [1, 2, 0]],
  [[2, 3, 4, 5], [0, 2, 3, 1]],
  [[2, 3, 4, 5], [0, 3, 1, 2]],
  [[2, 1, 4, 1], [3, 1, 0, 2]],
  [[2, 3, 2, 3, 2], [4, 2, 0, 3, 1]],
  [[2, 0, 3], [2, 1, 0]],
];

describe('Transpose parity (opset 13)', () => {
  describe.each(DTYPES)('%s', (dtype) => {
    it.each(TRANSPOSES)('%j perm=%j', async (dims, perm) => {
      const x = data(dtype, dims, 43);
      await expectOrtParity({ op: 'Transpose', inputs: [x], attrs: perm === undefined ? {} : { perm }, tol: EXACT });
    });
  });
});

/** [X dims, axis]: every axis in [−r, r] of ranks 1–4. */
const FLATTENS: readonly (readonly [readonly number[], number])[] = [
  [[6], 0],
  [[6], 1],
  [[6], -1],
  [[2, 3, 4], 0],
  [[2, 3, 4], 1],
  [[2, 3, 4], 2],
  [[2, 3, 4], 3],
  [[2, 3, 4], -1],
  [[2, 3, 4], -2],
  [[2, 3, 4], -3],
  [[2, 3, 4, 5], 2],
  [[2, 3, 4, 5], -4],
  [[2, 0, 4], 2],
];

describe('Flatten parity (opset 13)', () => {
  describe.each(DTYPES)('%s', (dtype) => {
    it.each(FLATTENS)('%j axis=%i', async (dims, axis) => {
      const x = data(dtype, dims, 44);
      const r = await expectOrtParity({ op: 'Flatten', inputs: [x], attrs: { axis }, tol: EXACT });
      expect(r.kiln[0].dims).toHaveLength(2);
    });
  });

  it('default axis (1)', async () => {
    await expectOrtParity({ op: 'Flatten', inputs: [data('float32', [3, 2, 5], 45)], ort: { attrs: {} }, tol: EXACT });
  });
});
