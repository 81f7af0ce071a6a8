// Test helper: reads and writes timing-cache bytes from docs/TIMING_CACHE.md, independently of the shim, so tests can
// craft caches (other GPUs, damaged bytes, edited choices) and check what the shim wrote.
import { fnv1a64 } from "../../lib/builder/plan.ts";

export const TC_HEADER_BYTES = 104;

export interface CacheEntry {
  key: bigint[];
  value: bigint[];
  workspace: bigint;
  ms: number;
}

export interface CacheContents {
  version: number;
  gpu: string;
  cc: [number, number];
  entries: CacheEntry[];
}

export function encodeCache(c: CacheContents): Uint8Array<ArrayBuffer> {
  const body = c.entries.reduce((n, e) => n + 8 + 8 * (e.key.length + e.value.length) + 12, 0);
  const out = new Uint8Array(TC_HEADER_BYTES + body);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode("DNRTTCCH"), 0);
  v.setUint32(8, c.version, true);
  v.setUint32(12, c.entries.length, true);
  v.setBigUint64(16, BigInt(body), true);
  v.setUint16(32, c.cc[0], true);
  v.setUint16(34, c.cc[1], true);
  out.set(new TextEncoder().encode(c.gpu).subarray(0, 63), 40);
  let p = TC_HEADER_BYTES;
  for (const e of c.entries) {
    v.setUint32(p, e.key.length, true);
    v.setUint32(p + 4, e.value.length, true);
    p += 8;
    for (const k of [...e.key, ...e.value]) {
      v.setBigInt64(p, k, true);
      p += 8;
    }
    v.setBigUint64(p, e.workspace, true);
    v.setFloat32(p + 8, e.ms, true);
    p += 12;
  }
  v.setBigUint64(24, fnv1a64(out.subarray(TC_HEADER_BYTES)), true);
  return out;
}

export function decodeCache(b: Uint8Array): CacheContents {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const nameBytes = b.subarray(40, 104);
  const end = nameBytes.indexOf(0);
  const entries: CacheEntry[] = [];
  let p = TC_HEADER_BYTES;
  for (let i = 0; i < v.getUint32(12, true); i++) {
    const kl = v.getUint32(p, true), vl = v.getUint32(p + 4, true);
    p += 8;
    const ints: bigint[] = [];
    for (let k = 0; k < kl + vl; k++, p += 8) ints.push(v.getBigInt64(p, true));
    entries.push({ key: ints.slice(0, kl), value: ints.slice(kl), workspace: v.getBigUint64(p, true), ms: v.getFloat32(p + 8, true) });
    p += 12;
  }
  return {
    version: v.getUint32(8, true),
    gpu: new TextDecoder().decode(nameBytes.subarray(0, end < 0 ? 64 : end)),
    cc: [v.getUint16(32, true), v.getUint16(34, true)],
    entries,
  };
}

/** A plausible legacy-conv entry (kind 1) for geometry number i. */
export function convEntry(i: number, algo = 1): CacheEntry {
  const key = [1, 1, 0, 1, 1, 2, 32, 64 + i, 256, 1, 56, 56, 56, 56, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1].map(BigInt);
  return { key, value: [BigInt(algo), 1n, 1n], workspace: 1024n * BigInt(i), ms: 0.05 + i / 1000 };
}
