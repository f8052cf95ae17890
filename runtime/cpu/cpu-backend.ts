// The CPU backend: buffers are typed arrays; elementwise kernels are rendered to JavaScript and
// cached; routines run on float arrays (half and integer buffers are widened and narrowed around them).

import { allocateStorage, DType, Storage } from '../../core/dtype.js';
import { fromFloat64, readElement } from '../../core/tensor.js';
import type { ElementwiseKernel, RoutineCall, RoutineName } from '../../ops/kernel-ir.js';
import type { Backend } from '../backend.js';
import { compileElementwise, ElementwiseFn } from './elementwise-codegen.js';
import { CPU_ROUTINES } from './routines/index.js';
import type { CallOf, FloatArray, RoutineImpl } from './routines/types.js';

export interface CpuBuffer {
  readonly dtype: DType;
  readonly data: Storage;
}

function asFloat(b: CpuBuffer): FloatArray {
  if (b.data instanceof Float32Array || b.data instanceof Float64Array) return b.data;
  const out = new Float64Array(b.data.length);
  for (let i = 0; i < out.length; i++) out[i] = readElement(b.dtype, b.data, i);
  return out;
}

function runRoutine<R extends RoutineName>(call: CallOf<R>, inputs: readonly FloatArray[], outputs: readonly FloatArray[]): void {
  const impl: RoutineImpl<R> = CPU_ROUTINES[call.routine as R];
  impl(call, inputs, outputs);
}

export class CpuBackend implements Backend<CpuBuffer, ElementwiseFn> {
  readonly name = 'cpu';

  allocate(dtype: DType, size: number): CpuBuffer {
    return { dtype, data: allocateStorage(dtype, size) };
  }

  view(buf: CpuBuffer, offset: number, size: number): CpuBuffer {
    if (offset < 0 || offset + size > buf.data.length) throw new RangeError(`view of elements [${offset}, ${offset + size}) of a ${buf.data.length}-element buffer`);
    return offset === 0 && size === buf.data.length ? buf : { dtype: buf.dtype, data: buf.data.subarray(offset, offset + size) };
  }

  write(buf: CpuBuffer, data: Storage): void {
    (buf.data as Float64Array).set(data as Float64Array);
  }

  read(buf: CpuBuffer): Storage {
    return buf.data.slice();
  }

  constant(dtype: DType, data: Storage): CpuBuffer {
    return { dtype, data };
  }

  storage(buf: CpuBuffer): Storage {
    return buf.data;
  }

  compile(kernel: ElementwiseKernel): ElementwiseFn {
    return compileElementwise(kernel);
  }

  dispatch(kernel: ElementwiseFn, operands: readonly CpuBuffer[], output: CpuBuffer): void {
    kernel(operands.map((o) => o.data), output.data);
  }

  runRoutine(call: RoutineCall, operands: readonly CpuBuffer[], outputs: readonly CpuBuffer[]): void {
    const outs = outputs.map((o) => (o.data instanceof Float32Array || o.data instanceof Float64Array ? o.data : new Float64Array(o.data.length)));
    runRoutine(call as CallOf<RoutineName>, operands.map(asFloat), outs);
    outputs.forEach((o, i) => {
      if (outs[i] !== o.data) this.write(o, fromFloat64(o.dtype, [outs[i].length], outs[i]).data);
    });
  }
}
