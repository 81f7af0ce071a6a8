// Test helper: a minimal dlopen table for the engine API and a small runner that deserializes a plan on the CPU,
// sets shapes and addresses, enqueues and returns the outputs. Library: $DENOTRT_LIB or build/libdenotrt.so.

const ERR_BYTES = 512;

const symbols = {
  denotrt_engine_deserialize: { parameters: ["buffer", "u64", "i32", "buffer", "buffer"], result: "i32" },
  denotrt_engine_destroy: { parameters: ["pointer", "buffer"], result: "i32" },
  denotrt_engine_num_io_tensors: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  denotrt_engine_io_tensor: { parameters: ["pointer", "i32", "buffer", "buffer"], result: "i32" },
  denotrt_engine_num_profiles: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  denotrt_engine_profile_shape: {
    parameters: ["pointer", "i32", "buffer", "i32", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  denotrt_engine_inspect: { parameters: ["pointer", "buffer", "u64", "buffer", "buffer"], result: "i32" },
  denotrt_context_create: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  denotrt_context_destroy: { parameters: ["pointer", "buffer"], result: "i32" },
  denotrt_context_set_optimization_profile: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  denotrt_context_set_input_shape: { parameters: ["pointer", "buffer", "i32", "buffer", "buffer"], result: "i32" },
  denotrt_context_tensor_shape: { parameters: ["pointer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  denotrt_context_set_tensor_address: { parameters: ["pointer", "buffer", "u64", "buffer"], result: "i32" },
  denotrt_context_enqueue: { parameters: ["pointer", "pointer", "buffer"], result: "i32" },
  denotrt_live_handles: { parameters: ["i32"], result: "i64" },
} as const;

let lib: Deno.DynamicLibrary<typeof symbols> | undefined;

export function shim(): Deno.DynamicLibrary<typeof symbols>["symbols"] {
  if (!lib) {
    const path = Deno.env.get("DENOTRT_LIB") ?? new URL("../../build/libdenotrt.so", import.meta.url).pathname;
    lib = Deno.dlopen(path, symbols);
  }
  return lib.symbols;
}

export class ShimError extends Error {
  constructor(public status: number, public api: string, message: string) {
    super(`[${status}] ${api}: ${message}`);
  }
}

const dec = new TextDecoder();
const cstr = (s: string) => new TextEncoder().encode(s + "\0");

function check(rc: number, err: Uint8Array): void {
  if (rc === 0) return;
  const api = dec.decode(err.subarray(8, 72)).replace(/\0.*$/s, "");
  const msg = dec.decode(err.subarray(136, 512)).replace(/\0.*$/s, "");
  throw new ShimError(rc, api, msg);
}

export const STATUS = { INVALID_ARGUMENT: 1, PLAN_ERROR: 8, UNSUPPORTED: 9, SHAPE_ERROR: 10 } as const;

export type HostArray = Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array | Float64Array;
export interface HostTensor {
  shape: number[];
  data: HostArray;
}

function ptrOut(): BigUint64Array {
  return new BigUint64Array(1);
}

/** An engine + one context on the CPU, freed by close(). */
export class CpuRunner {
  engine: Deno.PointerValue;
  ctx: Deno.PointerValue = null;
  err = new Uint8Array(ERR_BYTES);

  constructor(plan: Uint8Array, device = 1) {
    const s = shim();
    const out = ptrOut();
    check(s.denotrt_engine_deserialize(plan, BigInt(plan.length), device, out, this.err), this.err);
    this.engine = Deno.UnsafePointer.create(out[0]);
    const c = ptrOut();
    try {
      check(s.denotrt_context_create(this.engine, c, this.err), this.err);
    } catch (e) {
      s.denotrt_engine_destroy(this.engine, this.err);
      throw e;
    }
    this.ctx = Deno.UnsafePointer.create(c[0]);
  }

  ioTensors(): { name: string; dtype: number; isInput: boolean; dims: number[] }[] {
    const s = shim();
    const n = new Int32Array(1);
    check(s.denotrt_engine_num_io_tensors(this.engine, n, this.err), this.err);
    const out = [];
    for (let i = 0; i < n[0]; i++) {
      const d = new Uint8Array(344);
      check(s.denotrt_engine_io_tensor(this.engine, i, d, this.err), this.err);
      const v = new DataView(d.buffer);
      const rank = v.getInt32(264, true);
      out.push({
        name: dec.decode(d.subarray(0, 256)).replace(/\0.*$/s, ""),
        dtype: v.getInt32(256, true),
        isInput: v.getInt32(260, true) === 1,
        dims: Array.from({ length: rank }, (_, k) => Number(v.getBigInt64(272 + 8 * k, true))),
      });
    }
    return out;
  }

  inspect(): Record<string, unknown> {
    const s = shim();
    const needed = new BigUint64Array(1);
    check(s.denotrt_engine_inspect(this.engine, null, 0n, needed, this.err), this.err);
    const buf = new Uint8Array(Number(needed[0]));
    check(s.denotrt_engine_inspect(this.engine, buf, BigInt(buf.length), needed, this.err), this.err);
    return JSON.parse(dec.decode(buf.subarray(0, buf.length - 1)));
  }

  setProfile(p: number): void {
    check(shim().denotrt_context_set_optimization_profile(this.ctx, p, this.err), this.err);
  }

  setInputShape(name: string, shape: number[]): void {
    const dims = new BigInt64Array(shape.map(BigInt));
    check(shim().denotrt_context_set_input_shape(this.ctx, cstr(name), shape.length, dims, this.err), this.err);
  }

  tensorShape(name: string): number[] {
    const dims = new BigInt64Array(8), rank = new Int32Array(1);
    check(shim().denotrt_context_tensor_shape(this.ctx, cstr(name), dims, rank, this.err), this.err);
    return Array.from(dims.subarray(0, rank[0]), Number);
  }

  /** Runs with the given inputs; outputs are allocated from the inferred shapes with `makeOut`. */
  run(inputs: Record<string, HostTensor>): Record<string, HostTensor> {
    const s = shim();
    const io = this.ioTensors();
    for (const t of io.filter((t) => t.isInput)) {
      const x = inputs[t.name];
      if (!x) throw new Error(`missing input ${t.name}`);
      this.setInputShape(t.name, x.shape);
      check(s.denotrt_context_set_tensor_address(this.ctx, cstr(t.name), addr(x.data), this.err), this.err);
    }
    const outs: Record<string, HostTensor> = {};
    for (const t of io.filter((t) => !t.isInput)) {
      const shape = this.tensorShape(t.name);
      const n = shape.reduce((a, b) => a * b, 1);
      const data = allocDtype(t.dtype, Math.max(n, 1));
      outs[t.name] = { shape, data };
      check(s.denotrt_context_set_tensor_address(this.ctx, cstr(t.name), addr(data), this.err), this.err);
    }
    check(s.denotrt_context_enqueue(this.ctx, null, this.err), this.err);
    return outs;
  }

  close(): void {
    const s = shim();
    if (this.ctx) check(s.denotrt_context_destroy(this.ctx, this.err), this.err);
    check(s.denotrt_engine_destroy(this.engine, this.err), this.err);
    this.ctx = null;
  }
}

function addr(a: HostArray): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(a as Uint8Array<ArrayBuffer>)));
}

export function allocDtype(code: number, n: number): HostArray {
  switch (code) {
    case 0:
      return new Float32Array(n);
    case 1:
    case 2:
      return new Uint16Array(n);
    case 3:
      return new Int8Array(n);
    case 4:
    case 7:
      return new Uint8Array(n);
    case 5:
      return new Int32Array(n);
    case 6:
      return new BigInt64Array(n);
    case 9:
      return new Float64Array(n);
    default:
      throw new Error(`dtype ${code}`);
  }
}

/** Tries to deserialize; returns the error (or undefined on success, after freeing the engine). */
export function deserializeError(plan: Uint8Array, device = 1): ShimError | undefined {
  try {
    new CpuRunner(plan, device).close();
    return undefined;
  } catch (e) {
    if (e instanceof ShimError) return e;
    throw e;
  }
}

export function relL2(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Number(got[i]) - Number(want[i]);
    num += d * d;
    den += Number(want[i]) * Number(want[i]);
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/** Deterministic pseudo-random numbers in [-1, 1) (never all zeros). */
export function randn(n: number, seed = 1): Float32Array {
  const a = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = ((x >>> 0) / 4294967296) * 2 - 1;
  }
  return a;
}
