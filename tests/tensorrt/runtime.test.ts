/**
 * The TensorRT provider end to end: build a plan from a tiny ONNX model (y = Relu(x + w), dynamic batch), check the
 * plan header against the loaded TensorRT, deserialize, inspect, run, run again on caller-owned device memory, refit,
 * and the error paths that need a real TensorRT (parser errors per node, shapes outside the profile, a plan whose
 * header names another minor). Needs libnvinfer, libnvonnxparser and a GPU; skipped otherwise with one reason.
 */
import { sym } from "../../ffi/load.ts";
import { assert, assertEquals } from "../_assert.ts";
import { assertNoLiveHandles, gpu } from "../_gpu.ts";
import { reluAddModel } from "./_onnx.ts";
import { hasTensorRTSupport, i32, newErrorRecord, openFailure, readErrorRecord, Status, trtLib } from "./_shim.ts";

function skipReason(): string | undefined {
  const f = openFailure();
  if (f) return f;
  if (!hasTensorRTSupport()) return "this libdenotrt.so was built without TensorRT headers";
  const err = newErrorRecord();
  const v = i32();
  if (trtLib()!.lib.symbols.denotrt_tensorrt_load!(v, null, 0n, err) !== 0) {
    return `TensorRT is not installed here (${readErrorRecord(err).message.slice(0, 120)}...)`;
  }
  if (!gpu.ok) return gpu.reason;
  return undefined;
}
const reason = skipReason();
if (reason) console.log(`[skip] TensorRT runtime tests skipped: ${reason}`);

function test(name: string, fn: () => Promise<void> | void): void {
  Deno.test({
    name,
    ignore: !!reason,
    sanitizeResources: false,
    fn: async () => {
      await fn();
      assertNoLiveHandles(name);
    },
  });
}

const t = () => trtLib()!.lib.symbols;
const enc = new TextEncoder();
const cstr = (s: string) => enc.encode(s + "\0");

function check(rc: number, err: Uint8Array, what: string): void {
  if (rc !== 0) {
    const e = readErrorRecord(err);
    throw new Error(`${what}: status ${rc} ${e.api}: ${e.message}`);
  }
}

const ptrValue = (a: ArrayBufferView) => Deno.UnsafePointer.value(Deno.UnsafePointer.of(a as Uint8Array));

interface BuildOptions {
  flags?: number;
  profile?: { min: number[]; opt: number[]; max: number[] };
  timingCache?: Uint8Array;
  wantCache?: boolean;
}

/** denotrt_tensorrt_build through a denotrt_tensorrt_build_config laid out as in denotrt_tensorrt.h (128 bytes). */
async function build(onnx: Uint8Array, o: BuildOptions = {}) {
  const cfg = new ArrayBuffer(128);
  const view = new DataView(cfg);
  const keep: ArrayBufferView[] = [];
  const pin = (a: ArrayBufferView) => (keep.push(a), ptrValue(a));
  view.setUint32(0, o.flags ?? 4, /* TF32 */ true);
  view.setInt32(4, 0, true); // optimization level 0: the fastest build
  view.setInt32(8, 0, true);
  if (o.profile) {
    const name = cstr("x");
    const names = new BigUint64Array([pin(name)]);
    const index = new Int32Array([0]);
    const ranks = new Int32Array([o.profile.min.length]);
    const dims = new BigInt64Array(3 * 8);
    [o.profile.min, o.profile.opt, o.profile.max].forEach((d, k) => d.forEach((v, j) => (dims[k * 8 + j] = BigInt(v))));
    view.setInt32(12, 1, true);
    view.setBigUint64(24, pin(names), true);
    view.setBigUint64(32, pin(index), true);
    view.setBigUint64(40, pin(ranks), true);
    view.setBigUint64(48, pin(dims), true);
  }
  if (o.timingCache) {
    view.setBigUint64(56, pin(o.timingCache), true);
    view.setBigUint64(64, BigInt(o.timingCache.length), true);
  }
  const cacheOut = new BigUint64Array(1), cacheBytes = new BigUint64Array(1);
  if (o.wantCache) {
    view.setBigUint64(72, pin(cacheOut), true);
    view.setBigUint64(80, pin(cacheBytes), true);
  }
  const planOut = new BigUint64Array(1), planBytes = new BigUint64Array(1);
  const err = newErrorRecord();
  const rc = await t().denotrt_tensorrt_build!(onnx, BigInt(onnx.length), new Uint8Array(cfg), planOut, planBytes, err);
  keep.length = 0;
  const take = (p: bigint, n: bigint) => {
    if (!p) return new Uint8Array(0);
    const ptr = Deno.UnsafePointer.create(p)!;
    const copy = new Uint8Array(new Deno.UnsafePointerView(ptr).getArrayBuffer(Number(n)).slice(0));
    t().denotrt_tensorrt_free!(ptr);
    return copy;
  };
  return {
    rc,
    error: readErrorRecord(err),
    plan: rc === 0 ? take(planOut[0], planBytes[0]) : new Uint8Array(0),
    cache: rc === 0 && o.wantCache ? take(cacheOut[0], cacheBytes[0]) : new Uint8Array(0),
  };
}

