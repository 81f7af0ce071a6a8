/**
 * createEngine() and infer(): the seed workflow (deserialize, pinned host + device buffer per I/O tensor, a stream,
 * an execution context; fill pinned host, copy in, enqueue, copy out, synchronize, reshape) behind two calls.
 */
import { type AnyTypedArray, type DType, DTYPE_BYTES, dtypeOfArray } from "../core/dtype.ts";
import { DenotrtError, InvalidArgumentError, PlanError, ShapeError } from "../core/errors.ts";
import { copyAsync } from "../cuda/copy.ts";
import { getDeviceInfo } from "../cuda/device.ts";
import { DeviceBuffer } from "../cuda/device_buffer.ts";
import { HostBuffer } from "../cuda/host_buffer.ts";
import { Stream } from "../cuda/stream.ts";
import { buildBuiltinPlan } from "./builtin_builder.ts";
import { Engine, type ExecutionContext } from "./engine.ts";
import { chooseDevice, chooseProvider } from "./select.ts";
import { TimingCache } from "./timing_cache.ts";
import { buildTensorRTPlan, tensorrtStatus } from "./tensorrt.ts";
import type {
  DeviceKind, InferInput, InferOutput, LayoutChoice, Precision, ProfileShapes, Provider, TensorInfo,
} from "./types.ts";

export interface CreateEngineOptions {
  /** An ONNX model: a file path or its bytes. */
  onnx?: string | Uint8Array;
  /** A serialized plan: a file path or its bytes. */
  plan?: string | Uint8Array;
  /** "auto" (default) takes TensorRT where its libraries load and the built-in engine otherwise. */
  provider?: "auto" | Provider;
  device?: DeviceKind;
  precision?: Precision;
  /** Optimization profiles, one shape range per dynamic input in each. */
  profiles?: ProfileShapes[];
  /** A plan file: loaded when present and valid, otherwise built from `onnx` and written there. */
  cache?: string;
  /** Most activation memory (bytes) the plan may need at its largest profile shapes. */
  memoryLimit?: number;
  /** Called while a plan builds. */
  onProgress?: (phase: string, step: number, steps: number) => void;
  /**
   * Built-in engine: how activations around convolutions are stored. "auto" (default) picks NHWC for CUDA plans in
   * fp16 or tf32 (tensor-core convolutions are NHWC-native) and NCHW otherwise.
   */
  layout?: LayoutChoice;
  /**
   * Built-in engine on CUDA: a timing-cache file (trtexec's --timingCacheFile). Kernel choices are read from it when
   * the plan is built, and what the build measured is written back, so rebuilding skips the timing. A missing file
   * starts an empty cache; one measured on another GPU is an error.
   */
  timingCache?: string;
}

export interface InferOptions {
  /** Return views of the pinned output buffers instead of copies (valid until the next infer or dispose). */
  views?: boolean;
}

interface Slot {
  info: TensorInfo;
  host: HostBuffer | null;
  device: DeviceBuffer | null;
}

async function readBytes(src: string | Uint8Array, what: string): Promise<Uint8Array> {
  if (typeof src !== "string") return src;
  try {
    return await Deno.readFile(src);
  } catch (e) {
    throw new InvalidArgumentError(`cannot read the ${what} file '${src}': ${e instanceof Error ? e.message : e}`);
  }
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : path.slice(0, i) || "/";
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function compatible(expected: DType, got: DType): boolean {
  return expected === got || (expected === "bool" && got === "uint8") || (expected === "bfloat16" && got === "float16");
}

/** Inputs a built-in plan places in host memory (inspect()'s io list; TensorRT engines list none). */
function hostPlacedInputs(engine: Engine): Set<string> {
  if (engine.provider !== "builtin" || engine.device !== "cuda") return new Set();
  const io = (engine.inspect() as { io?: { name: string; mode: string; location: string }[] }).io ?? [];
  return new Set(io.filter((t) => t.mode === "input" && t.location === "host").map((t) => t.name));
}

/** Writes through a temporary file and a rename, so a concurrent reader never sees half a file. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, path);
}

/** A timing-cache file's cache; an empty one where the file does not exist yet. */
async function readTimingCache(path: string): Promise<TimingCache> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new InvalidArgumentError(`cannot read the timing cache file '${path}': ${e instanceof Error ? e.message : e}`);
    }
  }
  try {
    return new TimingCache(bytes);
  } catch (e) {
    throw new InvalidArgumentError(`the timing cache file '${path}' is not usable: ${e instanceof Error ? e.message : e}`);
  }
}

