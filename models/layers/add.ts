// Keras 3 Add merge layer (keras/src/layers/merging/add.py, base_merge.py): the elementwise sum of its
// inputs, lowered to a chain of ONNX Add nodes.

import type { DType } from '../../core/dtype.js';
import { ArgumentError, describeShape, ShapeError } from '../../core/errors.js';
import type { Value } from '../../compiler/ir/types.js';
import { KerasConfig, Layer, LowerCall } from '../layer.js';
import type { UserShape } from '../symbolic.js';
import { autocast } from './activation.js';
import { type LayerOptions, openLayerArgs } from './base-args.js';
import { expectFloatInput } from './layer-inputs.js';

/** Add takes only the common layer arguments. */
export type AddArgs = LayerOptions;

const KEYS = ['name', 'trainable', 'dtype'] as const;

export class Add extends Layer {
  readonly className = 'Add';
  /** base_merge.py Merge sets supports_masking = True. */
  override readonly supportsMasking = true;

  constructor(args: AddArgs = {}) {
    super(openLayerArgs('Add', 'add', args, KEYS).base, 'add');
  }

  /**
   * base_merge.py build / _compute_elemwise_op_output_shape: one batch size; per axis the sizes agree,
   * or one is 1 (it broadcasts), or one is unknown (the result is unknown). kiln asks for equal ranks.
   */
  computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType } {
    if (inputs.length < 2) throw new ArgumentError(this.site, 'inputs', 'a list of at least 2 input tensors', `${inputs.length}`);
    const text = (s: UserShape): string => describeShape(s.map(String));
    inputs.forEach((t, i) => expectFloatInput(this.site, `inputs[${i}]`, t.dtype));
    const batch = new Set(inputs.map((t) => t.shape[0]).filter((d) => d !== null && d !== undefined));
    if (batch.size > 1) throw new ShapeError(this.site, 'inputs', 'one batch size for all inputs', inputs.map((t) => text(t.shape)).join(', '));
    let out: (number | null)[] = [...inputs[0].shape];
    inputs.slice(1).forEach((t, k) => {
      const i = k + 1;
      if (t.shape.length !== out.length) {
        throw new ShapeError(this.site, `inputs[${i}]`, `rank ${out.length} like inputs[0] ${text(inputs[0].shape)}`, text(t.shape));
      }
      out = out.map((a, ax) => {
        const b = t.shape[ax];
        if (ax === 0) return a ?? b;
        if (a === null || b === null) return null;
        if (a === 1) return b;
        if (b === 1 || a === b) return a;
        throw new ShapeError(this.site, `inputs[${i}]`, `a shape compatible with ${text(out)} (equal sizes, or 1)`, text(t.shape));
      });
    });
    return { shape: out, dtype: this.dtype };
  }

  lower(call: LowerCall, inputs: readonly Value[]): Value {
    const b = call.builder;
    const n = this.name;
    const xs = inputs.map((x, i) => autocast(b, x, this.dtype, `${n}/cast_inputs_${i}`));
    // add.py _merge_function: ((x0 + x1) + x2) + ...
    return xs.slice(1).reduce((acc, x, i) => b.op('Add', [acc, x], {}, i === xs.length - 2 ? n : `${n}/add_${i}`), xs[0]);
  }

  protected layerConfig(): KerasConfig {
    return {};
  }

  static fromConfig(config: KerasConfig): Add {
    return new Add(config);
  }
}
