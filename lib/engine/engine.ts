/**
 * Engine (TensorRT's ICudaEngine) and ExecutionContext (IExecutionContext): the same classes serve built-in plans
 * and TensorRT plans, since the shim hides the provider behind one C API.
 */
import { sym } from "../../ffi/load.ts";
import { check, checkAsync, createHandle, cstr } from "../core/call.ts";
import { type DType, DTYPE_CODES, dtypeFromCode } from "../core/dtype.ts";
import { InvalidArgumentError, ShapeError, UnsupportedError } from "../core/errors.ts";
import { drainLog } from "../core/log.ts";
import { NativeResource } from "../core/resource.ts";
import { DeviceBuffer } from "../cuda/device_buffer.ts";
import { HostBuffer } from "../cuda/host_buffer.ts";
import type { Stream } from "../cuda/stream.ts";
import { type DeviceKind, type Provider, type ShapeRange, type TensorInfo, TensorIOMode } from "./types.ts";

const MAX_RANK = 8;
const DESC_BYTES = 336;

function destroyEngine(h: Deno.PointerObject): void {
  check("denotrt_engine_destroy", (err) => sym().denotrt_engine_destroy(h, err));
}
function destroyContext(h: Deno.PointerObject): void {
  check("denotrt_context_destroy", (err) => sym().denotrt_context_destroy(h, err));
}

function readDesc(buf: Uint8Array<ArrayBuffer>): TensorInfo {
  const v = new DataView(buf.buffer);
  const nul = buf.indexOf(0);
  const rank = v.getInt32(264, true);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(Number(v.getBigInt64(272 + 8 * i, true)));
  return {
    name: new TextDecoder().decode(buf.subarray(0, nul < 0 ? 256 : Math.min(nul, 256))),
    dtype: dtypeFromCode(v.getInt32(256, true)),
    mode: v.getInt32(260, true) === 1 ? TensorIOMode.INPUT : TensorIOMode.OUTPUT,
    shape,
  };
}

export class Engine extends NativeResource {
  readonly provider: Provider;
  readonly device: DeviceKind;
  readonly ioTensors: readonly TensorInfo[];
  readonly #byName: Map<string, TensorInfo>;
  #contexts = 0;

  /** Deserializes a plan (use Runtime.deserializeCudaEngine or createEngine). */
  constructor(plan: Uint8Array, device: DeviceKind = "cuda") {
    if (!(plan instanceof Uint8Array) || plan.byteLength === 0) throw new InvalidArgumentError("the plan must be a non-empty Uint8Array");
    const bytes = plan.buffer instanceof ArrayBuffer ? plan as Uint8Array<ArrayBuffer> : new Uint8Array(plan);
    const kind = device === "cpu" ? 1 : 0;
    let h: Deno.PointerObject;
    try {
      h = createHandle("denotrt_engine_deserialize", (out, err) => sym().denotrt_engine_deserialize(bytes, BigInt(bytes.byteLength), kind, out, err));
    } finally {
      drainLog();
    }
    super(h, "Engine", destroyEngine);
    this.device = device;
    this.provider = sym().denotrt_engine_provider(h) === 2 ? "tensorrt" : "builtin";
    const n = new Int32Array(1);
    check("denotrt_engine_num_io_tensors", (err) => sym().denotrt_engine_num_io_tensors(h, new Uint8Array(n.buffer), err));
    const tensors: TensorInfo[] = [];
    const desc = new Uint8Array(DESC_BYTES);
    for (let i = 0; i < n[0]; i++) {
      check("denotrt_engine_io_tensor", (err) => sym().denotrt_engine_io_tensor(h, i, desc, err));
      tensors.push(readDesc(desc));
    }
    this.ioTensors = tensors;
    this.#byName = new Map(tensors.map((t) => [t.name, t]));
  }

  get numIOTensors(): number {
    return this.ioTensors.length;
  }
  getIOTensorName(index: number): string {
    const t = this.ioTensors[index];
    if (!t) throw new InvalidArgumentError(`I/O tensor index ${index} is out of range (0..${this.ioTensors.length - 1})`);
    return t.name;
  }
  /** The tensor's description; throws naming the known tensors when `name` is not one. */
  tensor(name: string): TensorInfo {
    const t = this.#byName.get(name);
    if (!t) throw new InvalidArgumentError(`no I/O tensor named '${name}'; this engine has: ${this.ioTensors.map((x) => x.name).join(", ")}`);
    return t;
  }
  getTensorShape(name: string): number[] {
    return [...this.tensor(name).shape];
  }
  getTensorDataType(name: string): DType {
    return this.tensor(name).dtype;
  }
  getTensorIOMode(name: string): TensorIOMode {
    return this.#byName.get(name)?.mode ?? TensorIOMode.NONE;
  }
  get inputs(): TensorInfo[] {
    return this.ioTensors.filter((t) => t.mode === TensorIOMode.INPUT);
  }
  get outputs(): TensorInfo[] {
    return this.ioTensors.filter((t) => t.mode === TensorIOMode.OUTPUT);
  }

