// The builder's intermediate representation: an ONNX-like graph with explicit
// tensors. See docs/IR.md for the contract shared with plan.ts and the
// executors. Helpers here are pure and operate on this structure only.

import { type DType as RuntimeDType, DTYPE_BYTES as RUNTIME_DTYPE_BYTES } from "../core/dtype.ts";

/** The element types the builder handles: the runtime's, less fp8 (which only TensorRT plans carry). */
export type DType = Exclude<RuntimeDType, "fp8_e4m3">;

/** A dimension: a number, or a symbolic name (ONNX dim_param or "unk_N"). */
export type Dim = number | string;

export interface Tensor {
  name: string;
  dtype: DType;
  shape: Dim[];
  /** Constants only: raw little-endian bytes, row-major. */
  data?: Uint8Array;
  /** "host": a small shape tensor computed on the CPU at run time. */
  placement?: "device" | "host";
  /** Set by plan_memory for arena tensors. */
  /**
   * Set by plan_memory: where the tensor lives in the activation arena. aliasOf: the tensor whose bytes it shares (a
   * Reshape-like layer's output, which then copies nothing); builder-only, not serialized.
   */
  memory?: { offset: number; bytes: number; aliasOf?: string };
}

export type Attr =
  | { type: "int"; value: number }
  | { type: "ints"; value: number[] }
  | { type: "float"; value: number }
  | { type: "floats"; value: number[] }
  | { type: "string"; value: string }
  | { type: "strings"; value: string[] };

export interface Node {
  name: string;
  op: string;
  /** "" marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

export interface ShapeRange {
  min: number[];
  opt: number[];
  max: number[];
}

export interface Graph {
  name: string;
  opset: number;
  inputs: string[];
  outputs: string[];
  /** Every value: inputs, outputs, intermediates, constants. */
  tensors: Map<string, Tensor>;
  /** Topologically sorted. */
  nodes: Node[];
  /** Per optimization profile, per input name. */
  profiles: Record<string, ShapeRange>[];
  /** Set by plan_memory: size of the activation arena. */
  arenaBytes?: number;
  /** Set by plan_memory: sum of the sizes of all arena tensors (no reuse). */
  activationBytes?: number;
}

/** Bytes per element of the builder's dtypes (the runtime's table, which also knows fp8). */
export const DTYPE_BYTES: Record<DType, number> = RUNTIME_DTYPE_BYTES;

export function isConstant(g: Graph, name: string): boolean {
  return g.tensors.get(name)?.data !== undefined;
}

/** Equal rank and equal dims (a symbolic dim equals only the same name); an absent shape equals nothing. */
export function sameShape(a: readonly Dim[] | undefined, b: readonly Dim[]): boolean {
  return !!a && a.length === b.length && a.every((d, i) => d === b[i]);
}

export function isStaticShape(shape: Dim[]): shape is number[] {
  return shape.every((d) => typeof d === "number");
}

export function numElements(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function getTensor(g: Graph, name: string): Tensor {
  const t = g.tensors.get(name);
  if (!t) throw new Error(`tensor "${name}" not found in graph ${g.name}`);
  return t;
}

/** Map from tensor name to the index of the node producing it. */
export function producers(g: Graph): Map<string, number> {
  const m = new Map<string, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => o && m.set(o, i)));
  return m;
}

/** Map from tensor name to the nodes consuming it (a node appears once per use). */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  }
  return m;
}

/**
 * Stable topological sort (Kahn's algorithm, keeping the original order among
 * ready nodes so passes that append nodes get predictable results).
 * Throws on a cycle or on an input no one produces.
 */
