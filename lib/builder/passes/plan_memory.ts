// Lifetime-based activation arena planning.
//
// Every non-constant, non-I/O, device tensor gets an offset in one arena.
// Sizes are taken at the max shapes of all profiles (shape inference re-run
// with the inputs fixed at each profile's max). Placement is "greedy by size"
// with best fit: largest tensors first, each put in the smallest gap between
// already-placed tensors whose lifetimes overlap its own. Offsets are 256-byte
// aligned. A tensor is live from its producer's index to its last consumer's
// index, inclusive, so an op never gets an output aliasing one of its inputs --
// except the layers that only reinterpret a shape (Reshape, Flatten, Squeeze,
// Unsqueeze, and a Transpose that moves only dims of size 1): their output
// shares its input's bytes (memory.aliasOf), the pair lives as long as either,
// and the executors skip the copy (same address).

import { attrInts, cloneGraph, consumers, DTYPE_BYTES, type Graph } from "../ir.ts";
import { inferShapes } from "../shape_inference.ts";

export const ARENA_ALIGNMENT = 256;

export interface MemoryReport {
  arenaBytes: number;
  /** Sum of the (unaligned) sizes of all arena tensors: the cost without reuse. */
  activationBytes: number;
  planned: number;
  /** Shape-only outputs that share their input's bytes (no arena space of their own, no copy). */
  aliased: number;
  /** Tensors whose max size could not be determined (data-dependent shapes). */
  unplanned: string[];
}

/** Per tensor: bytes at the largest profile max shape (undefined: unknown). */
export function maxTensorBytes(g: Graph): Map<string, number | undefined> {
  return tensorFacts(g).bytes;
}

/**
 * Per tensor, over every profile's max shapes: its bytes at the largest (undefined: unknown), and which dims are 1
 * at all of them. A dim that is 1 at every max is 1 at every shape a profile admits (or 0: an empty tensor).
 */
function tensorFacts(g: Graph): { bytes: Map<string, number | undefined>; ones: Map<string, boolean[]> } {
  const out = new Map<string, number | undefined>();
  const ones = new Map<string, boolean[]>();
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
      const unit = t.shape.map((d) => d === 1);
      const seen = ones.get(name);
      ones.set(name, seen && seen.length === unit.length ? seen.map((u, k) => u && unit[k]) : seen ? [] : unit);
    }
  }
  return { bytes: out, ones };
}

/**
 * A Transpose that moves only dims of size 1 (an NHWC [N,1,1,C] after a global pool, read back as NCHW [N,C,1,1])
 * keeps every element at its offset: its output can share the input's bytes, as a Reshape's does.
 */
function isLayoutTrivialTranspose(perm: readonly number[] | undefined, ones: readonly boolean[] | undefined): boolean {
  if (!ones || ones.length === 0) return false;
  const p = perm ?? ones.map((_, i) => ones.length - 1 - i);
  if (p.length !== ones.length) return false;
  let last = -1;
  for (const axis of p) {
    if (ones[axis]) continue;
    if (axis < last) return false;
    last = axis;
  }
  return true;
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

/**
 * A Concat whose only reader is the very next node keeps its inputs alive through that reader: an executor may then
 * have the reader take the Concat's inputs in place of its output and skip the Concat (the CUDA executor does for a
 * 1x1 conv over a channel concat, merge_added_convs.ts), and the reader's output must not overwrite them meanwhile.
 */
function keepConcatInputsForNextReader(g: Graph, last: Map<string, number>): void {
  const uses = consumers(g);
  g.nodes.forEach((n, i) => {
    const next = g.nodes[i + 1], out = n.outputs[0];
    const readers = uses.get(out) ?? [];
    if (n.op !== "Concat" || !next || g.outputs.includes(out) || readers.length !== 1 || readers[0] !== next) return;
    for (const x of n.inputs) if (x) last.set(x, Math.max(last.get(x) ?? i, i + 1));
  });
}

/** Layers whose output is their first input's bytes under another shape. */
const SHAPE_ONLY = new Set(["Reshape", "Flatten", "Squeeze", "Unsqueeze"]);

export function planMemory(g: Graph): MemoryReport {
  const { bytes: sizes, ones } = tensorFacts(g);
  const io = new Set([...g.inputs, ...g.outputs]);
  const last = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((x) => x && last.set(x, i)));
  keepConcatInputsForNextReader(g, last);
  const items: Item[] = [];
  const itemOf = new Map<string, Item>();
  const aliases: { name: string; root: Item; bytes: number }[] = [];
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
      const lastUse = Math.max(i, last.get(o) ?? i);
      // Tensors are written once and never in place, so a shape-only output can share its input's bytes for as
      // long as either is read.
      const shapeOnly = SHAPE_ONLY.has(n.op) ||
        (n.op === "Transpose" && isLayoutTrivialTranspose(attrInts(n, "perm"), ones.get(n.inputs[0])));
      const root = shapeOnly && o === n.outputs[0] ? itemOf.get(n.inputs[0]) : undefined;
      if (root && root.bytes === bytes) {
        root.last = Math.max(root.last, lastUse);
        itemOf.set(o, root);
        aliases.push({ name: o, root, bytes });
        continue;
      }
      const it = { name: o, bytes, size: align(Math.max(bytes, 1)), first: i, last: lastUse, offset: -1 };
      items.push(it);
      itemOf.set(o, it);
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
  for (const a of aliases) g.tensors.get(a.name)!.memory = { offset: a.root.offset, bytes: a.bytes, aliasOf: a.root.name };
  const activationBytes = items.reduce((a, it) => a + it.bytes, 0);
  g.arenaBytes = arena;
  g.activationBytes = activationBytes;
  return { arenaBytes: arena, activationBytes, planned: items.length, aliased: aliases.length, unplanned };
}