  get numOptimizationProfiles(): number {
    const n = new Int32Array(1);
    const h = this.handle;
    check("denotrt_engine_num_profiles", (err) => sym().denotrt_engine_num_profiles(h, new Uint8Array(n.buffer), err));
    return n[0];
  }

  /** The min/opt/max shapes of input `name` in `profile`. */
  getProfileShape(name: string, profile = 0): ShapeRange {
    this.tensor(name);
    const h = this.handle;
    const out: number[][] = [];
    for (let which = 0; which < 3; which++) {
      const dims = new BigInt64Array(MAX_RANK), rank = new Int32Array(1);
      check("denotrt_engine_profile_shape", (err) =>
        sym().denotrt_engine_profile_shape(h, profile, cstr(name), which, new Uint8Array(dims.buffer), new Uint8Array(rank.buffer), err));
      out.push(Array.from(dims.subarray(0, rank[0]), Number));
    }
    return { min: out[0], opt: out[1], max: out[2] };
  }

  /** The layers with their chosen kernels, like TensorRT's engine inspector. */
  inspect(): unknown {
    const h = this.handle;
    const needed = new BigUint64Array(1);
    let cap = 1 << 16;
    for (;;) {
      const buf = new Uint8Array(cap);
      check("denotrt_engine_inspect", (err) => sym().denotrt_engine_inspect(h, buf, BigInt(cap), new Uint8Array(needed.buffer), err));
      if (Number(needed[0]) <= cap) {
        const nul = buf.indexOf(0);
        return JSON.parse(new TextDecoder().decode(buf.subarray(0, nul < 0 ? cap : nul)));
      }
      cap = Number(needed[0]);
    }
  }

  /**
   * A new execution context. `deviceMemory` (TensorRT engines) gives it caller-owned activation memory of at least
   * `deviceMemorySize` bytes, which contexts that never run at the same time may share.
   */
  createExecutionContext(options: { deviceMemory?: DeviceBuffer } = {}): ExecutionContext {
    const ctx = new ExecutionContext(this, options.deviceMemory);
    this.#contexts++;
    return ctx;
  }

  #requireTensorRT(what: string): Deno.PointerObject {
    if (this.provider !== "tensorrt") throw new UnsupportedError(`${what} is a TensorRT feature; this engine is ${this.provider}`);
    return this.handle;
  }

  /** Device memory an execution context needs for activations (TensorRT engines). */
  get deviceMemorySize(): number {
    const h = this.#requireTensorRT("deviceMemorySize");
    const out = new BigUint64Array(1);
    check("denotrt_tensorrt_device_memory_size", (err) => sym().denotrt_tensorrt_device_memory_size!(h, new Uint8Array(out.buffer), err));
    return Number(out[0]);
  }

  /** Replaces the weights `name` (an ONNX initializer) of a refittable TensorRT engine and refits it. */
  refit(name: string, weights: Float32Array<ArrayBuffer> | Uint16Array<ArrayBuffer>): void {
    const h = this.#requireTensorRT("refit");
    const dtype = weights instanceof Float32Array ? DTYPE_CODES.float32 : DTYPE_CODES.float16;
    const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
    check("denotrt_tensorrt_refit_weights", (err) =>
      sym().denotrt_tensorrt_refit_weights!(h, cstr(name), dtype, bytes, BigInt(weights.length), err));
  }

  /** @internal */
  contextClosed(): void {
    this.#contexts--;
  }

  [Symbol.dispose](): void {
    if (!this.disposed && this.#contexts > 0) {
      throw new InvalidArgumentError(`Engine still has ${this.#contexts} live execution context(s): dispose them first`);
    }
    this.disposeWith(destroyEngine);
  }
}

export class ExecutionContext extends NativeResource {
  readonly engine: Engine;

  /** @internal use engine.createExecutionContext() */
  constructor(engine: Engine, deviceMemory?: DeviceBuffer) {
    const e = engine.handle;
    const create = deviceMemory
      ? (out: Uint8Array<ArrayBuffer>, err: Uint8Array<ArrayBuffer>) => {
        if (engine.provider !== "tensorrt") throw new UnsupportedError("caller-owned context memory is a TensorRT feature");
        return sym().denotrt_tensorrt_context_create_with_memory!(e, deviceMemory.address, BigInt(deviceMemory.byteLength), out, err);
      }
      : (out: Uint8Array<ArrayBuffer>, err: Uint8Array<ArrayBuffer>) => sym().denotrt_context_create(e, out, err);
    super(createHandle("denotrt_context_create", create), "ExecutionContext", destroyContext);
    this.engine = engine;
    this.#memory = deviceMemory;
  }

  // Held so the caller's activation memory is not collected while the context may use it.
  readonly #memory?: DeviceBuffer;

  setOptimizationProfile(profile: number): void {
    const h = this.handle;
    check("denotrt_context_set_optimization_profile", (err) => sym().denotrt_context_set_optimization_profile(h, profile, err));
  }

