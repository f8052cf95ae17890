// ONNX Min (opset 13): elementwise minimum of 1..N inputs with numpy broadcasting; NaN propagates.

import { defineExtremum } from './max.js';

export const Min = defineExtremum('Min', 'min');
