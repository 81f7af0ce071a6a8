/**
 * The TensorRT tests' FFI handle: the symbols of c_shim/include/denotrt_tensorrt.h, taken from ffi/symbols.ts. The library is found the way ffi/load.ts finds it (DENOTRT_LIB, build/, the system search), and
 * the core symbols (buffers, streams, engines) come from the official table through ffi/load.ts.
 * Symbols that exist only in builds with TensorRT support are `optional` (null in builds without it).
 */
import { libraryCandidates } from "../../ffi/load.ts";
import { symbols } from "../../ffi/symbols.ts";
import { type ErrorRecord, newErrorRecord, readErrorRecord } from "../../ffi/error_record.ts";

// The TensorRT part of the official table (ffi/symbols.ts), opened on its own handle per test process.
export const trtSymbols = {
  denotrt_build_features: symbols.denotrt_build_features,
  denotrt_tensorrt_plan_version: symbols.denotrt_tensorrt_plan_version,
  denotrt_tensorrt_compiled_version: symbols.denotrt_tensorrt_compiled_version,
  denotrt_tensorrt_load: symbols.denotrt_tensorrt_load,
  denotrt_tensorrt_device_memory_size: symbols.denotrt_tensorrt_device_memory_size,
  denotrt_tensorrt_context_create_with_memory: symbols.denotrt_tensorrt_context_create_with_memory,
  denotrt_tensorrt_refit_weights: symbols.denotrt_tensorrt_refit_weights,
  denotrt_tensorrt_build: symbols.denotrt_tensorrt_build,
  denotrt_tensorrt_free: symbols.denotrt_tensorrt_free,
  denotrt_tensorrt_build_cancel: symbols.denotrt_tensorrt_build_cancel,
  denotrt_tensorrt_build_progress_pop: symbols.denotrt_tensorrt_build_progress_pop,
} as const satisfies Deno.ForeignLibraryInterface;

export const Status = {
  OK: 0,
  INVALID_ARGUMENT: 1,
  LIBRARY_ERROR: 4,
  TENSORRT_ERROR: 7,
  PLAN_ERROR: 8,
  UNSUPPORTED: 9,
  SHAPE_ERROR: 10,
} as const;

let opened: { lib: Deno.DynamicLibrary<typeof trtSymbols>; path: string } | undefined;
let openError: string | undefined;

/** The library with the TensorRT symbols, or undefined (see openFailure()) when none could be opened. */
export function trtLib(): { lib: Deno.DynamicLibrary<typeof trtSymbols>; path: string } | undefined {
  if (opened || openError) return opened;
  const reasons: string[] = [];
  for (const path of libraryCandidates()) {
    try {
      opened = { lib: Deno.dlopen(path, trtSymbols), path };
      return opened;
    } catch (e) {
      reasons.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  openError = `libdenotrt.so could not be opened (${reasons.join("; ")})`;
  return undefined;
}

export function openFailure(): string | undefined {
  trtLib();
  return openError;
}

/** Bit 2 of denotrt_build_features: the shim was compiled against TensorRT's headers. */
export function hasTensorRTSupport(): boolean {
  const t = trtLib();
  return !!t && (t.lib.symbols.denotrt_build_features() & 2) !== 0 && t.lib.symbols.denotrt_tensorrt_load !== null;
}

export { newErrorRecord, readErrorRecord };
export type { ErrorRecord };

export function i32(): Int32Array<ArrayBuffer> {
  return new Int32Array(1);
}

/** The TensorRT version the shim was compiled for, e.g. [10, 16, 0]. */
export function compiledVersion(): [number, number, number] {
  const s = trtLib()!.lib.symbols;
  const a = i32(), b = i32(), c = i32();
  s.denotrt_tensorrt_compiled_version!(a, b, c);
  return [a[0], b[0], c[0]];
}

/** A synthetic TensorRT plan header laid out as plan_header.cpp reads it: magic, then major/minor/patch at 24..26. */
export function syntheticPlan(
  major: number,
  minor: number,
  patch: number,
  opts: { magic?: string; bytes?: number } = {},
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(opts.bytes ?? 64);
  out.set(new TextEncoder().encode(opts.magic ?? "ftrt").subarray(0, Math.min(4, out.length)));
  if (out.length > 26) {
    out[8] = 239; // TensorRT's internal serialization version lives here; the reader must not use it
    out[24] = major;
    out[25] = minor;
    out[26] = patch;
  }
  return out;
}

/**
 * Runs tests/tensorrt/_probe.ts in a fresh Deno process: the TensorRT library, once loaded, stays loaded for the
 * process, so every loader scenario needs its own process. Returns the probe's JSON answer.
 */
export async function probe(
  action: "load" | "deserialize",
  env: Record<string, string>,
  plan?: Uint8Array,
): Promise<{ rc: number; error?: ErrorRecord; version?: number; path?: string; raw: string }> {
  const args = [
    "run",
    "--quiet",
    "--allow-ffi",
    "--allow-read",
    "--allow-env",
    new URL("./_probe.ts", import.meta.url).pathname,
    action,
  ];
  if (plan) args.push(btoa(String.fromCharCode(...plan)));
  const lib = trtLib()?.path;
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    env: { ...(lib ? { DENOTRT_LIB: lib } : {}), ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  const raw = `${text}\n${new TextDecoder().decode(out.stderr)}`;
  if (out.code !== 0) throw new Error(`probe exited with ${out.code}: ${raw}`);
  return { ...JSON.parse(text.split("\n").at(-1)!), raw };
}