function popProgress(): { kind: number; step: number; steps: number; phase: string; build: bigint }[] {
  const out = [];
  const rec = new Uint8Array(280);
  const dv = new DataView(rec.buffer);
  const dropped = new BigUint64Array(1);
  while (t().denotrt_tensorrt_build_progress_pop!(rec, dropped) === 1) {
    const phase = rec.subarray(24, 152);
    out.push({
      kind: dv.getInt32(0, true),
      step: dv.getInt32(4, true),
      steps: dv.getInt32(8, true),
      build: dv.getBigUint64(16, true),
      phase: new TextDecoder().decode(phase.subarray(0, phase.indexOf(0))),
    });
  }
  return out;
}

function deserialize(plan: Uint8Array) {
  const out = new BigUint64Array(1);
  const err = newErrorRecord();
  const rc = sym().denotrt_engine_deserialize(plan, BigInt(plan.length), 0, out, err);
  return { rc, error: readErrorRecord(err), engine: rc === 0 ? Deno.UnsafePointer.create(out[0]) : null };
}

function ioTensor(engine: Deno.PointerValue, i: number) {
  const d = new Uint8Array(344);
  const err = newErrorRecord();
  check(sym().denotrt_engine_io_tensor(engine, i, d, err), err, "io_tensor");
  const dv = new DataView(d.buffer);
  const rank = dv.getInt32(264, true);
  return {
    name: new TextDecoder().decode(d.subarray(0, d.indexOf(0))),
    dtype: dv.getInt32(256, true),
    isInput: dv.getInt32(260, true),
    dims: Array.from({ length: rank }, (_, j) => Number(dv.getBigInt64(272 + 8 * j, true))),
  };
}

const W = new Float32Array([0.5, -1, 2, -3]);
const reference = (x: Float32Array, w: Float32Array) => x.map((v, i) => Math.max(0, v + w[i % w.length]));

/** Runs the context once for x of shape [n, 4]; returns y. */
function run(context: Deno.PointerValue, x: Float32Array, n: number): Float32Array {
  const s = sym();
  const err = newErrorRecord();
  check(
    s.denotrt_context_set_input_shape(context, cstr("x"), 2, new BigInt64Array([BigInt(n), 4n]), err),
    err,
    "shape",
  );
  const dims = new BigInt64Array(8), rank = i32();
  check(s.denotrt_context_tensor_shape(context, cstr("y"), dims, rank, err), err, "tensor_shape");
  assertEquals([rank[0], Number(dims[0]), Number(dims[1])], [2, n, 4]);
  const bytes = BigInt(x.byteLength);
  const bx = new BigUint64Array(1), by = new BigUint64Array(1);
  check(s.denotrt_device_buffer_create(bytes, bx, err), err, "alloc x");
  const px = Deno.UnsafePointer.create(bx[0]);
  try {
    check(s.denotrt_device_buffer_create(bytes, by, err), err, "alloc y");
    const py = Deno.UnsafePointer.create(by[0]);
    try {
      const ax = s.denotrt_device_buffer_address(px), ay = s.denotrt_device_buffer_address(py);
      check(s.denotrt_memcpy_from_pageable(px, 0n, new Uint8Array(x.buffer), bytes, null, err), err, "h2d");
      check(s.denotrt_context_set_tensor_address(context, cstr("x"), ax, err), err, "address x");
      check(s.denotrt_context_set_tensor_address(context, cstr("y"), ay, err), err, "address y");
      check(s.denotrt_context_enqueue(context, null, err), err, "enqueue");
      const y = new Float32Array(x.length);
      check(s.denotrt_memcpy_to_pageable(new Uint8Array(y.buffer), py, 0n, bytes, null, err), err, "d2h");
      return y;
    } finally {
      s.denotrt_device_buffer_destroy(py, newErrorRecord());
    }
  } finally {
    s.denotrt_device_buffer_destroy(px, newErrorRecord());
  }
}

