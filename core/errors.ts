// Typed errors. Every message names the op or layer, the node, the argument, what was expected and
// what came, so a user can find the fault without a debugger (DESIGN.md §9).

/** Where an error happened: an op and node, or a layer. */
export interface ErrorSite {
  /** Op type (e.g. 'BatchNormalization') or layer class (e.g. 'BatchNormalization layer'). */
  readonly op: string;
  /** Node or layer name. */
  readonly node: string;
}

function describeSite(site: ErrorSite): string {
  return `${site.op} '${site.node}'`;
}

/** Base class of every error kiln throws on purpose. */
export class KilnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An argument (attribute, config entry, input) has a bad value or type. */
export class ArgumentError extends KilnError {
  constructor(
    readonly site: ErrorSite,
    readonly argument: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${describeSite(site)}: argument '${argument}' expected ${expected}, got ${received}`);
  }
}

/** Shapes do not agree, found by shape inference (the only validation site for ops). */
export class ShapeError extends KilnError {
  constructor(
    readonly site: ErrorSite,
    readonly argument: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${describeSite(site)}: input '${argument}' expected shape ${expected}, got ${received}`);
  }
}

/** An element type is not accepted. */
export class DTypeError extends KilnError {
  constructor(
    readonly site: ErrorSite,
    readonly argument: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${describeSite(site)}: input '${argument}' expected dtype ${expected}, got ${received}`);
  }
}

/** An op, or an op variant, that kiln does not implement. */
export class UnsupportedOpError extends KilnError {
  constructor(
    readonly opType: string,
    readonly domain: string,
    readonly opset: number | undefined,
    readonly node: string,
    detail?: string,
  ) {
    const dom = domain === '' ? 'ai.onnx' : domain;
    const ver = opset === undefined ? '' : ` opset ${opset}`;
    super(`unsupported op ${dom}::${opType}${ver} at node '${node}'${detail ? `: ${detail}` : ''}`);
  }
}

/** An ONNX file or proto is malformed or uses something kiln cannot read. */
export class OnnxImportError extends KilnError {}

/** A graph cannot be written as ONNX at the requested opset. */
export class OnnxExportError extends KilnError {}

/** The graph is malformed: cycles, undefined values, wrong arity. */
export class GraphError extends KilnError {}

/** A session was fed the wrong inputs. */
export class FeedError extends KilnError {}

/** A requested backend is not available on this machine (never silently swapped, DESIGN.md §5). */
export class BackendUnavailableError extends KilnError {}

export function describeShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(',')}]`;
}
