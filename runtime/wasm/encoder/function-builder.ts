// One function body under construction: typed locals, and an instruction emitter with structured
// control flow (labels are objects, so branch depths are computed, never counted by hand).

import { writeI32, writeU32 } from './leb128.js';
import {
  BLOCKTYPE_EMPTY, CONTROL, MEMORY, MemoryOp, PLAIN, PlainOp, SIMD, SIMD_CONST, SIMD_LANE, SIMD_MEMORY, SIMD_MEMORY_LANE, SIMD_PREFIX,
  SIMD_SHUFFLE, SimdLaneOp, SimdMemoryLaneOp, SimdMemoryOp, SimdOp, VALTYPE_CODE, ValType,
} from './opcodes.js';

export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/** A branch target: the control-stack level of the block or loop it names. */
export interface Label {
  readonly level: number;
}

export class FunctionBuilder {
  private readonly localTypes: ValType[] = [];
  private readonly code: number[] = [];
  private depth = 0;

  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[] = []) {}

  param(i: number): Local {
    if (i < 0 || i >= this.params.length) throw new RangeError(`function has ${this.params.length} parameters, asked for ${i}`);
    return { index: i, type: this.params[i] };
  }

  local(type: ValType): Local {
    this.localTypes.push(type);
    return { index: this.params.length + this.localTypes.length - 1, type };
  }

  get(l: Local): this {
    return this.indexed(CONTROL['local.get'], l.index);
  }

  set(l: Local): this {
    return this.indexed(CONTROL['local.set'], l.index);
  }

  tee(l: Local): this {
    return this.indexed(CONTROL['local.tee'], l.index);
  }

  op(name: PlainOp): this {
    this.code.push(PLAIN[name]);
    return this;
  }

  /** A scalar load or store; `offset` is the memarg's constant byte offset. */
  mem(name: MemoryOp, offset = 0): this {
    const [code, align] = MEMORY[name];
    this.code.push(code);
    return this.memarg(align, offset);
  }

  simd(name: SimdOp): this {
    this.code.push(SIMD_PREFIX);
    writeU32(this.code, SIMD[name]);
    return this;
  }

  /** A SIMD load or store (v128.load, v128.store, load32_splat, load64_zero, ...). */
  vmem(name: SimdMemoryOp, offset = 0): this {
    const [code, align] = SIMD_MEMORY[name];
    this.code.push(SIMD_PREFIX);
    writeU32(this.code, code);
    return this.memarg(align, offset);
  }

  lane(name: SimdLaneOp, lane: number): this {
    this.code.push(SIMD_PREFIX);
    writeU32(this.code, SIMD_LANE[name]);
    this.code.push(lane);
    return this;
  }

  /** v128.store32_lane / store64_lane: store one lane at the address on the stack. */
  storeLane(name: SimdMemoryLaneOp, offset: number, lane: number): this {
    const [code, align] = SIMD_MEMORY_LANE[name];
    this.code.push(SIMD_PREFIX);
    writeU32(this.code, code);
    this.memarg(align, offset);
    this.code.push(lane);
    return this;
  }

  i32(value: number): this {
    this.code.push(CONTROL['i32.const']);
    writeI32(this.code, value);
    return this;
  }

  f32(value: number): this {
    this.code.push(CONTROL['f32.const']);
    const b = new Uint8Array(new Float32Array([value]).buffer);
    this.code.push(...b);
    return this;
  }

  f64(value: number): this {
    this.code.push(CONTROL['f64.const']);
    const b = new Uint8Array(new Float64Array([value]).buffer);
    this.code.push(...b);
    return this;
  }

  /** v128.const from 16 raw bytes. */
  v128(bytes: ArrayLike<number>): this {
    if (bytes.length !== 16) throw new RangeError(`v128.const takes 16 bytes, got ${bytes.length}`);
    this.code.push(SIMD_PREFIX);
    writeU32(this.code, SIMD_CONST);
    for (let i = 0; i < 16; i++) this.code.push(bytes[i] & 0xff);
    return this;
  }

  f32x4(a: number, b: number, c: number, d: number): this {
    return this.v128(new Uint8Array(new Float32Array([a, b, c, d]).buffer));
  }

  f64x2(a: number, b: number): this {
    return this.v128(new Uint8Array(new Float64Array([a, b]).buffer));
  }

  /** i8x16.shuffle: byte i of the result is byte lanes[i] of a‖b (0–15 from a, 16–31 from b). */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) throw new RangeError(`i8x16.shuffle takes 16 lane indices in [0, 32)`);
    this.code.push(SIMD_PREFIX);
    writeU32(this.code, SIMD_SHUFFLE);
    this.code.push(...lanes);
    return this;
  }

  block(body: (end: Label) => void): this {
    return this.structured(CONTROL.block, body);
  }

  loop(body: (start: Label) => void): this {
    return this.structured(CONTROL.loop, body);
  }

  /** `if` (consumes an i32 condition) with an optional `else`. */
  if(then: () => void, otherwise?: () => void): this {
    this.code.push(CONTROL.if, BLOCKTYPE_EMPTY);
    this.depth++;
    then();
    if (otherwise !== undefined) {
      this.code.push(CONTROL.else);
      otherwise();
    }
    this.depth--;
    this.code.push(CONTROL.end);
    return this;
  }

  br(target: Label): this {
    return this.indexed(CONTROL.br, this.relative(target));
  }

  brIf(target: Label): this {
    return this.indexed(CONTROL.br_if, this.relative(target));
  }

  call(funcIndex: number): this {
    return this.indexed(CONTROL.call, funcIndex);
  }

  /** The locals declaration and the body, terminated by `end` (the function's code entry, unsized). */
  encode(): number[] {
    if (this.depth !== 0) throw new Error('function body has unclosed blocks');
    const out: number[] = [];
    const runs: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    writeU32(out, runs.length);
    for (const [count, t] of runs) {
      writeU32(out, count);
      out.push(VALTYPE_CODE[t]);
    }
    for (const b of this.code) out.push(b);
    out.push(CONTROL.end);
    return out;
  }

  private structured(opcode: number, body: (l: Label) => void): this {
    this.code.push(opcode, BLOCKTYPE_EMPTY);
    this.depth++;
    body({ level: this.depth });
    this.depth--;
    this.code.push(CONTROL.end);
    return this;
  }

  private relative(target: Label): number {
    const d = this.depth - target.level;
    if (d < 0) throw new Error('branch to a label outside the current block nest');
    return d;
  }

  private indexed(opcode: number, index: number): this {
    this.code.push(opcode);
    writeU32(this.code, index);
    return this;
  }

  private memarg(align: number, offset: number): this {
    writeU32(this.code, align);
    writeU32(this.code, offset);
    return this;
  }
}