let built: Uint8Array | undefined;
async function plan(): Promise<Uint8Array> {
  if (built) return built;
  const r = await build(reluAddModel(W), {
    flags: 4 | 32, // TF32 | REFIT
    profile: { min: [1, 4], opt: [4, 4], max: [8, 4] },
  });
  check(r.rc, new Uint8Array(0), `build: ${r.error.api}: ${r.error.message}`);
  built = r.plan;
  return built;
}

test("TensorRT: builds a plan from ONNX, with progress records and a reusable timing cache", async () => {
  popProgress();
  const first = await build(reluAddModel(W), { profile: { min: [1, 4], opt: [4, 4], max: [8, 4] }, wantCache: true });
  assertEquals(first.rc, Status.OK, first.error.message);
  assert(first.plan.length > 0);
  assert(first.cache.length > 0, "the timing cache comes back");
  const records = popProgress();
  for (const r of records) assert(r.kind >= 0 && r.kind <= 2 && r.phase.length > 0, JSON.stringify(r));
  console.log(
    `  ${records.length} progress records, phases: ${[...new Set(records.map((r) => r.phase))].slice(0, 5).join(", ")}`,
  );
  const second = await build(reluAddModel(W), {
    profile: { min: [1, 4], opt: [4, 4], max: [8, 4] },
    timingCache: first.cache,
  });
  assertEquals(second.rc, Status.OK, second.error.message);
});

test("TensorRT: the plan header names the TensorRT that built it (checks the header layout on real TensorRT)", async () => {
  const p = await plan();
  const major = i32(), minor = i32(), patch = i32(), lib = i32();
  const err = newErrorRecord();
  check(t().denotrt_tensorrt_plan_version(p, BigInt(p.length), major, minor, patch, err), err, "plan_version");
  check(t().denotrt_tensorrt_load!(lib, null, 0n, err), err, "load");
  assertEquals(
    [major[0], minor[0], patch[0]],
    [Math.floor(lib[0] / 10000), Math.floor(lib[0] / 100) % 100, lib[0] % 100],
  );
});

test("TensorRT: a plan whose header names another minor is refused with both versions", async () => {
  const p = (await plan()).slice();
  const lib = i32();
  t().denotrt_tensorrt_load!(lib, null, 0n, newErrorRecord());
  const [major, minor] = [Math.floor(lib[0] / 10000), Math.floor(lib[0] / 100) % 100];
  p[25] = minor + 1;
  const r = deserialize(p);
  assertEquals(r.rc, Status.PLAN_ERROR, r.error.message);
  assert(r.error.message.includes(`plan built by TensorRT ${major}.${minor + 1}, loaded library is ${major}.${minor}`));
});

test("TensorRT: engine I/O, profiles and inspection", async () => {
  const s = sym();
  const { rc, error, engine } = deserialize(await plan());
  assertEquals(rc, Status.OK, error.message);
  try {
    assertEquals(s.denotrt_engine_provider(engine), 2);
    const err = newErrorRecord();
    const n = i32();
    check(s.denotrt_engine_num_io_tensors(engine, n, err), err, "num_io");
    assertEquals(n[0], 2);
    assertEquals(ioTensor(engine, 0), { name: "x", dtype: 0, isInput: 1, dims: [-1, 4] });
    assertEquals(ioTensor(engine, 1), { name: "y", dtype: 0, isInput: 0, dims: [-1, 4] });
    check(s.denotrt_engine_num_profiles(engine, n, err), err, "num_profiles");
    assertEquals(n[0], 1);
    const dims = new BigInt64Array(8), rank = i32();
    const shapes = [0, 1, 2].map((which) => {
      check(s.denotrt_engine_profile_shape(engine, 0, cstr("x"), which, dims, rank, err), err, "profile_shape");
      return Array.from(dims.subarray(0, rank[0]), Number);
    });
    assertEquals(shapes, [[1, 4], [4, 4], [8, 4]]);
    assertEquals(s.denotrt_engine_profile_shape(engine, 0, cstr("nope"), 0, dims, rank, err), Status.INVALID_ARGUMENT);
    const needed = new BigUint64Array(1);
    check(s.denotrt_engine_inspect(engine, null, 0n, needed, err), err, "inspect size");
    const json = new Uint8Array(Number(needed[0]));
    check(s.denotrt_engine_inspect(engine, json, BigInt(json.length), needed, err), err, "inspect");
    const info = JSON.parse(new TextDecoder().decode(json.subarray(0, json.length - 1)));
    assert(typeof info === "object" && info !== null);
  } finally {
    s.denotrt_engine_destroy(engine, newErrorRecord());
  }
});

