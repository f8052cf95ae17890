// TensorFlow.js with its WebAssembly backend (@tensorflow/tfjs-backend-wasm), single-threaded SIMD
// build (multithread support switched off before the backend starts), wasm files from the package's
// dist folder. tfjs is channels-last: BN and conv workloads run on NHWC tensors of the same sizes
// (tf.batchNorm broadcasts its [C] parameters along the last axis); ResNet-18 is a tf.layers model
// (channels_last) with its own seeded random weights, so its output is not compared with kiln's.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import type { BuiltWorkload, Workload, WorkloadSpec } from '../workloads/types.js';
import { nchwToNhwc, nhwcDims, nhwcToNchw, oihwToHwio } from './layout.js';
import type { Peer, PeerRunner } from './types.js';

type TfModule = typeof Tf;
type Initializer = ReturnType<TfModule['initializers']['randomUniform']>;

const EPSILON = 1e-5;
const MOMENTUM = 0.9;

export class TfjsWasmPeer implements Peer {
  readonly role = 'peer' as const;
  readonly id = 'tfjs-wasm';
  readonly label = 'tfjs (wasm, 1 thread)';
  readonly short = 'tfjs-wasm ×1';
  private tf: TfModule | undefined;
  private flags = '';

  async init(): Promise<string | undefined> {
    try {
      const tf = await import('@tensorflow/tfjs');
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
      wasm.setWasmPaths(dist);
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasm.setThreadsCount(1);
      if (!(await tf.setBackend('wasm'))) return 'tf.setBackend("wasm") failed';
      await tf.ready();
      tf.enableProdMode();
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      this.flags = `backend ${tf.getBackend()}, SIMD ${String(simd)}, multithread off (1 thread), prod mode, wasm paths ${dist.replace(/.*node_modules/, 'node_modules')}`;
      this.tf = tf;
      return undefined;
    } catch (e) {
      return `cannot start tfjs-backend-wasm: ${(e as Error).message}`;
    }
  }

  skipReason(w: Workload): string | undefined {
    if (w.spec.kind === 'resnet' && w.spec.depth !== 18) return 'only ResNet-18 is built with tf.layers here';
    return undefined;
  }

  async prepare(w: Workload, built: BuiltWorkload): Promise<PeerRunner> {
    const tf = this.tf;
    if (tf === undefined) throw new Error('tfjs: init() first');
    const spec = w.spec;
    const kept: Tf.Tensor[] = [];
    const keep = <T extends Tf.Tensor>(t: T): T => {
      kept.push(t);
      return t;
    };
    const vec = (name: string): Tf.Tensor1D => keep(tf.tensor1d(built.params[name].data as Float32Array));
    let model: Tf.LayersModel | undefined;
    let step: () => Tf.Tensor[];
    let outDims: readonly number[] | undefined; // NCHW dims of output 0, when comparable
    switch (spec.kind) {
      case 'bn': {
        const x = keep(tf.tensor(nchwToNhwc(built.feeds.x.data as Float32Array, spec.dims), nhwcDims(spec.dims)));
        const [scale, bias, mean, variance] = [vec('scale'), vec('B'), vec('mean'), vec('var')];
        const axes = [...Array(spec.dims.length - 1).keys()];
        step = spec.training
          ? () =>
              tf.tidy(() => {
                const m = tf.moments(x, axes);
                const y = tf.batchNorm(x, m.mean, m.variance, bias, scale, EPSILON);
                const runningMean = tf.add(tf.mul(mean, MOMENTUM), tf.mul(m.mean, 1 - MOMENTUM));
                const runningVar = tf.add(tf.mul(variance, MOMENTUM), tf.mul(m.variance, 1 - MOMENTUM));
                return [y, runningMean, runningVar];
              })
          : () => [tf.batchNorm(x, mean, variance, bias, scale, EPSILON)];
        outDims = spec.dims;
        break;
      }
      case 'conv-bn-relu': {
        const x = keep(tf.tensor4d(nchwToNhwc(built.feeds.x.data as Float32Array, spec.dims), nhwcDims(spec.dims) as [number, number, number, number]));
        const wDims = built.params.W.dims;
        const filter = keep(tf.tensor4d(oihwToHwio(built.params.W.data as Float32Array, wDims), [wDims[2], wDims[3], wDims[1], wDims[0]]));
        const [scale, bias, mean, variance] = [vec('scale'), vec('B'), vec('mean'), vec('var')];
        step = () => tf.tidy(() => [tf.relu(tf.batchNorm(tf.conv2d(x, filter, 1, 'same'), mean, variance, bias, scale, EPSILON))]);
        outDims = [spec.dims[0], spec.outChannels, spec.dims[2], spec.dims[3]];
        break;
      }
      case 'matmul-bn-relu': {
        const x = keep(tf.tensor2d(built.feeds.x.data as Float32Array, [spec.m, spec.k]));
        const weights = keep(tf.tensor2d(built.params.W.data as Float32Array, [spec.k, spec.n]));
        const [scale, bias, mean, variance] = [vec('scale'), vec('B'), vec('mean'), vec('var')];
        step = () => tf.tidy(() => [tf.relu(tf.batchNorm(tf.matMul(x, weights), mean, variance, bias, scale, EPSILON))]);
        outDims = [spec.m, spec.n];
        break;
      }
      case 'resnet': {
        const m = resnet18(tf);
        model = m;
        const x = keep(tf.tensor4d(nchwToNhwc(built.feeds.x.data as Float32Array, [spec.batch, 3, 224, 224]), [spec.batch, 224, 224, 3]));
        step = () => [m.predict(x) as Tf.Tensor];
        outDims = undefined;
        break;
      }
      default:
        return unreachable(spec);
    }
    let last: Float32Array | undefined;
    return {
      run: async () => {
        const outs = step();
        // Read every output back to the host, as the other peers return theirs.
        const data = outs.map((t) => t.dataSync() as Float32Array);
        last = data[0];
        tf.dispose(outs);
      },
      output: () => (last === undefined || outDims === undefined ? undefined : outDims.length > 2 ? nhwcToNchw(last, outDims) : last),
      dispose: async () => {
        last = undefined;
        tf.dispose(kept);
        model?.dispose();
      },
    };
  }

