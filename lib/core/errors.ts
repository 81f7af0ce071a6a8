/**
 * Typed errors. Every failure of the shim arrives as a status plus a record naming the call and the code
 * (c_shim/include/denotrt.h); `errorFromStatus` turns it into one of these classes. Misuse caught in TypeScript
 * before any native call (bad sizes, disposed objects, wrong names) throws the same classes.
 */

/** Status codes of denotrt_status. */
export const Status = {
  OK: 0,
  INVALID_ARGUMENT: 1,
  CUDA_ERROR: 2,
  NO_DEVICE: 3,
  LIBRARY_ERROR: 4,
  CUDNN_ERROR: 5,
  CUBLAS_ERROR: 6,
  TENSORRT_ERROR: 7,
  PLAN_ERROR: 8,
  UNSUPPORTED: 9,
  SHAPE_ERROR: 10,
  OUT_OF_MEMORY: 11,
  INTERNAL_ERROR: 12,
} as const;

const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Status).map(([name, value]) => [value, `DENOTRT_${name}`]),
);

export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? `DENOTRT_UNKNOWN_STATUS(${status})`;
}

/** Base class of every error denotrt throws. */
export class DenotrtError extends Error {
  override name = "DenotrtError";
  constructor(message: string, readonly status: number = Status.INVALID_ARGUMENT, options?: ErrorOptions) {
    super(message, options);
  }
  get statusName(): string {
    return statusName(this.status);
  }
}

/** A bad argument: size, offset, dtype, shape or name. */
export class InvalidArgumentError extends DenotrtError {
  override name = "InvalidArgumentError";
  constructor(message: string) {
    super(message, Status.INVALID_ARGUMENT);
  }
}

/** A method was called on an object after it was disposed. */
export class DisposedError extends DenotrtError {
  override name = "DisposedError";
  constructor(what: string) {
    super(`${what} has been disposed and can no longer be used`, Status.INVALID_ARGUMENT);
  }
}

/** A failed call into a native library (CUDA, cuDNN, cuBLASLt, TensorRT): which call, which code. */
export class NativeCallError extends DenotrtError {
  override name = "NativeCallError";
  constructor(
    message: string,
    status: number,
    /** The native call that failed, e.g. "cudaHostAlloc(&p, bytes, cudaHostAllocPortable)". */
    readonly call: string,
    /** The library's own status code. */
    readonly code: number,
    /** The library's name for that code, e.g. "cudaErrorMemoryAllocation". */
    readonly codeName: string,
  ) {
    super(message, status);
  }
}

export class CudaError extends NativeCallError {
  override name = "CudaError";
}
/** No GPU is visible, or no (or too old an) NVIDIA driver is installed. */
export class NoDeviceError extends CudaError {
  override name = "NoDeviceError";
}
export class CudnnError extends NativeCallError {
  override name = "CudnnError";
}
export class CublasError extends NativeCallError {
  override name = "CublasError";
}
export class TensorRTError extends NativeCallError {
  override name = "TensorRTError";
}
/** A library needed at run time (the shim, cuDNN, cuBLASLt, libnvinfer) is missing or unusable. */
export class LibraryError extends DenotrtError {
  override name = "LibraryError";
  constructor(message: string, readonly tried: string[] = []) {
    super(message, Status.LIBRARY_ERROR);
  }
}
/** A corrupt, truncated, foreign or mismatched plan. */
export class PlanError extends DenotrtError {
  override name = "PlanError";
  constructor(message: string) {
    super(message, Status.PLAN_ERROR);
  }
}
/** An op, dtype or feature this build cannot run. */
export class UnsupportedError extends DenotrtError {
  override name = "UnsupportedError";
  constructor(message: string) {
    super(message, Status.UNSUPPORTED);
  }
}
/** A shape outside an optimization profile, or shapes that do not fit together. */
export class ShapeError extends DenotrtError {
  override name = "ShapeError";
  constructor(message: string) {
    super(message, Status.SHAPE_ERROR);
  }
}

/** What the shim reports about a failed call (see ffi/error_record.ts). */
export interface NativeFailure {
  status: number;
  code: number;
  api: string;
  codeName: string;
  message: string;
}

/** Builds the typed error for a failed shim call. */
export function errorFromStatus(f: NativeFailure, fallbackCall: string): DenotrtError {
  const call = f.api || fallbackCall;
  const codePart = f.codeName ? ` [${f.codeName}${f.code ? ` = ${f.code}` : ""}]` : "";
  const text = `${f.message || statusName(f.status)}${codePart}`;
  switch (f.status) {
    case Status.CUDA_ERROR:
      return new CudaError(text, f.status, call, f.code, f.codeName);
    case Status.NO_DEVICE:
      return new NoDeviceError(text, f.status, call, f.code, f.codeName);
    case Status.CUDNN_ERROR:
      return new CudnnError(text, f.status, call, f.code, f.codeName);
    case Status.CUBLAS_ERROR:
      return new CublasError(text, f.status, call, f.code, f.codeName);
    case Status.TENSORRT_ERROR:
      return new TensorRTError(text, f.status, call, f.code, f.codeName);
    case Status.LIBRARY_ERROR:
      return new LibraryError(text);
    case Status.PLAN_ERROR:
      return new PlanError(text);
    case Status.UNSUPPORTED:
      return new UnsupportedError(text);
    case Status.SHAPE_ERROR:
      return new ShapeError(text);
    case Status.INVALID_ARGUMENT:
      return new InvalidArgumentError(text);
    default:
      return new DenotrtError(`${call}: ${text}`, f.status);
  }
}
