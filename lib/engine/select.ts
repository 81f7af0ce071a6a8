/** Choosing the device and provider for createEngine: explicit options, then DENOTRT_DEVICE, then what exists. */
import { InvalidArgumentError, LibraryError, UnsupportedError } from "../core/errors.ts";
import { isGpuAvailable } from "../cuda/device.ts";
import { optionalEnv as env } from "../core/env.ts";
import type { DeviceKind } from "./types.ts";

/** The device to run on: the option, else DENOTRT_DEVICE, else CUDA when a GPU is present, else the CPU. */
export function chooseDevice(requested?: DeviceKind): DeviceKind {
  const fromEnv = env("DENOTRT_DEVICE");
  const d = requested ?? fromEnv;
  if (d !== undefined) {
    if (d !== "cuda" && d !== "cpu") throw new InvalidArgumentError(`device must be "cuda" or "cpu", got "${d}"${requested ? "" : " (from DENOTRT_DEVICE)"}`);
    return d;
  }
  return isGpuAvailable() ? "cuda" : "cpu";
}

export interface ProviderChoice {
  provider: "builtin" | "tensorrt";
  /** Why this provider was taken (said to the user by createEngine). */
  reason: string;
}

/**
 * The provider for a build: "auto" takes TensorRT where it can run (a CUDA device and a usable libnvinfer) and the
 * built-in engine otherwise; "tensorrt" insists, failing with the reason it cannot be used.
 */
export function chooseProvider(
  requested: "auto" | "builtin" | "tensorrt",
  device: DeviceKind,
  tensorrt: () => { available: boolean; reason: string },
): ProviderChoice {
  if (requested === "builtin") return { provider: "builtin", reason: "requested" };
  if (requested !== "auto" && requested !== "tensorrt") {
    throw new InvalidArgumentError(`provider must be "auto", "builtin" or "tensorrt", got "${requested}"`);
  }
  if (device === "cpu") {
    if (requested === "tensorrt") throw new UnsupportedError("TensorRT runs only on CUDA devices; use device \"cuda\" or provider \"builtin\"");
    return { provider: "builtin", reason: "the device is the CPU, where TensorRT does not run" };
  }
  const status = tensorrt();
  if (status.available) return { provider: "tensorrt", reason: status.reason };
  if (requested === "tensorrt") throw new LibraryError(`provider "tensorrt" was requested, but TensorRT is not available: ${status.reason}`);
  return { provider: "builtin", reason: `TensorRT is not available (${status.reason})` };
}