  notes(): string[] {
    return [
      this.flags,
      'channels-last: BN, conv and ResNet inputs are NHWC copies of the NCHW data (same sizes); BN inference = tf.batchNorm; BN training = tf.moments + tf.batchNorm + running-statistic updates; conv = tf.conv2d → tf.batchNorm → tf.relu (op by op, no folding); outputs read with dataSync()',
      "ResNet-18: tf.layers functional model, channels_last, padding 'same' (TF pads stride-2 windows asymmetrically; same output sizes and FLOPs), seeded random weights of its own",
    ];
  }
}

function unreachable(x: never): never {
  throw new Error(`unknown workload ${JSON.stringify(x as WorkloadSpec)}`);
}

/** ResNet-18 for [N,224,224,3] as a tf.layers functional model (channels_last), seeded weights. */
function resnet18(tf: TfModule): Tf.LayersModel {
  let seed = 18;
  const uniform = (minval: number, maxval: number): Initializer => tf.initializers.randomUniform({ minval, maxval, seed: seed++ });
  const apply = (layer: Tf.layers.Layer, x: Tf.SymbolicTensor | Tf.SymbolicTensor[]): Tf.SymbolicTensor => layer.apply(x) as Tf.SymbolicTensor;
  const convBn = (x: Tf.SymbolicTensor, filters: number, kernelSize: number, strides: number, relu: boolean): Tf.SymbolicTensor => {
    let y = apply(tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: seed++ }) }), x);
    y = apply(
      tf.layers.batchNormalization({
        axis: -1,
        epsilon: EPSILON,
        gammaInitializer: uniform(0.5, 1.5),
        betaInitializer: uniform(-0.2, 0.2),
        movingMeanInitializer: uniform(-0.1, 0.1),
        movingVarianceInitializer: uniform(0.5, 1.5),
      }),
      y,
    );
    return relu ? apply(tf.layers.reLU(), y) : y;
  };
  const input = tf.input({ shape: [224, 224, 3] });
  let x = convBn(input, 64, 7, 2, true);
  x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), x);
  [64, 128, 256, 512].forEach((width, stage) => {
    for (let i = 0; i < 2; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const cin = x.shape[3];
      const y = convBn(convBn(x, width, 3, stride, true), width, 3, 1, false);
      const shortcut = stride !== 1 || cin !== width ? convBn(x, width, 1, stride, false) : x;
      x = apply(tf.layers.reLU(), apply(tf.layers.add(), [y, shortcut]));
    }
  });
  x = apply(tf.layers.globalAveragePooling2d({}), x);
  const logits = apply(tf.layers.dense({ units: 1000, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }) }), x);
  return tf.model({ inputs: input, outputs: logits });
}
