// `kiln demo`: the built-in tour. Builds the small convnet from models/zoo, runs training-mode forward
// passes on seeded synthetic images so the BatchNormalization moving statistics move, runs
// inference, cross-checks the inference output against kiln's float64 reference interpreter, exports the
// model to ONNX and runs it in onnxruntime-node, and shows the fused kernel plan.

import { Tensor } from 'onnxruntime-common';
import * as ort from 'onnxruntime-node';
import { importModel } from '../../compiler/onnx/index.js';
import { countDataKernels } from '../../compiler/kernels/count-kernels.js';
import { exportOnnx } from '../../models/onnx-io.js';
import { GraphSession } from '../../runtime/graph-session.js';
import { Rng } from '../../core/rng.js';
import { BatchNormalization } from '../../models/layers/batch-normalization.js';
import type { Model } from '../../models/model.js';
import { smallConvNet } from '../../models/zoo/small-convnet.js';
import { intFlag, parseFlags } from '../options.js';
import { renderTable } from '../table.js';

const BATCH = 8;
const SHAPE = [3, 16, 16] as const;

/** Synthetic images whose channels have their own offset and spread (so BN has work to do). */
function syntheticBatch(rng: Rng): Tensor {
  const [c, h, w] = SHAPE;
  const data = new Float32Array(BATCH * c * h * w);
  for (let i = 0; i < data.length; i++) {
    const ch = Math.floor(i / (h * w)) % c;
    data[i] = 2 * ch + 1 + (0.5 + ch) * rng.normal();
  }
  return new Tensor('float32', data, [BATCH, ...SHAPE]);
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

function bnLayers(model: Model): BatchNormalization[] {
  return model.layers.filter((l): l is BatchNormalization => l instanceof BatchNormalization);
}

export async function runDemo(args: readonly string[]): Promise<number> {
  const flags = parseFlags('demo', args, ['steps', 'seed']);
  const steps = intFlag('demo', flags, 'steps', 5, 1, 1000);
  const seed = intFlag('demo', flags, 'seed', 7, 0, 2 ** 31 - 1);
  const rng = new Rng(seed);
  const model = smallConvNet({ seed, inputShape: [...SHAPE], classes: 10 });
  const bns = bnLayers(model);

  console.log('kiln demo: a small convnet with BatchNormalization (models/zoo/small-convnet.ts)\n');
  console.log(renderTable(['layer', 'class', 'output shape', 'weights'], model.layers.map((l) => [
    l.name, l.className, `[${(model.outputShapeOf(l) ?? []).map((d) => d ?? 'N').join(',')}]`, l.weights.map((w) => `${w.name}[${w.value.dims.join(',')}]`).join(' ') || '-',
  ])));

  console.log(`\n1. Training-mode forward passes (batch ${BATCH} of seeded synthetic ${SHAPE.join('x')} images).`);
  console.log('   Each pass normalizes with the batch statistics and moves the moving statistics:');
  console.log('   moving = moving*momentum + batch*(1-momentum)   (Keras formula; momentum 0.99 by default)\n');
  const rows: (string | number)[][] = [];
  for (let step = 1; step <= steps; step++) {
    const before = bns.map((l) => l.getWeights().map((t) => Float64Array.from(t.data as Float32Array)));
    model.call(syntheticBatch(rng), { training: true });
    bns.forEach((l, k) => {
      const w = l.getWeights().map((t) => Float64Array.from(t.data as Float32Array));
      const n = w.length;
      const m = l.momentum;
      // Recover the batch statistics from the update itself: batch = (new − old·m)/(1−m).
      const batchMean = w[n - 2].map((v, c) => (v - before[k][n - 2][c] * m) / (1 - m));
      rows.push([step, l.name, mean(batchMean), mean(w[n - 2]), mean(w[n - 1])]);
    });
  }
  console.log(renderTable(['step', 'BatchNormalization', 'batch mean (avg)', 'moving mean (avg)', 'moving var (avg)'], rows));

  console.log('\n2. Inference (the default mode) normalizes with the moving statistics.');
  const x = syntheticBatch(rng);
  const probs = model.predict(x);
  const p = probs.data as Float32Array;
  const classes = probs.dims[1];
  const inferRows: (string | number)[][] = [];
  for (let r = 0; r < Math.min(4, BATCH); r++) {
    const row = Array.from(p.subarray(r * classes, (r + 1) * classes));
    const top = row.indexOf(Math.max(...row));
    inferRows.push([r, top, row[top], row.reduce((a, b) => a + b, 0)]);
  }
  console.log(renderTable(['sample', 'top class', 'probability', 'row sum'], inferRows));

  console.log('\n3. Cross-check against kiln\'s float64 reference interpreter (same graph, same weights).');
  const ref = model.reference(x)[0];
  let worst = 0;
  for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - ref.data[i]) - 1e-4 * Math.abs(ref.data[i]));
  const pass = worst <= 1e-5;
  let maxAbs = 0;
  for (let i = 0; i < p.length; i++) maxAbs = Math.max(maxAbs, Math.abs(p[i] - ref.data[i]));
  console.log(`   max |kiln − reference| = ${maxAbs.toExponential(2)} over ${p.length} outputs: ${pass ? 'PASS' : 'FAIL'} (float32 tolerance rtol 1e-4, atol 1e-5)`);

  console.log('\n4. Export to ONNX (opset 15) and run the file in onnxruntime-node on the same batch.');
  const bytes = exportOnnx(model, { opset: 15 });
  const ortSession = await ort.InferenceSession.create(bytes);
  const ortOut = (await ortSession.run({ [model.inputs[0].name]: x as ort.Tensor }))[ortSession.outputNames[0]].data as Float32Array;
  let ortErr = 0;
  for (let i = 0; i < p.length; i++) ortErr = Math.max(ortErr, Math.abs(p[i] - ortOut[i]));
  const ortPass = ortErr <= 1e-5;
  const ops = new Map<string, number>();
  for (const n of importModel(bytes).graph.nodes) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
  console.log(`   ${bytes.length} bytes, ${[...ops].map(([op, k]) => `${k} ${op}`).join(', ')}`);
  console.log(`   max |kiln − onnxruntime| = ${ortErr.toExponential(2)}: ${ortPass ? 'PASS' : 'FAIL'}`);

  const lowered = model.lowered();
  const dims = new Map<string, readonly number[]>([[lowered.inputNames[0], x.dims]]);
  for (const [name, w] of lowered.weightInputs) dims.set(name, w.value.dims);
  const plan = new GraphSession(lowered.graph).planFor(dims);
  // Kernels over more elements than the widest per-channel vector touch the activations.
  const widest = Math.max(...lowered.graph.inputs.slice(1).map((v) => v.type.shape.reduce<number>((a, d) => a * (d as number), 1)));
  console.log(`\n5. kiln's compiled inference plan: ${plan.steps.length} kernels (${countDataKernels(plan, widest)} over the activations) for ${lowered.graph.nodes.length} graph nodes;`);
  console.log('   each BatchNormalization runs inside the preceding conv or matmul routine as a fused epilogue.');
  console.log('\nSee README.md for the API, `npm test` for the full suite.');
  return pass && ortPass ? 0 : 1;
}
