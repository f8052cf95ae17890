// Keras 3 BatchNormalization (keras/src/layers/normalization/batch_normalization.py) lowered to IR.
// Channel axis 1 (or the last axis, via Reshape to [M, C]) without a mask uses ONNX
// BatchNormalization (inference, or training_mode=1 with its running outputs); any other axis, or a
// mask, uses ai.kiln Moments plus elementwise ops.

import { isFloatDType } from '../../core/dtype.js';
import { ArgumentError, describeShape, DTypeError, ShapeError } from '../../core/errors.js';
import type { DType } from '../../core/dtype.js';
import type { Value } from '../../compiler/ir/types.js';
import { type Constraint, serializeConstraint, type ConstraintSpec } from '../constraints.js';
import { type Initializer, type InitializerSpec, serializeInitializer } from '../initializers.js';
import { KerasConfig, Layer, LayerWeight, LowerCall } from '../layer.js';
import { type Regularizer, type RegularizerSpec, serializeRegularizer } from '../regularizers.js';
import type { UserShape } from '../symbolic.js';
import { alongAxis, castTo, scalarConst, vectorConst } from './helpers.js';
import { type LayerOptions, openLayerArgs } from './base-args.js';
import { readConstraint, readInitializer, readRegularizer, serializedArg } from './layer-args.js';
import { singleInput } from './layer-inputs.js';

/** Keras `backend.epsilon()`, added to the mask weight sum in masked moments. */
const KERAS_BACKEND_EPSILON = 1e-7;

export interface BatchNormalizationArgs extends LayerOptions {
  readonly axis?: number;
  readonly momentum?: number;
  readonly epsilon?: number;
  readonly center?: boolean;
  readonly scale?: boolean;
  readonly betaInitializer?: InitializerSpec;
  readonly gammaInitializer?: InitializerSpec;
  readonly movingMeanInitializer?: InitializerSpec;
  readonly movingVarianceInitializer?: InitializerSpec;
  readonly betaRegularizer?: RegularizerSpec | null;
  readonly gammaRegularizer?: RegularizerSpec | null;
  readonly betaConstraint?: ConstraintSpec | null;
  readonly gammaConstraint?: ConstraintSpec | null;
  /** Cross-replica statistics (Keras `synchronized`); takes effect with replicated training. */
  readonly synchronized?: boolean;
}