/** Builds or loads a plan and returns a ready engine with its context, stream and buffers. */
export async function createEngine(options: CreateEngineOptions): Promise<InferenceEngine> {
  const device = chooseDevice(options.device);
  const requested = options.provider ?? "auto";
  let plan: Uint8Array | undefined;
  if (options.plan !== undefined) plan = await readBytes(options.plan, "plan");
  else if (options.cache !== undefined) {
    try {
      plan = await Deno.readFile(options.cache);
    } catch {
      plan = undefined; // no cached plan yet
    }
  }
  if (plan) {
    try {
      // A plan's provider is fixed by its bytes (the shim dispatches on the header).
      return new InferenceEngine(new Engine(plan, device), "loaded from a plan");
    } catch (e) {
      // A stale or corrupt cache is rebuilt; an explicitly given plan is the caller's to fix.
      if (!(e instanceof PlanError) || options.plan !== undefined || options.onnx === undefined) throw e;
    }
  }
  if (options.onnx === undefined) throw new InvalidArgumentError("createEngine needs `onnx` or `plan`");
  const onnx = await readBytes(options.onnx, "ONNX");
  const choice = chooseProvider(requested, device, tensorrtStatus);
  const modelPath = typeof options.onnx === "string" ? options.onnx : undefined;
  let built: Uint8Array;
  if (choice.provider === "tensorrt") {
    built = await buildTensorRTPlan(new Uint8Array(onnx), {
      precision: options.precision ?? "fp32",
      profiles: options.profiles ?? [],
      modelPath,
      workspaceBytes: options.memoryLimit,
      onProgress: options.onProgress,
    });
  } else {
    const gpu = device === "cuda" ? getDeviceInfo(0) : undefined;
    using cache = options.timingCache !== undefined && gpu ? await readTimingCache(options.timingCache) : undefined;
    built = (await buildBuiltinPlan(onnx, {
      precision: options.precision ?? "fp32",
      profiles: options.profiles ?? [],
      device,
      baseDir: modelPath ? dirOf(modelPath) : undefined,
      gpu: gpu && { name: gpu.name, computeCapability: gpu.computeCapability },
      memoryLimit: options.memoryLimit,
      onProgress: options.onProgress,
      layout: options.layout,
      timing: { cache },
    })).plan;
    if (cache && options.timingCache !== undefined) await writeAtomically(options.timingCache, cache.serialize());
  }
  if (options.cache !== undefined) await writeAtomically(options.cache, built);
  return new InferenceEngine(new Engine(built, device), choice.reason);
}

/** An engine ready for `infer()`: owns its execution context, stream and reused I/O buffers. */
export class InferenceEngine {
  readonly engine: Engine;
  readonly context: ExecutionContext;
  readonly stream: Stream | null;
  readonly #slots = new Map<string, Slot>();
  #hostInputs: Set<string> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;

  /** Why this engine's provider was chosen ("requested", "TensorRT is not available (...)", ...). */
  readonly providerReason: string;

  constructor(engine: Engine, providerReason = "requested") {
    this.engine = engine;
    this.providerReason = providerReason;
    try {
      this.context = engine.createExecutionContext();
      this.stream = engine.device === "cuda" ? new Stream() : null;
    } catch (e) {
      engine[Symbol.dispose]();
      throw e;
    }
    for (const info of engine.ioTensors) this.#slots.set(info.name, { info, host: null, device: null });
  }

  get provider(): Provider {
    return this.engine.provider;
  }
  get device(): DeviceKind {
    return this.engine.device;
  }
  get inputs(): TensorInfo[] {
    return this.engine.inputs;
  }
  get outputs(): TensorInfo[] {
    return this.engine.outputs;
  }
  inspect(): unknown {
    return this.engine.inspect();
  }

  /** Runs the network. Calls are queued, so concurrent infers never share buffers mid-flight. */
  infer(inputs: Record<string, InferInput>, options: InferOptions = {}): Promise<Record<string, InferOutput>> {
    if (this.#disposed) return Promise.reject(new DenotrtError("this engine has been disposed"));
    const run = this.#queue.then(() => this.#run(inputs, options));
    this.#queue = run.catch(() => {});
    return run;
  }

  #ensure(slot: Slot, bytes: number): void {
    if (slot.host && slot.host.byteLength >= bytes) return;
    const size = Math.max(bytes, 256);
    slot.host?.[Symbol.dispose]();
    slot.device?.[Symbol.dispose]();
    slot.host = null;
    slot.device = null;
    slot.host = new HostBuffer(size, { pinned: this.device === "cuda" });
    if (this.device === "cuda") slot.device = new DeviceBuffer(size);
  }

