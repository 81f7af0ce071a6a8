/**
 * GPU availability for tests. Without a GPU, GPU tests are registered as ignored and one reason is printed;
 * with DENOTRT_REQUIRE_GPU=1 (the device run) a missing GPU is an error instead of a skip.
 */
import { getDeviceCount } from "../lib/cuda/device.ts";
import { liveHandles } from "../lib/core/handles.ts";
import { assertEquals } from "./_assert.ts";

function probe(): { ok: boolean; reason: string } {
  try {
    const n = getDeviceCount();
    return n > 0 ? { ok: true, reason: "" } : { ok: false, reason: "no CUDA GPU is visible" };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

export const gpu = probe();
let told = false;

/** Deno.test for tests that need a GPU; checks after each that every handle was released. */
export function gpuTest(name: string, fn: () => void | Promise<void>): void {
  const required = Deno.env.get("DENOTRT_REQUIRE_GPU") === "1";
  if (!gpu.ok && required) throw new Error(`DENOTRT_REQUIRE_GPU=1 but no GPU: ${gpu.reason}`);
  if (!gpu.ok && !told) {
    told = true;
    console.log(`[skip] GPU tests skipped: ${gpu.reason}`);
  }
  Deno.test({
    name,
    ignore: !gpu.ok,
    fn: async () => {
      await fn();
      assertNoLiveHandles(name);
    },
  });
}

/** Every handle kind's live count is zero. */
export function assertNoLiveHandles(context = ""): void {
  const live = liveHandles();
  const leaked = Object.entries(live).filter(([, n]) => n !== 0);
  assertEquals(leaked, [], `live handles after ${context}: ${JSON.stringify(live)}`);
}

/** n uniform values in [-scale, scale), never zeros: fresh inputs and weights for GPU tests. */
export function uniform(n: number, scale = 1): Float32Array<ArrayBuffer> {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * (Math.random() * 2 - 1) || scale / 4;
  return out;
}

/** Fresh random bytes (never zeros: they hide unwritten outputs). */
export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}
