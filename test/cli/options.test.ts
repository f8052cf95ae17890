// Command-line parsing: positionals, single/repeated flags, switches, typed usage errors.

import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../core/errors.js';
import { UsageError } from '../../cli/errors.js';
import { intArg, keyValue, parseArgs, sessionArg, type ArgSpec } from '../../cli/options.js';

const spec: ArgSpec = { single: ['seed', 'backend'], repeated: ['input'], switches: ['bisect'], positionals: [1, 1], positionalName: 'model.onnx' };

describe('parseArgs', () => {
  it('collects positionals, values in order, --flag=value and switches', () => {
    const p = parseArgs('check', ['m.onnx', '--input', 'a=1.pb', '--input=b=2.pb', '--seed', '3', '--bisect'], spec);
    expect(p.positionals).toEqual(['m.onnx']);
    expect(p.values.get('input')).toEqual(['a=1.pb', 'b=2.pb']);
    expect(intArg('check', p, 'seed', 1, 0, 10)).toBe(3);
    expect(p.switches.has('bisect')).toBe(true);
    expect(sessionArg('check', p)).toEqual({ backend: 'cpu' });
  });

  it('rejects unknown flags, missing values, repeated single flags and wrong positional counts', () => {
    expect(() => parseArgs('check', ['m.onnx', '--nope', '1'], spec)).toThrow(/--nope/);
    expect(() => parseArgs('check', ['m.onnx', '--seed'], spec)).toThrow(/expected a value/);
    expect(() => parseArgs('check', ['m.onnx', '--seed', '1', '--seed', '2'], spec)).toThrow(/at most one value/);
    expect(() => parseArgs('check', [], spec)).toThrow(UsageError);
    expect(() => parseArgs('check', ['a', 'b'], spec)).toThrow(/'model.onnx' expected 1 argument/);
    expect(() => parseArgs('check', ['m.onnx', '--bisect=1'], spec)).toThrow(/no value/);
  });

  it('usage errors are ArgumentErrors naming the command', () => {
    const parsed = parseArgs('check', ['m.onnx', '--backend', 'tpu'], spec);
    expect(() => sessionArg('check', parsed)).toThrow(ArgumentError);
    expect(() => sessionArg('check', parsed)).toThrow("kiln 'check': argument '--backend' expected one of cpu, wasm, got 'tpu'");
  });

  it('reads --backend and --precision (wasm only) into session options', () => {
    const session = (...args: string[]): unknown => sessionArg('run', parseArgs('run', ['m.onnx', ...args], { single: ['backend', 'precision'], positionals: [1, 1], positionalName: 'model.onnx' }));
    expect(session()).toEqual({ backend: 'cpu' });
    expect(session('--backend', 'wasm')).toEqual({ backend: 'wasm' });
    expect(session('--backend', 'wasm', '--precision', 'float32')).toEqual({ backend: 'wasm', precision: 'float32' });
    expect(() => session('--precision', 'float32')).toThrow("kiln 'run': argument '--precision' expected no value unless --backend is 'wasm', got 'float32'");
    expect(() => session('--backend', 'wasm', '--precision', 'half')).toThrow("argument '--precision' expected one of float64, float32, got 'half'");
  });

  it('splits key=value and rejects anything else', () => {
    expect(keyValue('run', 'input', 'x=a=b.pb', 'file.pb')).toEqual({ key: 'x', value: 'a=b.pb' });
    expect(() => keyValue('run', 'input', 'x.pb', 'file.pb')).toThrow("argument '--input' expected name=file.pb, got 'x.pb'");
    expect(() => keyValue('run', 'input', '=x.pb', 'file.pb')).toThrow(UsageError);
    expect(() => keyValue('run', 'input', 'x=', 'file.pb')).toThrow(UsageError);
  });
});
