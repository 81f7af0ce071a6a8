/** Choosing the device and provider for createEngine: explicit options, then DENOTRT_DEVICE, then what exists. */
import { InvalidArgumentError } from "../core/errors.ts";
import { isGpuAvailable } from "../cuda/device.ts";
import type { DeviceKind } from "./types.ts";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

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
