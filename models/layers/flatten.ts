// Keras 3 Flatten (keras/src/layers/reshaping/flatten.py): (batch, ...) → (batch, prod(...)), lowered to
// ONNX Flatten axis=1; channels_first inputs are first transposed to channels_last, as Keras does.

import { isFloatDType } from '../../core/dtype.js';
import type { DType } from '../../core/dtype.js';
import { ArgumentError, describeShape, ShapeError } from '../../core/errors.js';
import type { Value } from '../../compiler/ir/types.js';
import { ConfigReader, type ArgumentSite } from '../config-reader.js';
import { defaultName, KerasConfig, Layer, LayerDType, LowerCall } from '../layer.js';
import type { UserShape } from '../symbolic.js';
import { autocast } from './activation.js';
import { readBaseArgs } from './base-args.js';
import { type DataFormat, readDataFormat } from './conv2d.js';

export interface FlattenArgs {
  readonly dataFormat?: DataFormat | null;
  readonly name?: string;
  readonly trainable?: boolean;
  readonly dtype?: LayerDType;
  readonly [snakeCase: string]: unknown;
}

const KEYS = ['name', 'trainable', 'dtype', 'data_format'] as const;

export class Flatten extends Layer {
  readonly className = 'Flatten';
  readonly dataFormat: DataFormat;

  constructor(args: FlattenArgs = {}) {
    const name = typeof args.name === 'string' ? args.name : defaultName('flatten');
    const where: ArgumentSite = { op: 'Flatten layer', node: name, argument: '' };
    const r = new ConfigReader('Flatten', args, where, KEYS);
    super(readBaseArgs(r, name), 'flatten');
    this.dataFormat = readDataFormat(r);
  }

  /**
   * flatten.py compute_output_shape: rank 1 gives (batch, 1); an unknown non-batch dim makes the
   * flattened size unknown. Float inputs take the layer dtype (autocast); other dtypes pass as they are.
   */
  computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType } {
    if (inputs.length !== 1) throw new ArgumentError(this.site, 'inputs', '1 input tensor', `${inputs.length}`);
    const { shape, dtype } = inputs[0];
    if (shape.length < 1) throw new ShapeError(this.site, 'inputs', 'rank >= 1 (batch, ...)', `${describeShape(shape.map(String))} (rank 0)`);
    const rest = shape.slice(1);
    const size = rest.some((d) => d === null) ? null : rest.reduce<number>((a, d) => a * (d ?? 1), 1);
    return { shape: [shape[0], size], dtype: isFloatDType(dtype) ? this.dtype : dtype };
  }

  lower(call: LowerCall, inputs: readonly Value[]): Value {
    const b = call.builder;
    const n = this.name;
    let x = isFloatDType(inputs[0].type.dtype) ? autocast(b, inputs[0], this.dtype, `${n}/cast_inputs`) : inputs[0];
    const rank = x.type.shape.length;
    // flatten.py call: channels_first switches to channels_last, (0, 2, ..., rank−1, 1), before reshaping.
    if (this.dataFormat === 'channels_first' && rank > 2) {
      x = b.op('Transpose', [x], { perm: [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1] }, `${n}/to_channels_last`);
    }
    return b.op('Flatten', [x], { axis: 1 }, n);
  }

  protected layerConfig(): KerasConfig {
    return { data_format: this.dataFormat };
  }

  static fromConfig(config: KerasConfig): Flatten {
    return new Flatten(config);
  }
}
