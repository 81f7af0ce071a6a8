/**
 * The graph inputs of an ONNX model (name and dimensions, -1 where symbolic), for turning --batch and --shapes into
 * a profile. A thin view over the library's own onnxInputs(), which decodes with the same protobuf schema as the
 * builder (about 20 ms for ResNet-50's 100 MB).
 */
import { onnxInputs as modelInputs } from "../mod.ts";

export interface OnnxInput {
  name: string;
  /** -1 where the dimension is symbolic (dim_param) or unknown. */
  dims: number[];
}

export function onnxInputs(bytes: Uint8Array): OnnxInput[] {
  return modelInputs(bytes).map((i) => ({ name: i.name, dims: i.shape }));
}
