// Build-time errors. Anything the builder cannot represent faithfully must
// fail here, at build time, rather than produce a plan that computes garbage.

import { InvalidArgumentError, UnsupportedError } from "../core/errors.ts";
/** ONNX ops the builder accepts (default domain). Fused forms are in docs/OPS.md. */
export const SUPPORTED_OPS: readonly string[] = [
  "Abs", "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat",
  "Constant", "ConstantOfShape", "Conv", "ConvTranspose", "Div", "Dropout",
  "Equal", "Exp", "Expand", "Flatten", "Floor", "Gather", "Gemm",
  "GlobalAveragePool", "HardSigmoid", "HardSwish", "Identity", "LeakyRelu",
  "MatMul", "Max", "MaxPool", "Min", "Mul", "Neg", "Pad", "Pow", "Range",
  "ReduceMean", "ReduceSum", "Relu", "Reshape", "Resize", "Shape", "Sigmoid",
  "Slice", "Softmax", "Split", "Sqrt", "Squeeze", "Sub", "Tanh", "Transpose",
  "Unsqueeze", "Upsample", "Where",
];

/** Ops that only appear after fusion passes (never in ONNX input). */
export const INTERNAL_OPS: readonly string[] = ["SiLU", "FusedElementwise"];

/**
 * An op, attribute value or dtype the builder does not support.
 * `op` is the ONNX op type ("<model>" / "<initializer>" for model-level issues),
 * `node` the node (or tensor) name, `detail` what exactly is unsupported.
 */
export class UnsupportedOpError extends UnsupportedError {
  override name = "UnsupportedOpError";
  readonly op: string;
  readonly node: string;
  readonly detail: string;
  constructor(op: string, node: string, detail: string) {
    super(
      `unsupported: op ${op} (node "${node}"): ${detail}. ` +
        `Supported ops: ${SUPPORTED_OPS.join(", ")}`,
    );
    this.op = op;
    this.node = node;
    this.detail = detail;
  }
}

/** The bytes are not a valid ONNX model (not protobuf, no graph, inconsistent tensors, bad external data). */
export class ModelError extends InvalidArgumentError {
  override name = "ModelError";
}
