// Keras 3 Flatten (keras/src/layers/reshaping/flatten.py): (batch, ...) → (batch, prod(...)), lowered to
// ONNX Flatten axis=1; channels_first inputs are first transposed to channels_last, as Keras does.

import { isFloatDType } from '../../core/dtype.js';
import type { DType } from '../../core/dtype.js';
import { describeShape, ShapeError } from '../../core/errors.js';
import type { Value } from '../../compiler/ir/types.js';
import { KerasConfig, Layer, LowerCall } from '../layer.js';
import type { UserShape } from '../symbolic.js';
import { autocast } from './activation.js';
import { type LayerOptions, openLayerArgs } from './base-args.js';
import { singleInput } from './layer-inputs.js';
import { type DataFormat, readDataFormat } from './window-args.js';

export interface FlattenArgs extends LayerOptions {
  readonly dataFormat?: DataFormat | null;
}

const KEYS = ['name', 'trainable', 'dtype', 'data_format'] as const;

export class Flatten extends Layer {
  readonly className = 'Flatten';
  readonly dataFormat: DataFormat;

  constructor(args: FlattenArgs = {}) {
    const { reader: r, base } = openLayerArgs('Flatten', 'flatten', args, KEYS);
    super(base, 'flatten');
    this.dataFormat = readDataFormat(r);
  }

  /**
   * flatten.py compute_output_shape: rank 1 gives (batch, 1); an unknown non-batch dim makes the
   * flattened size unknown. Float inputs take the layer dtype (autocast); other dtypes pass as they are.
   */
  computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType } {
    const { shape, dtype } = singleInput(this.site, inputs);
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
