// What a benchmark workload is: a kiln IR graph with its feeds (NCHW), the ONNX bytes the onnxruntime
// peers load, and a semantic description (`spec`) from which peers without ONNX (tfjs, the C loop)
// build their own equivalent.

import type { Graph } from '../../compiler/ir/types.js';
import type { HostTensor } from '../../core/tensor.js';

export type WorkloadGroup = 'bn-inference' | 'bn-training' | 'fused' | 'model';

export type WorkloadSpec =
  /** One BatchNormalization node; dims are [N, C, spatial...] (channel axis 1). */
  | { readonly kind: 'bn'; readonly training: boolean; readonly dims: readonly number[] }
  /** Conv 3×3 (pad 1, stride 1, no bias) → BatchNormalization → Relu on NCHW `dims`. */
  | { readonly kind: 'conv-bn-relu'; readonly dims: readonly number[]; readonly outChannels: number }
  /** MatMul [m×k]·[k×n] → BatchNormalization (channel axis 1, C = n) → Relu. */
  | { readonly kind: 'matmul-bn-relu'; readonly m: number; readonly k: number; readonly n: number }
  /** ResNet (torchvision layout: 7×7 stem, max-pool, basic blocks, global average pool, fc 1000). */
  | { readonly kind: 'resnet'; readonly depth: 18 | 50; readonly batch: number };

/** A workload's graph, inputs and parameters, made once per run (the big ones are hundreds of MB). */
export interface BuiltWorkload {
  readonly graph: Graph;
  /** Inputs by graph input name, NCHW. */
  readonly feeds: Readonly<Record<string, HostTensor>>;
  /** Parameter values by initializer role (scale, B, mean, var, W) for peers that rebuild the graph. */
  readonly params: Readonly<Record<string, HostTensor>>;
  /** The same graph as ONNX ModelProto bytes (opset 15), for the onnxruntime peers. */
  onnx(): Uint8Array;
}

export interface Workload {
  /** Short id, used by `--only`. */
  readonly name: string;
  /** Row label in the report. */
  readonly title: string;
  readonly group: WorkloadGroup;
  readonly spec: WorkloadSpec;
  /**
   * Bytes a memory-bound implementation must move per run (BN workloads; see bench/workloads/bn.ts),
   * for the GB/s columns.
   */
  readonly bytesMoved?: number;
  build(): BuiltWorkload;
}
