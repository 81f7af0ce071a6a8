/** Device queries: how many GPUs, what they are, which driver and runtime. */
import { sym } from "../../ffi/load.ts";
import { check } from "../core/call.ts";
import { InvalidArgumentError } from "../core/errors.ts";

export interface DeviceInfo {
  index: number;
  name: string;
  computeCapability: [number, number];
  multiprocessors: number;
  l2Bytes: number;
  totalMemory: number;
  freeMemory: number;
  driverVersion: number;
  runtimeVersion: number;
  pciBusId: number;
}

/** Number of visible CUDA GPUs. Throws NoDeviceError when there is no GPU or no driver. */
export function getDeviceCount(): number {
  const out = new Int32Array(1);
  check("denotrt_device_count", (err) => sym().denotrt_device_count(new Uint8Array(out.buffer), err));
  if (out[0] === 0) return 0;
  return out[0];
}

const INFO_BYTES = 320;

/** Properties of GPU `index`, with its free and total memory now. */
export function getDeviceInfo(index = 0): DeviceInfo {
  if (!Number.isInteger(index) || index < 0) throw new InvalidArgumentError(`device index must be a non-negative integer, got ${index}`);
  const buf = new Uint8Array(INFO_BYTES);
  check("denotrt_device_get_info", (err) => sym().denotrt_device_get_info(index, buf, err));
  const v = new DataView(buf.buffer);
  const nul = buf.indexOf(0);
  return {
    index,
    name: new TextDecoder().decode(buf.subarray(0, nul < 0 ? 256 : Math.min(nul, 256))),
    computeCapability: [v.getInt32(256, true), v.getInt32(260, true)],
    multiprocessors: v.getInt32(264, true),
    driverVersion: v.getInt32(268, true),
    runtimeVersion: v.getInt32(272, true),
    l2Bytes: v.getInt32(276, true),
    totalMemory: Number(v.getBigUint64(280, true)),
    freeMemory: Number(v.getBigUint64(288, true)),
    pciBusId: v.getInt32(296, true),
  };
}

/** Makes GPU `index` current for this thread's later allocations and launches. */
export function setDevice(index: number): void {
  check("denotrt_device_set", (err) => sym().denotrt_device_set(index, err));
}

/** The installed driver's CUDA version (0 when none is installed) and the runtime the shim was built with. */
export function cudaVersions(): { driver: number; runtime: number } {
  const d = new Int32Array(1), r = new Int32Array(1);
  check("denotrt_cuda_versions", (err) => sym().denotrt_cuda_versions(new Uint8Array(d.buffer), new Uint8Array(r.buffer), err));
  return { driver: d[0], runtime: r[0] };
}

/** True when at least one GPU can be used; never throws. */
export function isGpuAvailable(): boolean {
  try {
    return getDeviceCount() > 0;
  } catch {
    return false;
  }
}

/** Formats a CUDA version number (13000 → "13.0"). */
export function formatCudaVersion(v: number): string {
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}
