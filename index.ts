// kiln's public API: Keras-style layers and models, the IR builder, ONNX import/export, sessions, the
// float64 reference interpreter, and the typed errors. Tensors are onnxruntime-common Tensors.
// Importing kiln registers it as the onnxruntime-common backend 'kiln' (executionProviders: ['kiln']).

export { Tensor } from 'onnxruntime-common';

// models
export { layers, layerFromConfig } from './models/layers/index.js';
export * from './models/layers/index.js';
export { Model, Sequential, input } from './models/model.js';
export type { InputArgs } from './models/model.js';
export { Layer } from './models/layer.js';
export type { CallOptions, KerasConfig, LayerWeight } from './models/layer.js';
export { SymbolicTensor } from './models/symbolic.js';
export { getInitializer, serializeInitializer } from './models/initializers.js';
export type { Initializer, InitializerSpec } from './models/initializers.js';
export { getRegularizer, l1, l2, l1l2 } from './models/regularizers.js';
export type { Regularizer, RegularizerSpec } from './models/regularizers.js';
export { getConstraint, maxNorm, minMaxNorm, nonNeg, unitNorm } from './models/constraints.js';
export type { Constraint, ConstraintSpec } from './models/constraints.js';
export { smallConvNet } from './models/zoo/small-convnet.js';

// compiler
export { GraphBuilder } from './compiler/ir/builder.js';
export type { AnyNode, Graph, Node, TensorType, Value } from './compiler/ir/types.js';
export { printGraph, printNode } from './compiler/ir/print.js';
export { verifyGraph } from './compiler/ir/verify.js';
export { lowerGraph } from './compiler/lowering/lower-graph.js';
export type { KernelPlan } from './compiler/lowering/plan.js';

// ops
export { OPS, opDef } from './ops/table.js';
export type { OpAttrs, OpName } from './ops/op-attrs.js';

// ONNX
export { importModel, exportModel, tensorFromProto, tensorToProto } from './compiler/onnx/index.js';
export type { ImportOptions, ExportOptions, ImportedGraph, BatchNormConvention } from './compiler/onnx/index.js';
export { exportOnnx, importOnnx, KERAS_METADATA_KEY } from './models/onnx-io.js';
export type { ExportOnnxOptions, ImportedModel } from './models/onnx-io.js';
export { optimizeGraph } from './compiler/pipeline.js';

// runtime
export { InferenceSession } from './runtime/onnx-session.js';
export type { KilnSessionOptions } from './runtime/onnx-session.js';
export { registerKilnBackend, kilnOrtBackend, KILN_BACKEND_NAME } from './runtime/ort-backend.js';
export { GraphSession } from './runtime/graph-session.js';
export type { GraphSessionOptions, BackendName } from './runtime/graph-session.js';
export { IoBinding } from './runtime/io-binding.js';
export { WasmBackend } from './runtime/wasm/wasm-backend.js';
export { runReference } from './runtime/reference.js';

// core
export * from './core/errors.js';
export type { DType } from './core/dtype.js';
export { fromOrtTensor, toOrtTensor, toFloat64, fromFloat64, hostTensor } from './core/tensor.js';
export type { HostTensor, F64Tensor } from './core/tensor.js';

import { registerKilnBackend as register } from './runtime/ort-backend.js';
register();