  async #run(inputs: Record<string, InferInput>, options: InferOptions): Promise<Record<string, InferOutput>> {
    if (this.#disposed) throw new DenotrtError("this engine has been disposed");
    if (inputs === null || typeof inputs !== "object") throw new InvalidArgumentError("infer() takes an object of named inputs");
    const names = this.inputs.map((t) => t.name);
    for (const name of Object.keys(inputs)) {
      if (!names.includes(name)) throw new InvalidArgumentError(`unknown input '${name}'; the inputs are: ${names.join(", ")}`);
    }
    const ctx = this.context;
    for (const info of this.inputs) {
      const value = inputs[info.name];
      if (value === undefined) throw new InvalidArgumentError(`missing input '${info.name}' (${info.dtype} [${info.shape.join(", ")}])`);
      const data = ArrayBuffer.isView(value) ? value : value?.data;
      if (!ArrayBuffer.isView(data)) throw new InvalidArgumentError(`input '${info.name}' must be a typed array or { data, shape }`);
      const got = dtypeOfArray(data);
      if (!compatible(info.dtype, got)) throw new InvalidArgumentError(`input '${info.name}' is ${info.dtype}, got a ${data.constructor.name} (${got})`);
      let shape: number[];
      if (ArrayBuffer.isView(value)) {
        if (info.shape.some((d) => d < 0)) {
          throw new ShapeError(`input '${info.name}' has dynamic dimensions [${info.shape.join(", ")}]: pass { data, shape }`);
        }
        shape = info.shape;
      } else shape = value.shape;
      if (!Array.isArray(shape)) throw new InvalidArgumentError(`input '${info.name}': shape must be an array of integers`);
      ctx.setInputShape(info.name, shape);
      if (product(shape) !== data.length) {
        throw new ShapeError(`input '${info.name}' of shape [${shape.join(", ")}] needs ${product(shape)} elements, got ${data.length}`);
      }
      // Inputs are in place before any output shape is asked for: shape inference may read an input's values
      // (a shape tensor feeding Reshape or ConstantOfShape), as TensorRT requires for shape-tensor inputs.
      const slot = this.#slots.get(info.name)!;
      this.#ensure(slot, data.byteLength);
      // A host-placed input (shape values, read on the CPU) is bound to its pinned host buffer, never copied over.
      this.#hostInputs ??= hostPlacedInputs(this.engine);
      const onHost = this.device === "cpu" || this.#hostInputs.has(info.name);
      ctx.setTensorAddress(info.name, onHost ? slot.host!.address : slot.device!);
      new Uint8Array(slot.host!.arrayBuffer, 0, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      if (this.stream && !onHost) copyAsync(slot.device!, slot.host!, this.stream, { bytes: data.byteLength });
    }
    const outShapes = new Map<string, number[]>();
    for (const info of this.outputs) {
      const slot = this.#slots.get(info.name)!;
      const shape = ctx.getTensorShape(info.name);
      outShapes.set(info.name, shape);
      this.#ensure(slot, product(shape) * DTYPE_BYTES[info.dtype]);
      ctx.setTensorAddress(info.name, this.device === "cuda" ? slot.device! : slot.host!);
    }
    if (this.stream) {
      ctx.enqueueV3(this.stream);
      for (const info of this.outputs) {
        const slot = this.#slots.get(info.name)!;
        const bytes = product(outShapes.get(info.name)!) * DTYPE_BYTES[info.dtype];
        copyAsync(slot.host!, slot.device!, this.stream, { bytes });
      }
      await this.stream.synchronize();
    } else {
      await ctx.execute(null);
    }
    const result: Record<string, InferOutput> = {};
    for (const info of this.outputs) {
      const shape = outShapes.get(info.name)!;
      const view = this.#slots.get(info.name)!.host!.view(info.dtype, 0, product(shape)) as AnyTypedArray;
      result[info.name] = { data: options.views ? view : view.slice() as AnyTypedArray, shape, dtype: info.dtype };
    }
    return result;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#queue;
    if (this.stream) await this.stream.synchronize();
    for (const slot of this.#slots.values()) {
      slot.host?.[Symbol.dispose]();
      slot.device?.[Symbol.dispose]();
    }
    this.context[Symbol.dispose]();
    this.engine[Symbol.dispose]();
    this.stream?.[Symbol.dispose]();
  }
}
