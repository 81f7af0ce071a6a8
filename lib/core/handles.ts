/** Live-handle counters kept by the shim: tests use them to prove nothing leaks. */
import { sym } from "../../ffi/load.ts";

export const HANDLE_KINDS = ["stream", "event", "hostBuffer", "deviceBuffer", "graph", "engine", "context", "builder", "timingCache"] as const;
export type HandleKind = typeof HANDLE_KINDS[number];

/** How many handles of each kind are alive in the shim now. */
export function liveHandles(): Record<HandleKind, number> {
  const s = sym();
  return Object.fromEntries(HANDLE_KINDS.map((k, i) => [k, Number(s.denotrt_live_handles(i))])) as Record<HandleKind, number>;
}

/** The total over all kinds. */
export function totalLiveHandles(): number {
  return Object.values(liveHandles()).reduce((a, b) => a + b, 0);
}