const KEYS = [
  'name', 'trainable', 'dtype', 'axis', 'momentum', 'epsilon', 'center', 'scale',
  'beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer',
  'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint', 'synchronized',
  // Accepted from Keras configs; only their defaults are supported (checked below).
  'renorm', 'renorm_clipping', 'renorm_momentum',
] as const;

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  override readonly supportsMasking = true;
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly synchronized: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  readonly betaRegularizer: Regularizer | undefined;
  readonly gammaRegularizer: Regularizer | undefined;
  readonly betaConstraint: Constraint | undefined;
  readonly gammaConstraint: Constraint | undefined;
  gamma: LayerWeight | undefined;
  beta: LayerWeight | undefined;
  movingMean: LayerWeight | undefined;
  movingVariance: LayerWeight | undefined;
  /** Normalized channel axis, set by build. */
  private channelAxis = -1;

  constructor(args: BatchNormalizationArgs = {}) {
    const { reader: r, base } = openLayerArgs('BatchNormalization', 'batch_normalization', args, KEYS);
    super(base, 'batch_normalization');
    this.axis = r.integer('axis', -1);
    this.momentum = r.number('momentum', 0.99, 'a number in [0, 1]', (v) => v >= 0 && v <= 1);
    this.epsilon = r.number('epsilon', 1e-3, 'a finite number >= 0', (v) => Number.isFinite(v) && v >= 0);
    this.center = r.boolean('center', true);
    this.scale = r.boolean('scale', true);
    this.synchronized = r.boolean('synchronized', false);
    if (r.boolean('renorm', false)) r.fail('renorm', 'false (batch renormalization is not implemented)', true);
    this.betaInitializer = readInitializer(r, 'beta_initializer', 'zeros');
    this.gammaInitializer = readInitializer(r, 'gamma_initializer', 'ones');
    this.movingMeanInitializer = readInitializer(r, 'moving_mean_initializer', 'zeros');
    this.movingVarianceInitializer = readInitializer(r, 'moving_variance_initializer', 'ones');
    this.betaRegularizer = readRegularizer(r, 'beta_regularizer');
    this.gammaRegularizer = readRegularizer(r, 'gamma_regularizer');
    this.betaConstraint = readConstraint(r, 'beta_constraint');
    this.gammaConstraint = readConstraint(r, 'gamma_constraint');
  }

  /** Validates rank, axis, dtype and (once built) the channel count. */
  computeOutput(inputs: readonly { shape: UserShape; dtype: DType }[]): { shape: UserShape; dtype: DType } {
    const { shape, dtype } = singleInput(this.site, inputs);
    if (!isFloatDType(dtype) || dtype === 'bfloat16') {
      throw new DTypeError(this.site, 'inputs', 'float32, float64 or float16', dtype);
    }
    const rank = shape.length;
    if (rank < 1) throw new ShapeError(this.site, 'inputs', 'rank >= 1', describeShape(shape.map(String)));
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    if (axis < 0 || axis >= rank) {
      throw new ArgumentError(this.site, 'axis', `an integer in [${-rank}, ${rank - 1}] for inputs of rank ${rank} (shape ${describeShape(shape.map(String))})`, String(this.axis));
    }
    const c = shape[axis];
    if (c === null) throw new ShapeError(this.site, 'inputs', `a known size on axis ${this.axis}`, describeShape(shape.map(String)));
    if (this.movingMean !== undefined && this.movingMean.value.dims[0] !== c) {
      throw new ShapeError(this.site, 'inputs', `${this.movingMean.value.dims[0]} channels on axis ${this.axis} (the layer was built for that)`, describeShape(shape.map(String)));
    }
    return { shape, dtype };
  }

  protected override createWeights(inputShapes: readonly UserShape[]): void {
    const shape = inputShapes[0];
    this.channelAxis = this.axis < 0 ? this.axis + shape.length : this.axis;
    const c = [shape[this.channelAxis] as number];
    // Keras order of creation, and so of getWeights(): gamma, beta, moving_mean, moving_variance.
    if (this.scale) this.gamma = this.addWeight('gamma', c, this.gammaInitializer, { trainable: true, regularizer: this.gammaRegularizer, constraint: this.gammaConstraint });
    if (this.center) this.beta = this.addWeight('beta', c, this.betaInitializer, { trainable: true, regularizer: this.betaRegularizer, constraint: this.betaConstraint });
    this.movingMean = this.addWeight('moving_mean', c, this.movingMeanInitializer, { trainable: false });
    this.movingVariance = this.addWeight('moving_variance', c, this.movingVarianceInitializer, { trainable: false });
  }

  lower(call: LowerCall, inputs: readonly Value[], mask: Value | undefined): Value {
    const b = call.builder;
    const x = inputs[0];
    const rank = x.type.shape.length;
    const axis = this.channelAxis;
    const n = this.name;
    if (mask !== undefined && mask.type.shape.length !== rank - 1) {
      throw new ShapeError(this.site, 'mask', `rank ${rank - 1} (one less than the inputs ${describeShape(x.type.shape)})`, describeShape(mask.type.shape));
    }
    // Keras: batch statistics only when training and the layer is trainable.
    const useBatch = call.training && this.trainable;
    // ONNX BatchNormalization normalizes axis 1. Channels-last inputs of rank > 2 get there without
    // Transpose pairs: Reshape to [M, C], normalize, Reshape back (DESIGN.md §6). Masks need
    // weighted moments, which ONNX BatchNormalization has no input for.
    const channelsLast = axis === rank - 1 && rank > 2;
    const onnxPath = mask === undefined && rank >= 2 && (axis === 1 || channelsLast);
    // Half inputs are upcast: statistics and normalization in float32 at least (Keras compute_dtype).
    // The decomposed training path keeps batch statistics in float64: a float32 mean of data offset
    // by 1e4 is off by ~5e-4, which would show in y (the ONNX-op path keeps them in float64 inside).
    const computeDtype: DType = x.type.dtype === 'float64' || (useBatch && !onnxPath) ? 'float64' : 'float32';
    const xc = castTo(b, x, computeDtype, `${n}/cast_inputs`);
    const c = this.movingMean!.value.dims[0];
    const param = (w: LayerWeight | undefined, fill: number, what: string): Value =>
      w ? castTo(b, call.weight(w), computeDtype, `${n}/cast_${what}`) : vectorConst(b, `${n}/${what}_const`, computeDtype, new Array<number>(c).fill(fill));
    const gamma = param(this.gamma, 1, 'gamma');
    const beta = param(this.beta, 0, 'beta');
    const movingMean = param(this.movingMean, 0, 'moving_mean');
    const movingVar = param(this.movingVariance, 1, 'moving_variance');
    let y: Value;
    if (onnxPath) {
      const flat = channelsLast ? b.op('Reshape', [xc, vectorConst(b, `${n}/flat_shape`, 'int64', [-1, c])], {}, `${n}/to_rows`) : xc;
      const outs = b.node('BatchNormalization', [flat, gamma, beta, movingMean, movingVar],
        { epsilon: this.epsilon, momentum: this.momentum, training_mode: useBatch ? 1 : 0 },
        { name: n, outputs: useBatch ? 3 : 1 });
      y = channelsLast ? b.op('Reshape', [outs[0], b.op('Shape', [xc], {}, `${n}/input_shape`)], {}, `${n}/from_rows`) : outs[0];
      if (useBatch) {
        this.recordUpdates(call, outs[1], outs[2]);
      }
    } else {
      let mean = movingMean;
      let variance = movingVar;
      if (useBatch) {
        const reduction = [...Array(rank).keys()].filter((a) => a !== axis);
        const weights = mask === undefined ? undefined : b.op('Reshape', [mask, vectorConst(b, `${n}/mask_shape`, 'int64', [...new Array<number>(rank - 1).fill(0), 1])], {}, `${n}/mask_expand`);
        [mean, variance] = b.node('Moments', [xc, weights], { axes: reduction, keepdims: 0, weight_epsilon: mask === undefined ? 0 : KERAS_BACKEND_EPSILON }, { name: `${n}/moments`, outputs: 2 });
        const m = this.momentum;
        const blend = (moving: Value, batch: Value, what: string): Value =>
          b.op('Add', [
            b.op('Mul', [moving, scalarConst(b, `${n}/${what}_momentum`, computeDtype, m)], {}, `${n}/${what}_decay`),
            b.op('Mul', [batch, scalarConst(b, `${n}/${what}_1m_momentum`, computeDtype, 1 - m)], {}, `${n}/${what}_batch`),
          ], {}, `${n}/${what}_update`);
        this.recordUpdates(call, blend(movingMean, mean, 'moving_mean'), blend(movingVar, variance, 'moving_variance'));
      }
      // y = (x − mean) · gamma/√(var+ε) + beta; subtracting first keeps large offsets exact enough.
      const eps = scalarConst(b, `${n}/epsilon`, computeDtype, this.epsilon);
      const inv = b.op('Div', [gamma, b.op('Sqrt', [b.op('Add', [variance, eps], {}, `${n}/var_eps`)], {}, `${n}/std`)], {}, `${n}/inv`);
      const centered = b.op('Sub', [xc, alongAxis(b, mean, axis, rank, `${n}/mean_b`)], {}, `${n}/centered`);
      const scaled = b.op('Mul', [centered, alongAxis(b, inv, axis, rank, `${n}/inv_b`)], {}, `${n}/scaled`);
      y = b.op('Add', [scaled, alongAxis(b, beta, axis, rank, `${n}/beta_b`)], {}, `${n}/output`);
    }
    return castTo(b, y, x.type.dtype, `${n}/cast_outputs`);
  }

  private recordUpdates(call: LowerCall, mean: Value, variance: Value): void {
    const b = call.builder;
    call.update(this.movingMean!, castTo(b, mean, this.movingMean!.value.dtype, `${this.name}/cast_moving_mean`));
    call.update(this.movingVariance!, castTo(b, variance, this.movingVariance!.value.dtype, `${this.name}/cast_moving_variance`));
  }

  protected layerConfig(): KerasConfig {
    return {
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      beta_initializer: serializedArg(serializeInitializer(this.betaInitializer)),
      gamma_initializer: serializedArg(serializeInitializer(this.gammaInitializer)),
      moving_mean_initializer: serializedArg(serializeInitializer(this.movingMeanInitializer)),
      moving_variance_initializer: serializedArg(serializeInitializer(this.movingVarianceInitializer)),
      beta_regularizer: serializedArg(this.betaRegularizer && serializeRegularizer(this.betaRegularizer)),
      gamma_regularizer: serializedArg(this.gammaRegularizer && serializeRegularizer(this.gammaRegularizer)),
      beta_constraint: serializedArg(this.betaConstraint && serializeConstraint(this.betaConstraint)),
      gamma_constraint: serializedArg(this.gammaConstraint && serializeConstraint(this.gammaConstraint)),
      synchronized: this.synchronized,
    };
  }

  static fromConfig(config: KerasConfig): BatchNormalization {
    return new BatchNormalization(config);
  }
}
