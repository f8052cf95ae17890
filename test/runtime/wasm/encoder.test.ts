// The WebAssembly encoder: LEB128 against hand-computed bytes, and hand-assembled modules (scalar
// arithmetic, structured loops with br_if, SIMD f32x4/f64x2 over a shared memory, lane instructions,
// calls) validated and instantiated by the runtime, computing known values.

import { describe, expect, it } from 'vitest';
import { FunctionBuilder, i32Bytes, ModuleBuilder, u32Bytes } from '../../../runtime/wasm/encoder/index.js';
import { exportedFunctions, WasmFunction, WasmMemory, WebAssemblyApi, webAssembly } from '../../../runtime/wasm/wasm-api.js';

function requireApi(): WebAssemblyApi {
  const a = webAssembly();
  if (a === undefined) throw new Error('these tests need WebAssembly');
  return a;
}
const api = requireApi();

function instantiate(m: ModuleBuilder, names: readonly string[], memory?: WasmMemory): WasmFunction[] {
  const bytes = m.encode();
  expect(api.validate(bytes)).toBe(true);
  const mod = new api.Module(bytes);
  const mem = memory ?? new api.Memory({ initial: 1, maximum: 1, shared: true });
  return exportedFunctions(new api.Instance(mod, { env: { memory: mem } }), names);
}

