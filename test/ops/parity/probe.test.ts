import { it } from 'vitest';
import { randomTensor } from '../../helpers/random.js';
import { runOrtSingleNode } from '../../helpers/ort-single-node.js';
const ops = ['Add','Sub','Mul','Div','Pow','Max','Min','Relu','Sigmoid','Tanh','Exp','Log','Sqrt','Reciprocal','Neg','Abs','Softmax','MatMul','GlobalAveragePool','ReduceSum','ReduceMean','ReduceMax','ReduceSumSquare','Transpose','Flatten'];
it('probe f16', async () => {
  for (const op of ops) {
    const x = randomTensor('float16', [2,3,4], { seed: 1, low: 0.1, high: 2 });
    const y = randomTensor('float16', op === 'MatMul' ? [2,4,3] : [2,3,4], { seed: 2, low: 0.1, high: 2 });
    const binary = ['Add','Sub','Mul','Div','Pow','Max','Min','MatMul'].includes(op);
    try { await runOrtSingleNode({ op, opset: 13, inputs: binary ? [x, y] : [x] }); console.log(op, 'ok'); } catch (e) { console.log(op, 'FAIL', String(e).slice(0, 100)); }
  }
});
