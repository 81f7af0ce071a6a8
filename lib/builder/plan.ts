// Serializes an optimized IR graph into a built-in plan ("DNRTPLAN"), the bytes
// libdenotrt.so deserializes (c_shim/src/builtin/plan.c). The layout is
// specified in docs/PLAN_FORMAT.md; keep the two in step and bump
// PLAN_FORMAT_VERSION on any layout change.

import type { Attr, Graph, Tensor } from "./ir.ts";

export const PLAN_MAGIC = "DNRTPLAN";
export const PLAN_FORMAT_VERSION = 2;
export const PLAN_HEADER_BYTES = 128;
const WEIGHTS_ALIGN = 64;

// The dtype codes of denotrt_dtype: one table for the plan writer and the runtime API.
export { DTYPE_CODES } from "../core/dtype.ts";
import { DTYPE_CODES } from "../core/dtype.ts";

export const TENSOR_INPUT = 1;
export const TENSOR_OUTPUT = 2;
export const TENSOR_CONSTANT = 4;
export const TENSOR_HOST = 8;

const ATTR_CODES = { int: 0, ints: 1, float: 2, floats: 3, string: 4, strings: 5 } as const;
const DEVICE_CODES = { cuda: 0, cpu: 1, any: 2 } as const;

export interface PlanOptions {
  /** The device the plan was built for; informational for the CPU engine. Default "any". */
  device?: "cuda" | "cpu" | "any";
  /** The GPU the plan was timed on ("" for CPU plans). */
  gpuName?: string;
  computeCapability?: [number, number];
  /** denotrt version string written into the header. */
  version?: string;
  /** Kernel chosen per node name (the executors may choose when empty). */
  kernels?: Record<string, string>;
  /**
   * The timing-cache bytes of the kernels chosen at build time (docs/TIMING_CACHE.md): the CUDA executor runs these
   * choices instead of timing again. Empty or absent: the executor times at run time.
   */
  tactics?: Uint8Array;
}

