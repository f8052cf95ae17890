// ONNX import and export: ModelProto bytes <-> kiln IR graphs, with opset adapters (adapters/) and the
// TensorProto codec (tensor-proto.ts).

export { importModel, importModelFile, MAX_IMPORT_OPSET } from './import-model.js';
export type { ImportOptions, ImportedGraph } from './import-model.js';
export { exportModel, exportModelProto, irVersionForOpset, MIN_EXPORT_OPSET, MAX_EXPORT_OPSET } from './export-model.js';
export type { ExportOptions } from './export-model.js';
export { tensorFromProto, tensorToProto, dtypeFromOnnx } from './tensor-proto.js';
export { decodeModel, encodeModel } from './proto.js';
export { KILN_DOMAIN } from './domains.js';
export type { BatchNormConvention } from './adapters/types.js';
