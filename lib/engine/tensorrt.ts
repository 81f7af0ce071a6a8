/**
 * The TensorRT provider from TypeScript: whether it can be used here, and building an ONNX model into a TensorRT
 * plan through the shim (nvonnxparser + IBuilder). Running a TensorRT plan needs nothing from here: Engine and
 * ExecutionContext serve both providers.
 */
import { sym } from "../../ffi/load.ts";
import { newErrorRecord, readErrorRecord } from "../../ffi/error_record.ts";
import { cstr } from "../core/call.ts";
import { errorFromStatus, LibraryError, UnsupportedError } from "../core/errors.ts";
import { drainLog } from "../core/log.ts";
import type { Precision, ProfileShapes } from "./types.ts";

export interface TensorRTStatus {
  available: boolean;
  /** Why it is not available, or where it was loaded from. */
  reason: string;
  /** e.g. "10.16.0" */
  version?: string;
  libraryPath?: string;
}

let loaded: TensorRTStatus | undefined;

/** Whether this build of the shim has TensorRT support and libnvinfer loads. A failure is not cached (retried). */
export function tensorrtStatus(): TensorRTStatus {
  if (loaded) return loaded;
  const s = sym();
  if ((s.denotrt_build_features() & 2) === 0 || !s.denotrt_tensorrt_load) {
    return {
      available: false,
      reason: "this libdenotrt.so was built without TensorRT headers (set TENSORRT_ROOT or TENSORRT_INCLUDE and rebuild)",
    };
  }
  const version = new Int32Array(1);
  const path = new Uint8Array(1024);
  const err = newErrorRecord();
  const rc = s.denotrt_tensorrt_load(new Uint8Array(version.buffer), path, BigInt(path.length), err);
  drainLog();
  if (rc !== 0) return { available: false, reason: readErrorRecord(err).message };
  const v = version[0];
  const nul = path.indexOf(0);
  const libraryPath = new TextDecoder().decode(path.subarray(0, nul < 0 ? path.length : nul));
  loaded = {
    available: true,
    reason: `libnvinfer loaded from ${libraryPath}`,
    version: `${Math.floor(v / 10000)}.${Math.floor(v / 100) % 100}.${v % 100}`,
    libraryPath,
  };
  return loaded;
}

/** The TensorRT version recorded in a TensorRT plan's header, or undefined when `plan` is not a TensorRT plan. */
export function tensorrtPlanVersion(plan: Uint8Array<ArrayBuffer>): string | undefined {
  const v = new Int32Array(3);
  const err = newErrorRecord();
  const rc = sym().denotrt_tensorrt_plan_version(
    plan,
    BigInt(plan.byteLength),
    new Uint8Array(v.buffer, 0, 4),
    new Uint8Array(v.buffer, 4, 4),
    new Uint8Array(v.buffer, 8, 4),
    err,
  );
  return rc === 0 ? `${v[0]}.${v[1]}.${v[2]}` : undefined;
}

export interface TensorRTBuildOptions {
  precision: Precision;
  profiles: ProfileShapes[];
  /** The ONNX file's path, so external weights are found. */
  modelPath?: string;
  workspaceBytes?: number;
  onProgress?: (phase: string, step: number, steps: number) => void;
}

const MAX_RANK = 8;
const CONFIG_BYTES = 128;
const PROGRESS_BYTES = 280;
const FLAG_FP16 = 1, FLAG_TF32 = 4;

function addressOf(buf: ArrayBufferView | null): bigint {
  return buf === null ? 0n : BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as BufferSource)));
}

/** Builds a TensorRT plan from ONNX bytes. Throws LibraryError when TensorRT is not usable here. */
export async function buildTensorRTPlan(onnx: Uint8Array<ArrayBuffer>, opts: TensorRTBuildOptions): Promise<Uint8Array> {
  const status = tensorrtStatus();
  if (!status.available) throw new LibraryError(`TensorRT is not available: ${status.reason}`);
  const s = sym();
  // Profiles as the flat entry arrays of denotrt_tensorrt_build_config (one entry per profile and input).
  const entries = opts.profiles.flatMap((p, index) => Object.entries(p).map(([name, r]) => ({ index, name, r })));
  const names = entries.map((e) => cstr(e.name));
  const namePtrs = BigUint64Array.from(names, (n) => addressOf(n));
  const index = Int32Array.from(entries, (e) => e.index);
  const ranks = Int32Array.from(entries, (e) => e.r.min.length);
  const dims = new BigInt64Array(entries.length * 3 * MAX_RANK);
  entries.forEach((e, i) =>
    [e.r.min, e.r.opt, e.r.max].forEach((shape, k) => shape.forEach((d, j) => (dims[(i * 3 + k) * MAX_RANK + j] = BigInt(d))))
  );
  const modelPath = opts.modelPath ? cstr(opts.modelPath) : null;
  const config = new Uint8Array(CONFIG_BYTES);
  const v = new DataView(config.buffer);
  if (opts.precision === "fp16") {
    v.setUint32(0, FLAG_FP16, true);
  } else if (opts.precision === "tf32") v.setUint32(0, FLAG_TF32, true);
  v.setInt32(4, -1, true); // TensorRT's default optimization level
  v.setInt32(12, entries.length, true);
  v.setBigUint64(16, BigInt(opts.workspaceBytes ?? 0), true);
  if (entries.length) {
    v.setBigUint64(24, addressOf(namePtrs), true);
    v.setBigUint64(32, addressOf(index), true);
    v.setBigUint64(40, addressOf(ranks), true);
    v.setBigUint64(48, addressOf(dims), true);
  }
  v.setBigUint64(88, addressOf(modelPath), true);
  const planPtr = new BigUint64Array(1), planBytes = new BigUint64Array(1);
  const err = newErrorRecord();
  const poll = setInterval(() => drainProgress(opts.onProgress), 100);
  let rc: number;
  try {
    rc = await s.denotrt_tensorrt_build!(onnx, BigInt(onnx.byteLength), config, new Uint8Array(planPtr.buffer), new Uint8Array(planBytes.buffer), err);
  } finally {
    clearInterval(poll);
    drainProgress(opts.onProgress);
    drainLog();
  }
  // Keep every buffer the config points into alive until the build returned.
  void [names, namePtrs, index, ranks, dims, modelPath];
  if (rc !== 0) throw errorFromStatus({ ...readErrorRecord(err), status: rc }, "denotrt_tensorrt_build");
  const p = Deno.UnsafePointer.create(planPtr[0]);
  if (p === null) throw new UnsupportedError("TensorRT returned an empty plan");
  const plan = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, Number(planBytes[0])).slice(0));
  s.denotrt_tensorrt_free!(p);
  return plan;
}

function drainProgress(onProgress?: (phase: string, step: number, steps: number) => void): void {
  const pop = sym().denotrt_tensorrt_build_progress_pop;
  if (!pop) return;
  const rec = new Uint8Array(PROGRESS_BYTES);
  const v = new DataView(rec.buffer);
  const dec = new TextDecoder();
  while (pop(rec, null)) {
    const nul = rec.indexOf(0, 24);
    const phase = dec.decode(rec.subarray(24, nul < 0 || nul > 152 ? 152 : nul));
    onProgress?.(phase, Math.max(0, v.getInt32(4, true)), v.getInt32(8, true));
  }
}

/** Cancels a running TensorRT build (it fails with TensorRTError "build cancelled"). */
export function cancelTensorRTBuild(): void {
  sym().denotrt_tensorrt_build_cancel?.();
}