  setInputShape(name: string, shape: readonly number[]): void {
    const t = this.engine.tensor(name);
    if (t.mode !== TensorIOMode.INPUT) throw new InvalidArgumentError(`'${name}' is an output; only inputs take shapes`);
    if (shape.length !== t.shape.length) {
      throw new ShapeError(`input '${name}' has rank ${t.shape.length} (${fmt(t.shape)}), got a shape of rank ${shape.length} (${fmt(shape)})`);
    }
    shape.forEach((d, i) => {
      if (!Number.isSafeInteger(d) || d < 0) throw new ShapeError(`dimension ${i} of '${name}' must be a non-negative integer, got ${d}`);
      if (t.shape[i] >= 0 && t.shape[i] !== d) throw new ShapeError(`dimension ${i} of input '${name}' is fixed at ${t.shape[i]}, got ${d} (${fmt(shape)})`);
    });
    const h = this.handle;
    const dims = BigInt64Array.from(shape, BigInt);
    check("denotrt_context_set_input_shape", (err) => sym().denotrt_context_set_input_shape(h, cstr(name), shape.length, new Uint8Array(dims.buffer), err));
  }

  /** The tensor's shape under the current input shapes (outputs are inferred). */
  getTensorShape(name: string): number[] {
    this.engine.tensor(name);
    const h = this.handle;
    const dims = new BigInt64Array(MAX_RANK), rank = new Int32Array(1);
    check("denotrt_context_tensor_shape", (err) =>
      sym().denotrt_context_tensor_shape(h, cstr(name), new Uint8Array(dims.buffer), new Uint8Array(rank.buffer), err));
    return Array.from(dims.subarray(0, rank[0]), Number);
  }

  /** Binds a tensor to memory: a DeviceBuffer (CUDA engines), a HostBuffer (CPU engines), or a raw address. */
  setTensorAddress(name: string, memory: DeviceBuffer | HostBuffer | bigint): void {
    this.engine.tensor(name);
    let address: bigint;
    if (memory instanceof DeviceBuffer) {
      if (this.engine.device === "cpu") throw new InvalidArgumentError(`a CPU engine needs host memory for '${name}', got a DeviceBuffer`);
      address = memory.address;
    } else if (memory instanceof HostBuffer) {
      if (this.engine.device === "cuda") throw new InvalidArgumentError(`a CUDA engine needs device memory for '${name}', got a HostBuffer`);
      address = memory.address;
    } else {
      address = memory;
    }
    const h = this.handle;
    check("denotrt_context_set_tensor_address", (err) => sym().denotrt_context_set_tensor_address(h, cstr(name), address, err));
  }

  /** Queues the network on `stream` (TensorRT's enqueueV3). On CPU engines this runs the network before returning. */
  enqueueV3(stream: Stream | null): void {
    const h = this.handle, s = stream ? stream.handle : null;
    try {
      check("denotrt_context_enqueue", (err) => sym().denotrt_context_enqueue(h, s, err));
    } finally {
      drainLog();
    }
  }

  /**
   * Times every layer (TensorRT's IProfiler, trtexec's --dumpProfile): runs the network `runs` times layer by layer
   * on `stream`, without a CUDA graph, and returns each layer's median milliseconds with the kernel that ran it.
   * Built-in CUDA engines only; the context's input shapes and tensor addresses must be set, as for enqueue.
   */
  profile(stream: Stream | null, runs = 20): LayerProfile[] {
    if (!Number.isSafeInteger(runs) || runs < 1) throw new InvalidArgumentError(`runs must be a positive integer, got ${runs}`);
    const h = this.handle, s = stream ? stream.handle : null;
    const count = new Int32Array(1);
    check("denotrt_context_profile", (err) => sym().denotrt_context_profile(h, s, runs, null, 0, new Uint8Array(count.buffer), err));
    const ms = new Float32Array(count[0]);
    try {
      check("denotrt_context_profile", (err) =>
        sym().denotrt_context_profile(h, s, runs, new Uint8Array(ms.buffer), ms.length, new Uint8Array(count.buffer), err));
    } finally {
      drainLog();
    }
    const layers = (this.engine.inspect() as { layers?: { name: string; op: string; kernel: string }[] }).layers ?? [];
    return Array.from(ms, (t, i) => ({
      name: layers[i]?.name ?? `layer ${i}`,
      op: layers[i]?.op ?? "",
      kernel: layers[i]?.kernel ?? "",
      ms: t,
    }));
  }

  /** Runs the network on a worker thread (CPU engines), keeping the event loop free. */
  async execute(stream: Stream | null = null): Promise<void> {
    const h = this.handle, s = stream ? stream.handle : null;
    try {
      await checkAsync("denotrt_context_enqueue", (err) => sym().denotrt_context_enqueue_nonblocking(h, s, err));
    } finally {
      drainLog();
    }
  }

  [Symbol.dispose](): void {
    if (this.disposed) return;
    this.disposeWith(destroyContext);
    this.engine.contextClosed();
  }
}

/** One layer's time from ExecutionContext.profile(). */
export interface LayerProfile {
  name: string;
  op: string;
  /** What ran it (inspect()'s kernel). */
  kernel: string;
  /** Median milliseconds. */
  ms: number;
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
