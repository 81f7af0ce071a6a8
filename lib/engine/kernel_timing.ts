/**
 * The builder's kernel timing for built-in plans (the one place the builder reaches the GPU): the shim builds the
 * plan into a CUDA engine, applies each optimization profile's opt shapes, and every layer with a choice of kernels
 * takes it from the timing cache or times its candidates. What the layers chose comes back as timing-cache bytes,
 * which the builder embeds in the final plan, and as kernel names for inspect().
 */
import { sym } from "../../ffi/load.ts";
import { checkAsync } from "../core/call.ts";
import { TimingCache } from "./timing_cache.ts";

export interface KernelTimingResult {
  /** Kernel per layer name, at profile 0's opt shapes. */
  kernels: Record<string, string>;
  /** Timing-cache bytes of exactly the choices the plan's layers use. */
  tactics: Uint8Array;
  /** How many choices those are. */
  choices: number;
  /** Wall time of the timing, milliseconds. */
  ms: number;
}

export async function timePlanKernels(
  plan: Uint8Array,
  options: { cache?: TimingCache; ignoreMismatch?: boolean; layerNameBytes: number },
): Promise<KernelTimingResult> {
  using chosen = new TimingCache();
  const source = options.cache?.handle ?? null;
  const capacity = options.layerNameBytes + 4096;
  const kernelText = new Uint8Array(capacity);
  const needed = new BigUint64Array(1);
  const bytes = new Uint8Array(plan); // a private copy: the caller may reuse its buffer while this runs off-thread
  const start = performance.now();
  await checkAsync("denotrt_builtin_time_plan", (err) =>
    sym().denotrt_builtin_time_plan(
      bytes,
      BigInt(bytes.length),
      source,
      options.ignoreMismatch ? 1 : 0,
      chosen.handle,
      kernelText,
      BigInt(capacity),
      new Uint8Array(needed.buffer),
      err,
    ));
  const ms = performance.now() - start;
  const end = kernelText.indexOf(0);
  const kernels: Record<string, string> = {};
  for (const line of new TextDecoder().decode(kernelText.subarray(0, end < 0 ? capacity : end)).split("\n")) {
    const tab = line.indexOf("\t");
    if (tab > 0) kernels[line.slice(0, tab)] = line.slice(tab + 1);
  }
  return { kernels, tactics: chosen.serialize(), choices: chosen.size, ms };
}