describe('LEB128', () => {
  it('encodes unsigned values (spec examples)', () => {
    expect(u32Bytes(0)).toEqual([0]);
    expect(u32Bytes(127)).toEqual([0x7f]);
    expect(u32Bytes(128)).toEqual([0x80, 0x01]);
    expect(u32Bytes(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(u32Bytes(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });
  it('encodes signed values, wrapping u32 inputs to i32', () => {
    expect(i32Bytes(0)).toEqual([0]);
    expect(i32Bytes(63)).toEqual([0x3f]);
    expect(i32Bytes(64)).toEqual([0xc0, 0x00]);
    expect(i32Bytes(-1)).toEqual([0x7f]);
    expect(i32Bytes(-64)).toEqual([0x40]);
    expect(i32Bytes(-65)).toEqual([0xbf, 0x7f]);
    expect(i32Bytes(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(i32Bytes(0x80000000)).toEqual(i32Bytes(-0x80000000));
  });
  it('rejects values outside 32 bits', () => {
    expect(() => u32Bytes(-1)).toThrow(RangeError);
    expect(() => u32Bytes(2 ** 32)).toThrow(RangeError);
    expect(() => i32Bytes(1.5)).toThrow(RangeError);
  });
});

describe('hand-assembled modules', () => {
  it('scalar i32 and f64 arithmetic', () => {
    const m = new ModuleBuilder();
    const add = new FunctionBuilder(['i32', 'i32'], ['i32']);
    add.get(add.param(0)).get(add.param(1)).op('i32.add').i32(-7).op('i32.mul');
    m.addFunction(add, 'add');
    const hyp = new FunctionBuilder(['f64', 'f64'], ['f64']);
    const t = hyp.local('f64');
    hyp.get(hyp.param(0)).tee(t).get(t).op('f64.mul').get(hyp.param(1)).get(hyp.param(1)).op('f64.mul').op('f64.add').op('f64.sqrt');
    m.addFunction(hyp, 'hyp');
    const [fAdd, fHyp] = instantiate(m, ['add', 'hyp']);
    expect(fAdd(3, 4)).toBe(-49);
    expect(fHyp(3, 4)).toBe(5);
  });

  it('a loop with br_if sums 1..n, and a call reuses it', () => {
    const m = new ModuleBuilder();
    const sum = new FunctionBuilder(['i32'], ['i32']);
    const i = sum.local('i32');
    const acc = sum.local('i32');
    sum.block((done) => {
      sum.loop((again) => {
        sum.get(i).get(sum.param(0)).op('i32.ge_u').brIf(done);
        sum.get(i).i32(1).op('i32.add').tee(i).get(acc).op('i32.add').set(acc);
        sum.br(again);
      });
    });
    sum.get(acc);
    const idx = m.addFunction(sum, 'sum');
    const twice = new FunctionBuilder(['i32'], ['i32']);
    twice.get(twice.param(0)).call(idx).i32(2).op('i32.mul');
    m.addFunction(twice, 'twice');
    const fIf = new FunctionBuilder(['i32'], ['i32']);
    const r = fIf.local('i32');
    fIf.get(fIf.param(0)).if(() => void fIf.i32(10).set(r), () => void fIf.i32(20).set(r));
    fIf.get(r);
    m.addFunction(fIf, 'pick');
    const [fSum, fTwice, fPick] = instantiate(m, ['sum', 'twice', 'pick']);
    expect(fSum(100)).toBe(5050);
    expect(fTwice(10)).toBe(110);
    expect(fPick(1)).toBe(10);
    expect(fPick(0)).toBe(20);
  });

  it('f32x4 arithmetic over a shared memory, with splats and lane extraction', () => {
    const memory = new api.Memory({ initial: 1, maximum: 4, shared: true });
    const m = new ModuleBuilder().importMemory({ module: 'env', name: 'memory', minPages: 1, maxPages: 4, shared: true });
    // out[0..4) = sqrt(max(a·b − 1, 0)) + min(a, b) / 2 for 4 lanes; returns lane 2.
    const f = new FunctionBuilder(['i32', 'i32', 'i32'], ['f32']);
    const [a, b, out] = [0, 1, 2].map((k) => f.param(k));
    const v = f.local('v128');
    f.get(out);
    f.get(a).vmem('v128.load').get(b).vmem('v128.load').simd('f32x4.mul').f32(1).simd('f32x4.splat').simd('f32x4.sub');
    f.f32x4(0, 0, 0, 0).simd('f32x4.max').simd('f32x4.sqrt');
    f.get(a).vmem('v128.load').get(b).vmem('v128.load').simd('f32x4.min').f32(2).simd('f32x4.splat').simd('f32x4.div').simd('f32x4.add');
    f.tee(v).vmem('v128.store');
    f.get(v).lane('f32x4.extract_lane', 2);
    m.addFunction(f, 'kernel');
    const [kernel] = instantiate(m, ['kernel'], memory);
    const mem = new Float32Array(memory.buffer);
    mem.set([1, 2, 3, 4], 0);
    mem.set([5, 0.25, 2, -1], 4);
    const lane2 = kernel(0, 16, 32);
    const expected = [0, 1, 2, 3].map((k) => {
      const x = mem[k];
      const y = mem[4 + k];
      return Math.fround(Math.fround(Math.sqrt(Math.max(Math.fround(Math.fround(x * y) - 1), 0))) + Math.fround(Math.min(x, y) / 2));
    });
    expect([...mem.subarray(8, 12)]).toEqual(expected);
    expect(lane2).toBe(expected[2]);
  });

  it('f64x2 promote/demote, shuffles, load64_zero and store64_lane', () => {
    const memory = new api.Memory({ initial: 1, maximum: 1, shared: true });
    const m = new ModuleBuilder().importMemory({ module: 'env', name: 'memory', minPages: 1, maxPages: 1, shared: true });
    // Two float32 at p, widened, times 3 in float64, rounded, stored as two float32 at q;
    // also the high pair of a v128 via a shuffle, summed in float64 and returned.
    const f = new FunctionBuilder(['i32', 'i32'], ['f64']);
    const [p, q] = [f.param(0), f.param(1)];
    const w = f.local('v128');
    f.get(q);
    f.get(p).vmem('v128.load64_zero').simd('f64x2.promote_low_f32x4').f64x2(3, 3).simd('f64x2.mul');
    f.simd('f32x4.demote_f64x2_zero').storeLane('v128.store64_lane', 0, 0);
    f.get(p).vmem('v128.load').tee(w).get(w).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]).simd('f64x2.promote_low_f32x4').set(w);
    f.get(w).lane('f64x2.extract_lane', 0).get(w).lane('f64x2.extract_lane', 1).op('f64.add');
    m.addFunction(f, 'k');
    const [k] = instantiate(m, ['k'], memory);
    const mem = new Float32Array(memory.buffer);
    mem.set([0.1, 0.2, 0.3, 0.4, 99, 99, 99], 0);
    const r = k(0, 16);
    expect(mem[4]).toBe(Math.fround(Math.fround(0.1) * 3));
    expect(mem[5]).toBe(Math.fround(Math.fround(0.2) * 3));
    expect(mem[6]).toBe(99);
    expect(r).toBe(Math.fround(0.3) + Math.fround(0.4));
  });

  it('refuses malformed bodies and immediates', () => {
    const f = new FunctionBuilder([]);
    expect(() => f.shuffle([0, 1])).toThrow(RangeError);
    expect(() => f.v128([1, 2, 3])).toThrow(RangeError);
    expect(() => f.param(0)).toThrow(RangeError);
    const outer = new FunctionBuilder([]);
    let escaped: { level: number } | undefined;
    outer.block((l) => {
      escaped = l;
    });
    expect(() => outer.br(escaped ?? { level: 1 })).toThrow(/outside/);
    expect(() => new ModuleBuilder().importMemory({ module: 'env', name: 'm', minPages: 1, shared: true })).toThrow(/maximum/);
  });
});