/** Growable little-endian byte writer. */
class Writer {
  buf = new Uint8Array(1 << 16);
  view = new DataView(this.buf.buffer);
  pos = 0;
  private static enc = new TextEncoder();

  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }
  /** Clamps to the int64 range: ONNX uses +-2^63 sentinels that a JS number rounds past the end. */
  i64(v: number): void {
    if (!Number.isFinite(v) || !Number.isInteger(v)) throw new Error(`plan: ${v} is not an integer`);
    let b = BigInt(v);
    const max = (1n << 63n) - 1n, min = -(1n << 63n);
    if (b > max) b = max;
    if (b < min) b = min;
    this.reserve(8);
    this.view.setBigInt64(this.pos, b, true);
    this.pos += 8;
  }
  u64(v: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }
  str(s: string): void {
    const b = Writer.enc.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** Pads with zeros so that (base + pos) is a multiple of `align`. */
  align(align: number, base = 0): void {
    const pad = (align - ((base + this.pos) % align)) % align;
    this.reserve(pad);
    this.buf.fill(0, this.pos, this.pos + pad);
    this.pos += pad;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** FNV-1a 64 over bytes, in 32-bit halves (BigInt per byte would take seconds on real weights). */
export function fnv1a64(data: Uint8Array): bigint {
  let hi = 0xcbf29ce4, lo = 0x84222325;
  for (let i = 0; i < data.length; i++) {
    lo = (lo ^ data[i]) >>> 0;
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40)
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 4294967296);
    const newLo = loMul >>> 0;
    hi = (Math.imul(hi, 0x1b3) + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = newLo;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The tensors the plan must carry: every one a node, input or output touches, in first-use order. */
function usedTensors(g: Graph): string[] {
  const seen = new Set<string>();
  const order: string[] = [];
  const add = (n: string) => {
    if (!n || seen.has(n)) return;
    if (!g.tensors.has(n)) throw new Error(`plan: tensor "${n}" is used but not declared in graph ${g.name}`);
    seen.add(n);
    order.push(n);
  };
  g.inputs.forEach(add);
  for (const n of g.nodes) {
    n.inputs.forEach(add);
    n.outputs.forEach(add);
  }
  g.outputs.forEach(add);
  return order;
}

function defaultProfiles(g: Graph): Graph["profiles"] {
  if (g.profiles.length) return g.profiles;
  const p: Graph["profiles"][number] = {};
  for (const name of g.inputs) {
    const t = g.tensors.get(name)!;
    if (!t.shape.every((d) => typeof d === "number" && d >= 0)) {
      throw new Error(`plan: input "${name}" has dynamic dimensions but the graph has no optimization profile`);
    }
    const dims = t.shape as number[];
    p[name] = { min: [...dims], opt: [...dims], max: [...dims] };
  }
  return [p];
}

function writeAttr(w: Writer, name: string, a: Attr): void {
  w.str(name);
  w.u32(ATTR_CODES[a.type]);
  switch (a.type) {
    case "int":
      w.i64(a.value);
      break;
    case "float":
      w.f32(a.value);
      break;
    case "string":
      w.str(a.value);
      break;
    case "ints":
      w.u32(a.value.length);
      a.value.forEach((v) => w.i64(v));
      break;
    case "floats":
      w.u32(a.value.length);
      a.value.forEach((v) => w.f32(v));
      break;
    case "strings":
      w.u32(a.value.length);
      a.value.forEach((v) => w.str(v));
      break;
  }
}

/** Serializes `g` (topologically sorted, shapes inferred, memory planned or not) into plan bytes. */
export function serializePlan(g: Graph, opts: PlanOptions = {}): Uint8Array {
  const names = usedTensors(g);
  const index = new Map(names.map((n, i) => [n, i]));
  const inputs = new Set(g.inputs), outputs = new Set(g.outputs);

  // Weights: each constant 64-byte aligned inside the blob.
  const weightOffsets = new Map<string, number>();
  let weightsSize = 0;
  for (const n of names) {
    const t = g.tensors.get(n)!;
    if (!t.data) continue;
    weightsSize = Math.ceil(weightsSize / WEIGHTS_ALIGN) * WEIGHTS_ALIGN;
    weightOffsets.set(n, weightsSize);
    weightsSize += t.data.length;
  }

  const w = new Writer();
  // Tensors.
  w.u32(names.length);
  for (const n of names) {
    const t: Tensor = g.tensors.get(n)!;
    const code = DTYPE_CODES[t.dtype];
    if (code === undefined) throw new Error(`plan: tensor "${n}" has unsupported dtype ${t.dtype}`);
    if (t.shape.length > 8) throw new Error(`plan: tensor "${n}" has rank ${t.shape.length} (max 8)`);
    w.str(n);
    w.u32(code);
    w.u32(t.shape.length);
    for (const d of t.shape) w.i64(typeof d === "number" && d >= 0 ? d : -1);
    for (const d of t.shape) w.str(typeof d === "string" ? d : "");
    let flags = 0;
    if (inputs.has(n)) flags |= TENSOR_INPUT;
    if (outputs.has(n)) flags |= TENSOR_OUTPUT;
    if (t.data) flags |= TENSOR_CONSTANT;
    if (t.placement === "host") flags |= TENSOR_HOST;
    w.u32(flags);
    w.u64(t.memory?.offset ?? 0);
    w.u64(t.memory?.bytes ?? 0);
    w.u64(weightOffsets.get(n) ?? 0);
    w.u64(t.data?.length ?? 0);
  }
  // I/O order.
  w.u32(g.inputs.length);
  g.inputs.forEach((n) => w.u32(index.get(n)!));
  w.u32(g.outputs.length);
  g.outputs.forEach((n) => w.u32(index.get(n)!));
  // Profiles: per profile, per input in input order.
  const profiles = defaultProfiles(g);
  w.u32(profiles.length);
  profiles.forEach((p, k) => {
    for (const n of g.inputs) {
      const r = p[n];
      const rank = g.tensors.get(n)!.shape.length;
      if (!r) throw new Error(`plan: profile ${k} has no range for input "${n}"`);
      if (r.min.length !== rank || r.opt.length !== rank || r.max.length !== rank) {
        throw new Error(`plan: profile ${k} range of input "${n}" does not have rank ${rank}`);
      }
      w.u32(rank);
      r.min.forEach((v) => w.i64(v));
      r.opt.forEach((v) => w.i64(v));
      r.max.forEach((v) => w.i64(v));
    }
  });
  // Layers.
  w.u32(g.nodes.length);
  for (const node of g.nodes) {
    w.str(node.op);
    w.str(node.name);
    w.str(opts.kernels?.[node.name] ?? "");
    w.u32(node.inputs.length);
    node.inputs.forEach((n) => w.i32(n ? index.get(n)! : -1));
    w.u32(node.outputs.length);
    node.outputs.forEach((n) => w.i32(n ? index.get(n)! : -1));
    const attrs = Object.entries(node.attrs);
    w.u32(attrs.length);
    for (const [k, a] of attrs) writeAttr(w, k, a);
  }
  // Tactics (format 2).
  const tactics = opts.tactics ?? new Uint8Array(0);
  w.u64(tactics.length);
  w.bytes(tactics);
  // Trailer + weights.
  w.u64(g.arenaBytes ?? 0);
  const trailerEnd = w.pos + 16;
  const weightsOffset = Math.ceil((PLAN_HEADER_BYTES + trailerEnd) / WEIGHTS_ALIGN) * WEIGHTS_ALIGN - PLAN_HEADER_BYTES;
  w.u64(weightsOffset);
  w.u64(weightsSize);
  w.align(WEIGHTS_ALIGN, PLAN_HEADER_BYTES);
  const blobStart = w.pos;
  w.reserve(weightsSize);
  w.buf.fill(0, blobStart, blobStart + weightsSize);
  for (const [n, off] of weightOffsets) w.buf.set(g.tensors.get(n)!.data!, blobStart + off);
  w.pos = blobStart + weightsSize;
  const body = w.finish();

  // Header.
  const out = new Uint8Array(PLAN_HEADER_BYTES + body.length);
  const h = new DataView(out.buffer);
  const enc = new TextEncoder();
  out.set(enc.encode(PLAN_MAGIC), 0);
  h.setUint32(8, PLAN_FORMAT_VERSION, true);
  h.setUint32(12, PLAN_HEADER_BYTES, true);
  h.setBigUint64(16, BigInt(body.length), true);
  h.setBigUint64(24, fnv1a64(body), true);
  h.setUint32(32, DEVICE_CODES[opts.device ?? "any"], true);
  h.setUint16(36, opts.computeCapability?.[0] ?? 0, true);
  h.setUint16(38, opts.computeCapability?.[1] ?? 0, true);
  out.set(enc.encode(opts.version ?? "0.1.0").subarray(0, 23), 40);
  out.set(enc.encode(opts.gpuName ?? "").subarray(0, 63), 64);
  out.set(body, PLAN_HEADER_BYTES);
  return out;
}
