/**
 * Transfer and FFI-overhead figures (the foundation issue's benchmark): pinned and pageable H2D/D2H bandwidth
 * through the TypeScript API, beside what cudaMemcpyAsync reaches from C in the same run, and the cost of one
 * FFI call into the shim (synchronous and nonblocking).
 */
import { sym } from "../ffi/load.ts";
import { copyAsync, copyFromArray, copyToArray } from "../lib/cuda/copy.ts";
import { DeviceBuffer } from "../lib/cuda/device_buffer.ts";
import { CudaEvent } from "../lib/cuda/event.ts";
import { HostBuffer } from "../lib/cuda/host_buffer.ts";
import { Stream } from "../lib/cuda/stream.ts";
import { checkAsync } from "../lib/core/call.ts";

export interface TransferResult {
  bytes: number;
  direction: "H2D" | "D2H";
  pinnedTs: number; // GiB/s through HostBuffer + copyAsync, timed with events
  pinnedC: number; // GiB/s through cudaMemcpyAsync from C
  pageableTs: number; // GiB/s through copyFromArray/copyToArray, wall clock
  pageableC: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const GiB = 2 ** 30;

async function cBandwidth(bytes: number, direction: number, pinned: number, iterations: number): Promise<number> {
  const out = new Float64Array(1);
  await checkAsync("denotrt_bench_memcpy", (err) =>
    sym().denotrt_bench_memcpy(BigInt(bytes), direction, pinned, iterations, new Uint8Array(out.buffer), err));
  return out[0];
}

export async function measureTransfers(bytes = 256 << 20, iterations = 20): Promise<TransferResult[]> {
  await using stream = new Stream();
  using host = new HostBuffer(bytes);
  using dev = new DeviceBuffer(bytes);
  using a = new CudaEvent();
  using b = new CudaEvent();
  crypto.getRandomValues(host.view("uint8").subarray(0, 65536));
  const pageable = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 4096) pageable[i] = i & 0xff;
  const results: TransferResult[] = [];
  for (const direction of ["H2D", "D2H"] as const) {
    const ts: number[] = [];
    for (let i = -2; i < iterations; i++) {
      a.record(stream);
      if (direction === "H2D") copyAsync(dev, host, stream);
      else copyAsync(host, dev, stream);
      b.record(stream);
      await b.synchronize();
      if (i >= 0) ts.push(b.elapsedSince(a));
    }
    const pg: number[] = [];
    for (let i = -1; i < Math.max(3, iterations / 4); i++) {
      const t0 = performance.now();
      if (direction === "H2D") copyFromArray(dev, pageable, stream);
      else copyToArray(pageable, dev, stream);
      if (i >= 0) pg.push(performance.now() - t0);
    }
    const dir = direction === "H2D" ? 0 : 1;
    results.push({
      bytes,
      direction,
      pinnedTs: bytes / GiB / (median(ts) / 1e3),
      pinnedC: await cBandwidth(bytes, dir, 1, iterations),
      pageableTs: bytes / GiB / (median(pg) / 1e3),
      pageableC: await cBandwidth(bytes, dir, 0, Math.max(3, iterations / 4)),
    });
  }
  return results;
}

export interface FfiCost {
  syncNs: number;
  nonblockingUs: number;
}

/** Nanoseconds per synchronous FFI call, microseconds per nonblocking call (thread-pool round trip). */
export async function measureFfi(): Promise<FfiCost> {
  const s = sym();
  const n = 2_000_000;
  for (let i = 0; i < 100_000; i++) s.denotrt_noop(i);
  let t0 = performance.now();
  for (let i = 0; i < n; i++) s.denotrt_noop(i);
  const syncNs = ((performance.now() - t0) * 1e6) / n;
  const m = 5000;
  for (let i = 0; i < 200; i++) await s.denotrt_noop_nonblocking(i);
  t0 = performance.now();
  for (let i = 0; i < m; i++) await s.denotrt_noop_nonblocking(i);
  const nonblockingUs = ((performance.now() - t0) * 1e3) / m;
  return { syncNs, nonblockingUs };
}
