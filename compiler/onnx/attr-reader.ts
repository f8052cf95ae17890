// The attributes of one ONNX node, read at most once each and type-checked against the kind asked for.
// Whatever an adapter leaves unread is an unknown attribute (OnnxImportError naming op, node, attribute).

import { OnnxImportError } from '../../core/errors.js';
import type { HostTensor } from '../../core/tensor.js';
import type { AttrKind } from '../../ops/op-def.js';
import { attrType, AttrValue, readAttr } from './attributes.js';
import type { OnnxTypes } from './proto.js';
import type { TensorDecodeOptions } from './tensor-proto.js';
import type { AttrReader } from './adapters/types.js';

export class NodeAttrReader implements AttrReader {
  private readonly byName = new Map<string, OnnxTypes.IAttributeProto>();
  private readonly consumed = new Set<string>();

  constructor(
    attributes: readonly OnnxTypes.IAttributeProto[],
    private readonly where: string,
    private readonly options: TensorDecodeOptions,
  ) {
    for (const a of attributes) {
      const name = a.name ?? '';
      if (name === '') throw new OnnxImportError(`${where}: an attribute has no name`);
      if (a.refAttrName) throw new OnnxImportError(`${where}: attribute '${name}' refers to a function attribute ('${a.refAttrName}'), which only exists inside functions`);
      if (this.byName.has(name)) throw new OnnxImportError(`${where}: attribute '${name}' is given twice`);
      this.byName.set(name, a);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name) && !this.consumed.has(name);
  }

  typeOf(name: string): number | undefined {
    const a = this.byName.get(name);
    return a === undefined ? undefined : attrType(a);
  }

  take(name: string, kind: 'int' | 'float'): number | undefined;
  take(name: string, kind: 'ints' | 'floats'): readonly number[] | undefined;
  take(name: string, kind: 'string'): string | undefined;
  take(name: string, kind: 'tensor'): HostTensor | undefined;
  take(name: string, kind: AttrKind): AttrValue | undefined;
  take(name: string, kind: AttrKind): AttrValue | undefined {
    const a = this.byName.get(name);
    if (a === undefined || this.consumed.has(name)) return undefined;
    this.consumed.add(name);
    return readAttr(a, kind, this.where, this.options);
  }

  ignore(name: string): void {
    this.consumed.add(name);
  }

  remaining(): string[] {
    return [...this.byName.keys()].filter((n) => !this.consumed.has(n));
  }
}
