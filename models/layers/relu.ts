// Keras 3 ReLU layer (keras/src/layers/activations/relu.py): min(max(x, 0), max_value). kiln lowers the
// default negative_slope=0 and threshold=0 only; other values are rejected with an ArgumentError.

import type { DType } from '../../core/dtype.js';
import type { Value } from '../../compiler/ir/types.js';
import { KerasConfig, Layer, LowerCall } from '../layer.js';
import type { UserShape } from '../symbolic.js';
import { autocast } from './activation.js';
import { type LayerOptions, openLayerArgs } from './base-args.js';
import { scalarConst } from './helpers.js';
import { singleFloatInput } from './layer-inputs.js';

export interface ReLUArgs extends LayerOptions {
  /** Default null (no upper bound); must be >= 0. */
  readonly maxValue?: number | null;
  /** Only the default 0 is supported. */
  readonly negativeSlope?: number;
  /** Only the default 0 is supported. */
  readonly threshold?: number;
}

const KEYS = ['name', 'trainable', 'dtype', 'max_value', 'negative_slope', 'threshold'] as const;

export class ReLU extends Layer {
  readonly className = 'ReLU';
  override readonly supportsMasking = true;
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;

  constructor(args: ReLUArgs = {}) {
    // Keras auto_name(to_snake_case('ReLU')) is 're_lu'.
    const { reader: r, base } = openLayerArgs('ReLU', 're_lu', args, KEYS);
    super(base, 're_lu');
    const maxValue = r.raw('max_value');
    this.maxValue = maxValue === null || maxValue === undefined ? null : r.number('max_value', 0, 'null or a number >= 0', (v) => v >= 0);
    // relu.py rejects negative values; kiln also rejects the positive ones it does not lower.
    this.negativeSlope = r.number('negative_slope', 0, '0 (the Keras default; other slopes are not supported by kiln)', (v) => v === 0);
    this.threshold = r.number('threshold', 0, '0 (the Keras default; other thresholds are not supported by kiln)', (v) => v === 0);
  }

  computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType } {
    return { shape: singleFloatInput(this.site, inputs).shape, dtype: this.dtype };
  }

  lower(call: LowerCall, inputs: readonly Value[]): Value {
    const b = call.builder;
    const n = this.name;
    const x = autocast(b, inputs[0], this.dtype, `${n}/cast_inputs`);
    const y = b.op('Relu', [x], {}, this.maxValue === null ? n : `${n}/relu`);
    if (this.maxValue === null) return y;
    // activations.relu: clip(relu(x), 0, max_value).
    return b.op('Min', [y, scalarConst(b, `${n}/max_value`, this.dtype, this.maxValue)], {}, n);
  }

  protected layerConfig(): KerasConfig {
    return { max_value: this.maxValue, negative_slope: this.negativeSlope, threshold: this.threshold };
  }

  static fromConfig(config: KerasConfig): ReLU {
    return new ReLU(config);
  }
}
