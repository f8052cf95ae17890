// The opset adapter contract: how one IR op is read from ONNX nodes of any opset and written back at
// a target opset. Import semantics follow "a node means what the highest op version at or below the
// model's opset says"; export writes the canonical IR attributes in the target opset's form.

import type { ErrorSite } from '../../../core/errors.js';
import type { HostTensor } from '../../../core/tensor.js';
import type { AttrKind } from '../../../ops/op-def.js';
import type { OpAttrs, OpName } from '../../../ops/op-attrs.js';
import type { Node, TensorType, Value } from '../../ir/types.js';
import type { AttrValue } from '../attributes.js';
import type { OnnxTypes } from '../proto.js';

/** The attributes of the ONNX node being imported; each is read (and type-checked) at most once. */
export interface AttrReader {
  has(name: string): boolean;
  /** The attribute's declared ONNX AttributeType (AttributeProto.type), undefined when absent. */
  typeOf(name: string): number | undefined;
  /** Read and consume `name` as `kind`; undefined when absent. */
  take(name: string, kind: 'int' | 'float'): number | undefined;
  take(name: string, kind: 'ints' | 'floats'): readonly number[] | undefined;
  take(name: string, kind: 'string'): string | undefined;
  take(name: string, kind: 'tensor'): HostTensor | undefined;
  take(name: string, kind: AttrKind): AttrValue | undefined;
  /** Drop `name` without reading it (attributes with no meaning for kiln, e.g. consumed_inputs). */
  ignore(name: string): void;
  /** Names not yet consumed. */
  remaining(): string[];
}

/**
 * Whose BatchNormalization statistic conventions a file follows (DESIGN.md §6). 'onnx' (default):
 * momentum m weights the running value, running variance is the population variance. 'pytorch':
 * the momentum attribute is PyTorch's (it weights the batch value, so kiln uses 1 − m) and the running
 * variance is updated with the unbiased batch variance n/(n−1)·σ². Importing and exporting with the
 * same convention round-trips.
 */
export type BatchNormConvention = 'onnx' | 'pytorch';

export interface ImportContext {
  /** The BatchNormalization convention the file is read with. */
  readonly batchNormConvention: BatchNormConvention;
  readonly opType: string;
  readonly domain: string;
  /** The node's (unique) name. */
  readonly name: string;
  /** The model's opset version for the node's domain. */
  readonly opset: number;
  readonly site: ErrorSite;
  /** Input values; undefined where ONNX gives an empty name (an omitted optional input). */
  readonly inputs: readonly (Value | undefined)[];
  readonly inputNames: readonly string[];
  /** ONNX output names; '' marks an unused output. */
  readonly outputNames: readonly string[];
  readonly attrs: AttrReader;
  /** Input i's value when it is known at import time (initializer, Constant, ConstantOfShape of a constant shape). */
  constant(i: number): HostTensor | undefined;
  /** Like constant(i), but an UnsupportedOpError explaining that `what` must not be computed at run time. */
  requireConstant(i: number, what: string): HostTensor;
  /**
   * Add an IR node whose outputs carry the given ONNX names ('' = unused; trailing unused outputs are
   * dropped). Returns one entry per name, undefined for dropped ones.
   */
  emit<K extends OpName>(op: K, inputs: readonly (Value | undefined)[], attrs: Partial<OpAttrs[K]>, outputNames: readonly string[]): (Value | undefined)[];
  /** Add an internal IR node (fresh names derived from the node's name); returns its `count` outputs. */
  helper<K extends OpName>(op: K, inputs: readonly (Value | undefined)[], attrs?: Partial<OpAttrs[K]>, count?: number): Value[];
  /** A value name used nowhere in the model, derived from the node's name and `suffix`. */
  freshName(suffix: string): string;
  /** An initializer carrying the ONNX value name `name` (a folded constant output). */
  namedConstant(name: string, t: HostTensor): Value;
  /** Record that `v` always holds `t`, so later nodes can read it as a constant input. */
  remember(v: Value, t: HostTensor): void;
  /** A new initializer with a fresh name derived from the node's name. */
  constantValue(suffix: string, t: HostTensor): Value;
  /** The IR attributes of `op` from the remaining ONNX attributes, mapped 1:1 through the op's specs. */
  mapAttrs<K extends OpName>(op: K): Partial<OpAttrs[K]>;
}

export interface ExportContext<K extends OpName> {
  readonly node: Node<K>;
  /** Target opset of the default domain. */
  readonly opset: number;
  /** Keep kiln's own ops (ai.kiln domain) instead of writing their standard-op definitions. */
  readonly kilnOps: boolean;
  /** The BatchNormalization convention the file is written with. */
  readonly batchNormConvention: BatchNormConvention;
  readonly site: ErrorSite;
  /** ONNX name of input i ('' when omitted). */
  input(i: number): string;
  /** ONNX name of output i. */
  output(i: number): string;
  inputType(i: number): TensorType | undefined;
  /** Input i's value when it is an initializer. */
  constant(i: number): HostTensor | undefined;
  /** A value name not used anywhere in the graph. */
  fresh(suffix: string): string;
  /** Write one ONNX node (name defaults to a fresh one derived from the IR node's). */
  addNode(opType: string, inputs: readonly string[], outputs: readonly string[], attributes?: readonly OnnxTypes.IAttributeProto[], options?: { readonly name?: string; readonly domain?: string }): void;
  /** Write an initializer with a fresh name; returns the name. */
  addInitializer(suffix: string, t: HostTensor): string;
  /** The IR node's attributes written 1:1 through its specs, leaving out `omit` and undefined values. */
  attributes(omit?: readonly string[]): OnnxTypes.IAttributeProto[];
}

export interface OpAdapter<K extends OpName> {
  /** First default-domain opset (or ai.kiln version) in which the op exists. */
  readonly since: number;
  importNode(ctx: ImportContext): readonly (Value | undefined)[];
  exportNode(ctx: ExportContext<K>): void;
}

export type AdapterTable = { readonly [K in OpName]: OpAdapter<K> };
