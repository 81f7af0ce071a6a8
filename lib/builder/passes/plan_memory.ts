// Lifetime-based activation arena planning.
//
// Every non-constant, non-I/O, device tensor gets an offset in one arena.
// Sizes are taken at the max shapes of all profiles (shape inference re-run
// with the inputs fixed at each profile's max). Placement is "greedy by size"
// with best fit: largest tensors first, each put in the smallest gap between
// already-placed tensors whose lifetimes overlap its own. Offsets are 256-byte
// aligned. A tensor is live from its producer's index to its last consumer's
// index, inclusive, so an op never gets an output aliasing one of its inputs.

import { cloneGraph, DTYPE_BYTES, type Graph } from "../ir.ts";
import { inferShapes } from "../shape_inference.ts";

export const ARENA_ALIGNMENT = 256;

export interface MemoryReport {
  arenaBytes: number;
  /** Sum of the (unaligned) sizes of all arena tensors: the cost without reuse. */
  activationBytes: number;
  planned: number;
  /** Tensors whose max size could not be determined (data-dependent shapes). */
  unplanned: string[];
}

/** Per tensor: bytes at the largest profile max shape (undefined: unknown). */
export function maxTensorBytes(g: Graph): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  const profiles = g.profiles.length ? g.profiles : [{}];
  for (const p of profiles) {
    const c = cloneGraph(g);
    for (const name of c.inputs) {
      const r = p[name];
      if (r) c.tensors.get(name)!.shape = [...r.max];
    }
    inferShapes(c);
    for (const [name, t] of c.tensors) {
      const known = t.shape.every((d) => typeof d === "number");
      const bytes = known ? (t.shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype] : undefined;
      const prev = out.get(name);
      out.set(name, bytes === undefined || (out.has(name) && prev === undefined) ? undefined : Math.max(prev ?? 0, bytes));
    }
  }
  return out;
}

const align = (n: number) => Math.ceil(n / ARENA_ALIGNMENT) * ARENA_ALIGNMENT;

interface Item {
  name: string;
  bytes: number;
  size: number; // aligned
  first: number;
  last: number;
  offset: number;
}

export function planMemory(g: Graph): MemoryReport {
  const sizes = maxTensorBytes(g);
  const io = new Set([...g.inputs, ...g.outputs]);
  const last = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((x) => x && last.set(x, i)));
  const items: Item[] = [];
  const unplanned: string[] = [];
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (!o || io.has(o)) continue;
      const t = g.tensors.get(o)!;
      delete t.memory;
      if (t.data || t.placement === "host") continue;
      const bytes = sizes.get(o);
      if (bytes === undefined) {
        unplanned.push(o);
        continue;
      }
      items.push({ name: o, bytes, size: align(Math.max(bytes, 1)), first: i, last: Math.max(i, last.get(o) ?? i), offset: -1 });
    }
  });
  items.sort((a, b) => b.size - a.size || a.first - b.first);
  const placed: Item[] = [];
  let arena = 0;
  for (const it of items) {
    const live = placed
      .filter((p) => p.first <= it.last && it.first <= p.last)
      .sort((a, b) => a.offset - b.offset);
    let best = -1, bestGap = Infinity, cursor = 0;
    for (const p of live) {
      const gap = p.offset - cursor;
      if (gap >= it.size && gap < bestGap) {
        best = cursor;
        bestGap = gap;
      }
      cursor = Math.max(cursor, p.offset + p.size);
    }
    it.offset = best >= 0 ? best : cursor;
    placed.push(it);
    arena = Math.max(arena, it.offset + it.size);
  }
  for (const it of items) g.tensors.get(it.name)!.memory = { offset: it.offset, bytes: it.bytes };
  const activationBytes = items.reduce((a, it) => a + it.bytes, 0);
  g.arenaBytes = arena;
  g.activationBytes = activationBytes;
  return { arenaBytes: arena, activationBytes, planned: items.length, unplanned };
}
