// The `layers` factory namespace (TensorFlow.js style: layers.dense({units: 4})) and layerFromConfig,
// which rebuilds a layer from its Keras {class_name, config} form through an exhaustive class table.

import { ArgumentError } from '../../core/errors.js';
import { describeValue, isRecord } from '../config-reader.js';
import type { KerasConfig, Layer } from '../layer.js';
import { input } from '../model.js';
import { Activation, type ActivationArgs } from './activation.js';
import { Add, type AddArgs } from './add.js';
import { BatchNormalization, type BatchNormalizationArgs } from './batch-normalization.js';
import { Conv2D, type Conv2DArgs } from './conv2d.js';
import { Dense, type DenseArgs } from './dense.js';
import { Flatten, type FlattenArgs } from './flatten.js';
import { AveragePooling2D, GlobalAveragePooling2D, type GlobalAveragePooling2DArgs, MaxPooling2D, type Pooling2DArgs } from './pooling.js';
import { ReLU, type ReLUArgs } from './relu.js';

export { Activation, Add, AveragePooling2D, BatchNormalization, Conv2D, Dense, Flatten, GlobalAveragePooling2D, MaxPooling2D, ReLU };
export type { ActivationArgs, AddArgs, BatchNormalizationArgs, Conv2DArgs, DenseArgs, FlattenArgs, GlobalAveragePooling2DArgs, Pooling2DArgs, ReLUArgs };

export const layers = {
  batchNormalization: (args: BatchNormalizationArgs = {}): BatchNormalization => new BatchNormalization(args),
  dense: (args: DenseArgs): Dense => new Dense(args),
  conv2d: (args: Conv2DArgs): Conv2D => new Conv2D(args),
  activation: (args: ActivationArgs): Activation => new Activation(args),
  relu: (args: ReLUArgs = {}): ReLU => new ReLU(args),
  flatten: (args: FlattenArgs = {}): Flatten => new Flatten(args),
  maxPooling2d: (args: Pooling2DArgs = {}): MaxPooling2D => new MaxPooling2D(args),
  averagePooling2d: (args: Pooling2DArgs = {}): AveragePooling2D => new AveragePooling2D(args),
  globalAveragePooling2d: (args: GlobalAveragePooling2DArgs = {}): GlobalAveragePooling2D => new GlobalAveragePooling2D(args),
  add: (args: AddArgs = {}): Add => new Add(args),
  input,
} as const;

/** Keras class names kiln can rebuild. */
export type LayerClassName =
  | 'BatchNormalization' | 'Dense' | 'Conv2D' | 'Activation' | 'ReLU' | 'Flatten'
  | 'MaxPooling2D' | 'AveragePooling2D' | 'GlobalAveragePooling2D' | 'Add';

/** Every class's fromConfig; the mapped type makes a missing class a compile error. */
const FROM_CONFIG: { readonly [C in LayerClassName]: (config: KerasConfig) => Layer } = {
  BatchNormalization: (c) => BatchNormalization.fromConfig(c),
  Dense: (c) => Dense.fromConfig(c),
  Conv2D: (c) => Conv2D.fromConfig(c),
  Activation: (c) => Activation.fromConfig(c),
  ReLU: (c) => ReLU.fromConfig(c),
  Flatten: (c) => Flatten.fromConfig(c),
  MaxPooling2D: (c) => MaxPooling2D.fromConfig(c),
  AveragePooling2D: (c) => AveragePooling2D.fromConfig(c),
  GlobalAveragePooling2D: (c) => GlobalAveragePooling2D.fromConfig(c),
  Add: (c) => Add.fromConfig(c),
};

/** Keras export aliases (keras.layers.MaxPool2D, AvgPool2D, GlobalAvgPool2D, Convolution2D). */
const ALIASES: ReadonlyMap<string, LayerClassName> = new Map<string, LayerClassName>([
  ['MaxPool2D', 'MaxPooling2D'],
  ['AvgPool2D', 'AveragePooling2D'],
  ['GlobalAvgPool2D', 'GlobalAveragePooling2D'],
  ['Convolution2D', 'Conv2D'],
]);

function isLayerClassName(s: string): s is LayerClassName {
  return Object.prototype.hasOwnProperty.call(FROM_CONFIG, s);
}

export interface SerializedLayer {
  readonly class_name?: string;
  readonly className?: string;
  readonly config?: KerasConfig;
  /** Keras 3 also writes module, registered_name and build_config; they are not needed here. */
  readonly [other: string]: unknown;
}

/** keras.layers.deserialize for kiln's layers: {class_name, config} → a new, unbuilt layer. */
export function layerFromConfig(spec: SerializedLayer): Layer {
  const site = { op: 'layerFromConfig', node: typeof spec.config?.name === 'string' ? spec.config.name : '' };
  const given = spec.class_name ?? spec.className;
  const className = typeof given === 'string' ? (isLayerClassName(given) ? given : ALIASES.get(given)) : undefined;
  if (className === undefined) {
    throw new ArgumentError(site, 'class_name', `one of ${Object.keys(FROM_CONFIG).join(', ')}`, describeValue(given));
  }
  const config = spec.config ?? {};
  if (!isRecord(config)) throw new ArgumentError(site, 'config', `a config object for ${className}`, describeValue(config));
  return FROM_CONFIG[className](config);
}