test("TensorRT: runs, refuses shapes outside the profile and misaligned addresses, and refits weights", async () => {
  const s = sym();
  const { rc, error, engine } = deserialize(await plan());
  assertEquals(rc, Status.OK, error.message);
  const out = new BigUint64Array(1);
  const err = newErrorRecord();
  try {
    check(s.denotrt_context_create(engine, out, err), err, "context");
    const context = Deno.UnsafePointer.create(out[0]);
    try {
      const x = Float32Array.from({ length: 12 }, (_, i) => i - 6);
      assertEquals(Array.from(run(context, x, 3)), Array.from(reference(x, W)));

      let r = s.denotrt_context_set_input_shape(context, cstr("x"), 2, new BigInt64Array([9n, 4n]), err);
      assertEquals(r, Status.SHAPE_ERROR);
      assert(/allows \[1,4\] to \[8,4\]/.test(readErrorRecord(err).message), readErrorRecord(err).message);
      r = s.denotrt_context_set_tensor_address(context, cstr("x"), 0x10000n + 4n, err);
      assertEquals(r, Status.INVALID_ARGUMENT);

      const w2 = new Float32Array([1, 1, 1, 1]);
      check(
        t().denotrt_tensorrt_refit_weights!(engine, cstr("w"), 0, new Uint8Array(w2.buffer), 4n, err),
        err,
        "refit",
      );
      assertEquals(Array.from(run(context, x, 3)), Array.from(reference(x, w2)));
      r = t().denotrt_tensorrt_refit_weights!(engine, cstr("w"), 0, new Uint8Array(w2.buffer), 3n, err);
      assertEquals(r, Status.INVALID_ARGUMENT);
    } finally {
      s.denotrt_context_destroy(context, newErrorRecord());
    }
  } finally {
    s.denotrt_engine_destroy(engine, newErrorRecord());
  }
});

test("TensorRT: a context on caller-owned device memory", async () => {
  const s = sym();
  const { rc, error, engine } = deserialize(await plan());
  assertEquals(rc, Status.OK, error.message);
  const err = newErrorRecord();
  try {
    const size = new BigUint64Array(1);
    check(t().denotrt_tensorrt_device_memory_size!(engine, size, err), err, "device_memory_size");
    const buf = new BigUint64Array(1);
    check(s.denotrt_device_buffer_create(size[0] > 0n ? size[0] : 256n, buf, err), err, "alloc");
    const mem = Deno.UnsafePointer.create(buf[0]);
    try {
      const out = new BigUint64Array(1);
      const address = s.denotrt_device_buffer_address(mem);
      check(
        t().denotrt_tensorrt_context_create_with_memory!(engine, address, s.denotrt_device_buffer_size(mem), out, err),
        err,
        "context",
      );
      const context = Deno.UnsafePointer.create(out[0]);
      try {
        const x = Float32Array.from({ length: 8 }, (_, i) => i - 4);
        assertEquals(Array.from(run(context, x, 2)), Array.from(reference(x, W)));
      } finally {
        s.denotrt_context_destroy(context, newErrorRecord());
      }
      if (size[0] > 0n) {
        const r = t().denotrt_tensorrt_context_create_with_memory!(engine, address, size[0] - 1n, out, err);
        assertEquals(r, Status.INVALID_ARGUMENT);
      }
    } finally {
      s.denotrt_device_buffer_destroy(mem, newErrorRecord());
    }
  } finally {
    s.denotrt_engine_destroy(engine, newErrorRecord());
  }
});

test("TensorRT: ONNX parser errors name the failing node and op", async () => {
  const r = await build(reluAddModel(W, "NoSuchOp"), { profile: { min: [1, 4], opt: [4, 4], max: [8, 4] } });
  assertEquals(r.rc, Status.TENSORRT_ERROR);
  assertEquals(r.error.api, "IParser::parse");
  assert(/node 1 \(NoSuchOp 'act0'\)/.test(r.error.message), r.error.message);
});

test("TensorRT: a dynamic input without a profile is refused before building", async () => {
  const r = await build(reluAddModel(W));
  assertEquals(r.rc, Status.SHAPE_ERROR, r.error.message);
  assert(/input 'x' has dynamic shape \[-1,4\]/.test(r.error.message), r.error.message);
});
