// kiln's own WebAssembly binary encoder: LEB128, the type/import/function/export/code sections, and
// the core + 128-bit SIMD instructions the wasm backend's code generators emit.
//
// Why our own encoder rather than binaryen.js or wabt.js: (1) no large dependency — binaryen.js and
// wabt.js are multi-megabyte Emscripten builds, while this encoder is a few hundred lines; (2) kernels
// are generated at run time for concrete shapes, and emitting bytes directly takes microseconds, where
// the libraries parse text or build an IR and (binaryen) run optimization passes; (3) full control:
// we choose every instruction (lane layout, f32/f64 conversions, memarg offsets) and V8's optimizing
// tier does the register allocation, so an optimizer in between would add little. The price is that
// we validate by instantiating (WebAssembly.validate / new WebAssembly.Module) instead of by a typed
// builder; the encoder's unit tests assemble modules by hand and check computed values.

export { writeI32, writeU32, i32Bytes, u32Bytes } from './leb128.js';
export { FunctionBuilder } from './function-builder.js';
export type { Label, Local } from './function-builder.js';
export { ModuleBuilder } from './module-builder.js';
export type { MemoryImport } from './module-builder.js';
export type { ValType, PlainOp, SimdOp, MemoryOp, SimdMemoryOp, SimdLaneOp } from './opcodes.js';
