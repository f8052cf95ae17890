// ResNet-18 and ResNet-50 (torchvision layout, v1.5: stride on the 3×3 of a bottleneck) built with
// GraphBuilder for inference, with seeded random weights (He-normal convs, BN with random statistics
// so no fold is trivial). The batch dimension is symbolic ('N'), so one graph and one ONNX export serve
// every batch size.

import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph, Value } from '../../compiler/ir/types.js';
import { Rng } from '../../core/rng.js';
import { bnParams, fillInput, normalTensor, uniformVector } from './data.js';
import { BN_EPSILON } from './bn.js';
import { lazyOnnx } from './onnx-cache.js';
import type { BuiltWorkload, Workload } from './types.js';

class ResNetBuilder {
  readonly b: GraphBuilder;
  private readonly rng: Rng;
  private count = 0;

  constructor(name: string, seed: number) {
    this.b = new GraphBuilder(name);
    this.rng = new Rng(seed);
  }

  private id(kind: string): string {
    return `${kind}${this.count++}`;
  }

  /** Conv (no bias) → BatchNormalization, optionally → Relu. */
  convBn(x: Value, cout: number, kernel: number, stride: number, relu: boolean): Value {
    const cin = x.type.shape[1] as number;
    const b = this.b;
    const name = this.id('conv');
    const w = normalTensor(this.rng, [cout, cin, kernel, kernel], Math.sqrt(2 / (cin * kernel * kernel)));
    const pad = (kernel - 1) >> 1;
    const conv = b.op('Conv', [x, b.initializer(`${name}.W`, w)], { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [pad, pad, pad, pad] }, name);
    const p = bnParams(this.rng, cout);
    const bnName = `${name}.bn`;
    const bn = b.op(
      'BatchNormalization',
      [conv, b.initializer(`${bnName}.scale`, p.scale), b.initializer(`${bnName}.B`, p.B), b.initializer(`${bnName}.mean`, p.mean), b.initializer(`${bnName}.var`, p.var)],
      { epsilon: BN_EPSILON },
      bnName,
    );
    return relu ? b.op('Relu', [bn], {}, `${name}.relu`) : bn;
  }

  add(a: Value, c: Value): Value {
    const name = this.id('add');
    return this.b.op('Relu', [this.b.op('Add', [a, c], {}, name)], {}, `${name}.relu`);
  }

  stem(x: Value): Value {
    const c1 = this.convBn(x, 64, 7, 2, true);
    return this.b.op('MaxPool', [c1], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'maxpool');
  }

  basicBlock(x: Value, cout: number, stride: number): Value {
    const cin = x.type.shape[1] as number;
    const y = this.convBn(this.convBn(x, cout, 3, stride, true), cout, 3, 1, false);
    const shortcut = stride !== 1 || cin !== cout ? this.convBn(x, cout, 1, stride, false) : x;
    return this.add(y, shortcut);
  }

  bottleneck(x: Value, width: number, stride: number): Value {
    const cin = x.type.shape[1] as number;
    const cout = width * 4;
    const y = this.convBn(this.convBn(this.convBn(x, width, 1, 1, true), width, 3, stride, true), cout, 1, 1, false);
    const shortcut = stride !== 1 || cin !== cout ? this.convBn(x, cout, 1, stride, false) : x;
    return this.add(y, shortcut);
  }

  head(x: Value, classes: number): Value {
    const b = this.b;
    const c = x.type.shape[1] as number;
    const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [x], {}, 'avgpool')], { axis: 1 }, 'flatten');
    const w = normalTensor(this.rng, [classes, c], Math.sqrt(1 / c));
    const bias = uniformVector(this.rng, classes, -0.01, 0.01);
    return b.op('Gemm', [pooled, b.initializer('fc.W', w), b.initializer('fc.B', bias)], { transB: 1 }, 'fc');
  }
}

const BLOCKS: { readonly [D in 18 | 50]: readonly number[] } = { 18: [2, 2, 2, 2], 50: [3, 4, 6, 3] };

/** ResNet-18 or ResNet-50 for [N,3,224,224] float32 input 'x', output 'fc' [N,1000]. */
export function buildResNet(depth: 18 | 50, seed = 18): Graph {
  const r = new ResNetBuilder(`resnet${depth}`, seed);
  let x = r.stem(r.b.input('x', 'float32', ['N', 3, 224, 224]));
  BLOCKS[depth].forEach((count, stage) => {
    const width = 64 << stage;
    for (let i = 0; i < count; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      x = depth === 18 ? r.basicBlock(x, width, stride) : r.bottleneck(x, width, stride);
    }
  });
  return r.b.build([r.head(x, 1000)]);
}

let resnet18: { graph: Graph; onnx: () => Uint8Array } | undefined;

function buildResNet18(batch: number): BuiltWorkload {
  resnet18 ??= (() => {
    const graph = buildResNet(18);
    return { graph, onnx: lazyOnnx(graph) };
  })();
  return { graph: resnet18.graph, feeds: { x: fillInput([batch, 3, 224, 224], 17) }, params: {}, onnx: resnet18.onnx };
}

export function resnetWorkloads(): Workload[] {
  return [1, 8].map((batch) => ({
    name: `resnet18-b${batch}`,
    title: `ResNet-18 inference, batch ${batch}`,
    group: 'model' as const,
    spec: { kind: 'resnet' as const, depth: 18 as const, batch },
    build: () => buildResNet18(batch),
  }));
}
