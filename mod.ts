/**
 * denotrt: GPU inference from Deno, over TensorRT and CUDA, through a small C shim loaded with Deno.dlopen.
 *
 * ```ts
 * import * as trt from "jsr:@denotrt/trt";
 * using stream = new trt.Stream();
 * using host = trt.HostBuffer.of("float32", 1024);
 * using dev = trt.DeviceBuffer.of("float32", 1024);
 * host.view("float32").fill(1.5);
 * trt.copyAsync(dev, host, stream);
 * await stream.synchronize();
 * ```
 * @module
 */
export * from "./lib/core/errors.ts";
export { type AnyTypedArray, type DType, DTYPE_BYTES, hasFloat16Array, type TypedArrayFor } from "./lib/core/dtype.ts";
export { ConsoleLogger, drainLog, getLogger, type Logger, setLogger, Severity } from "./lib/core/log.ts";
export { type HandleKind, liveHandles, totalLiveHandles } from "./lib/core/handles.ts";
export { type LibraryInfo, libraryInfo } from "./lib/core/library_info.ts";
export {
  cudaVersions,
  type DeviceInfo,
  formatCudaVersion,
  getDeviceCount,
  getDeviceInfo,
  isGpuAvailable,
  setDevice,
} from "./lib/cuda/device.ts";
export { Graph, Stream, type StreamOptions } from "./lib/cuda/stream.ts";
export { CudaEvent } from "./lib/cuda/event.ts";
export { HostBuffer, type HostBufferOptions } from "./lib/cuda/host_buffer.ts";
export { DeviceBuffer } from "./lib/cuda/device_buffer.ts";
export { type Buffer, copyAsync, copyFromArray, type CopyOptions, copyToArray, memsetAsync } from "./lib/cuda/copy.ts";
export { Engine, ExecutionContext, type LayerProfile } from "./lib/engine/engine.ts";
export { createEngine, type CreateEngineOptions, InferenceEngine, type InferOptions } from "./lib/engine/session.ts";
export {
  Builder,
  BuilderConfig,
  BuilderFlag,
  NetworkDefinition,
  OnnxParser,
  OptimizationProfile,
  Runtime,
} from "./lib/engine/builder_api.ts";
export { TimingCache } from "./lib/engine/timing_cache.ts";
export {
  type DeviceKind,
  type InferInput,
  type InferOutput,
  type LayoutChoice,
  type Precision,
  type ProfileShapes,
  type Provider,
  type ShapeRange,
  type TensorInfo,
  TensorIOMode,
} from "./lib/engine/types.ts";
export { UnsupportedOpError } from "./lib/builder/errors.ts";
export { VERSION } from "./lib/version.ts";
export {
  buildTensorRTPlan,
  cancelTensorRTBuild,
  type TensorRTBuildOptions,
  tensorrtPlanVersion,
  type TensorRTStatus,
  tensorrtStatus,
} from "./lib/engine/tensorrt.ts";
export { type OnnxInput, onnxInputs } from "./lib/builder/onnx.ts";
export { ModelError } from "./lib/builder/errors.ts";
