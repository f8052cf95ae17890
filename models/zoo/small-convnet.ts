// A small channels-first convnet built around BatchNormalization: two Conv2D → BatchNormalization →
// ReLU blocks, global average pooling, a Dense classifier, a last BatchNormalization and softmax.

import type { Model } from '../model.js';
import { Sequential } from '../model.js';
import { layers } from '../layers/index.js';

export interface SmallConvNetArgs {
  /**
   * Seed of the kernel initializers (each layer draws from seed + its index, so layers differ).
   * Default 0: the model is reproducible unless asked otherwise.
   */
  readonly seed?: number;
  /** [channels, height, width] (channels_first), default [3, 16, 16]. */
  readonly inputShape?: readonly [number, number, number] | readonly number[];
  /** Number of classes, default 10. */
  readonly classes?: number;
  readonly name?: string;
}

export function smallConvNet(args: SmallConvNetArgs = {}): Model {
  const seed = args.seed ?? 0;
  const classes = args.classes ?? 10;
  const glorot = (k: number): { class_name: string; config: { seed: number } } => ({ class_name: 'GlorotUniform', config: { seed: seed + k } });
  return new Sequential({
    name: args.name ?? 'small_convnet',
    inputShape: [...(args.inputShape ?? [3, 16, 16])],
    layers: [
      layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', dataFormat: 'channels_first', kernelInitializer: glorot(0) }),
      layers.batchNormalization({ axis: 1 }),
      layers.relu(),
      layers.maxPooling2d({ poolSize: 2, dataFormat: 'channels_first' }),
      layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', dataFormat: 'channels_first', kernelInitializer: glorot(1) }),
      layers.batchNormalization({ axis: 1 }),
      layers.relu(),
      layers.globalAveragePooling2d({ dataFormat: 'channels_first' }),
      layers.dense({ units: classes, kernelInitializer: glorot(2) }),
      layers.batchNormalization({ axis: -1 }),
      layers.activation({ activation: 'softmax' }),
    ],
  });
}