export function topoSort(g: Graph): Node[] {
  const available = new Set<string>([...g.inputs]);
  for (const [name, t] of g.tensors) if (t.data) available.add(name);
  const pending = [...g.nodes];
  const out: Node[] = [];
  while (pending.length) {
    const idx = pending.findIndex((n) => n.inputs.every((i) => !i || available.has(i)));
    if (idx < 0) {
      const n = pending[0];
      const missing = n.inputs.filter((i) => i && !available.has(i));
      throw new Error(`graph ${g.name}: cycle or missing inputs at node ${n.name}: ${missing.join(", ")}`);
    }
    const [n] = pending.splice(idx, 1);
    out.push(n);
    n.outputs.forEach((o) => o && available.add(o));
  }
  return out;
}

/** Deep copy; constant bytes are shared (passes replace, never mutate, them). */
export function cloneGraph(g: Graph): Graph {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of g.tensors) {
    tensors.set(k, {
      ...t,
      shape: [...t.shape],
      memory: t.memory ? { ...t.memory } : undefined,
    });
    if (!t.memory) delete tensors.get(k)!.memory;
  }
  return {
    ...g,
    inputs: [...g.inputs],
    outputs: [...g.outputs],
    tensors,
    nodes: g.nodes.map((n) => ({
      ...n,
      inputs: [...n.inputs],
      outputs: [...n.outputs],
      attrs: structuredClone(n.attrs),
    })),
    profiles: structuredClone(g.profiles),
  };
}

/** Replace every use of tensor `from` by `to` (node inputs and graph outputs). */
export function replaceUses(g: Graph, from: string, to: string): void {
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === from ? to : i));
  g.outputs = g.outputs.map((o) => (o === from ? to : o));
}

/** Count nodes per op type (used by the optimizer report and tests). */
export function opCounts(g: Graph): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of g.nodes) c[n.op] = (c[n.op] ?? 0) + 1;
  return c;
}

/** Attribute accessors with defaults; they fail loudly on a type mismatch. */
export function attrInt(n: Node, key: string, def?: number): number {
  const a = n.attrs[key];
  if (!a) {
    if (def === undefined) throw new Error(`node ${n.name} (${n.op}): missing int attribute ${key}`);
    return def;
  }
  if (a.type !== "int") throw new Error(`node ${n.name} (${n.op}): attribute ${key} is ${a.type}, expected int`);
  return a.value;
}

export function attrInts(n: Node, key: string, def?: number[]): number[] | undefined {
  const a = n.attrs[key];
  if (!a) return def;
  if (a.type !== "ints") throw new Error(`node ${n.name} (${n.op}): attribute ${key} is ${a.type}, expected ints`);
  return a.value;
}

export function attrFloat(n: Node, key: string, def: number): number {
  const a = n.attrs[key];
  if (!a) return def;
  if (a.type === "float" || a.type === "int") return a.value;
  throw new Error(`node ${n.name} (${n.op}): attribute ${key} is ${a.type}, expected float`);
}

export function attrFloats(n: Node, key: string): number[] | undefined {
  const a = n.attrs[key];
  if (!a) return undefined;
  if (a.type !== "floats") throw new Error(`node ${n.name} (${n.op}): attribute ${key} is ${a.type}, expected floats`);
  return a.value;
}

export function attrString(n: Node, key: string, def: string): string {
  const a = n.attrs[key];
  if (!a) return def;
  if (a.type !== "string") throw new Error(`node ${n.name} (${n.op}): attribute ${key} is ${a.type}, expected string`);
  return a.value;
}

/** A fresh tensor name not yet in the graph. */
export function freshName(g: Graph, base: string): string {
  if (!g.tensors.has(base)) return base;
  for (let i = 1;; i++) if (!g.tensors.has(`${base}_${i}`)) return `${base}_${i}`;
}

/**
 * A namer for the nodes a pass adds: each call returns `base`, or `base_1`, `base_2`, ... if taken by a node of `g`
 * (as it was when the namer was made) or by a name this namer gave.
 */
export function nodeNamer(g: Graph): (base: string) => string {
  const taken = new Set(g.nodes.map((n) => n.name));
  return (base: string) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
}
