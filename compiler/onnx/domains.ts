// Operator-set domains kiln reads and writes: ONNX's default domain ('' or 'ai.onnx') and kiln's own.

/** kiln's own operators (ai.kiln::Moments); version 1. */
export const KILN_DOMAIN = 'ai.kiln';
export const KILN_DOMAIN_VERSION = 1;
