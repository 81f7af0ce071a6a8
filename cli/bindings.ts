/**
 * The I/O memory of a timing run: several random input sets (host, and device where the inputs stay on the GPU),
 * one output set, all bound to an execution context. Outputs are poisoned first so a run that never wrote them shows.
 */
import {
  copyAsync,
  DeviceBuffer,
  type DType,
  DTYPE_BYTES,
  type ExecutionContext,
  HostBuffer,
  memsetAsync,
  type Stream,
  TensorIOMode,
} from "../mod.ts";
import { fillSet, makeBlock, makeRng } from "./inputs.ts";

export interface BoundTensor {
  name: string;
  dtype: DType;
  shape: number[];
  bytes: number;
}

export interface BoundInput extends BoundTensor {
  /** One host buffer per input set. */
  host: HostBuffer[];
  /** CUDA: one device buffer per set without transfers, one shared buffer (index 0) with them; CPU: none. */
  device: DeviceBuffer[];
}

export interface BoundOutput extends BoundTensor {
  host: HostBuffer;
  device: DeviceBuffer | null;
}

const POISON = 0xff; // all-ones bytes: NaN in every float type, -1 in signed integers

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Allocation size: never zero bytes, so an empty tensor still has an address. */
function alloc(bytes: number): number {
  return Math.max(bytes, 256);
}

export class Bindings implements Disposable {
  readonly inputs: BoundInput[] = [];
  readonly outputs: BoundOutput[] = [];
  readonly #cuda: boolean;
  readonly #transfers: boolean;

  /**
   * Sets the input shapes on `ctx`, fills `inputSets` random sets, binds set 0 and the outputs.
   * `stream` is the CUDA stream (null for CPU engines); `transfers` keeps one device input buffer that each
   * iteration copies a host set into, instead of one resident device buffer per set.
   */
  constructor(ctx: ExecutionContext, shapes: Map<string, number[]>, stream: Stream | null, inputSets: number, transfers: boolean) {
    this.#cuda = stream !== null;
    this.#transfers = transfers;
    const rng = makeRng();
    try {
      for (const t of ctx.engine.ioTensors) {
        if (t.mode !== TensorIOMode.INPUT) continue;
        const shape = shapes.get(t.name) ?? t.shape;
        ctx.setInputShape(t.name, shape);
        const bytes = product(shape) * DTYPE_BYTES[t.dtype];
        const input: BoundInput = { name: t.name, dtype: t.dtype, shape, bytes, host: [], device: [] };
        this.inputs.push(input);
        const block = makeBlock(t.dtype, product(shape), rng);
        for (let s = 0; s < inputSets; s++) {
          const h = new HostBuffer(alloc(bytes), { pinned: this.#cuda });
          input.host.push(h);
          fillSet(t.dtype, new Uint8Array(h.arrayBuffer, 0, bytes), s, block);
        }
        if (this.#cuda) {
          for (let s = 0; s < (transfers ? 1 : inputSets); s++) {
            const d = new DeviceBuffer(alloc(bytes));
            input.device.push(d);
            if (!transfers) copyAsync(d, input.host[s], stream, { bytes });
          }
          if (transfers) copyAsync(input.device[0], input.host[0], stream, { bytes });
        }
      }
      // Inputs are bound (and their data in place) before output shapes are asked for: shape inference may read
      // an input's values.
      this.bindSet(ctx, 0);
      if (stream) stream.synchronizeSync();
      for (const t of ctx.engine.ioTensors) {
        if (t.mode !== TensorIOMode.OUTPUT) continue;
        const shape = ctx.getTensorShape(t.name);
        const bytes = product(shape) * DTYPE_BYTES[t.dtype];
        const host = new HostBuffer(alloc(bytes), { pinned: this.#cuda });
        const out: BoundOutput = { name: t.name, dtype: t.dtype, shape, bytes, host, device: null };
        this.outputs.push(out);
        if (this.#cuda) out.device = new DeviceBuffer(alloc(bytes));
        ctx.setTensorAddress(t.name, out.device ?? host);
      }
      this.poisonOutputs();
    } catch (e) {
      this[Symbol.dispose]();
      throw e;
    }
  }

  get inputSets(): number {
    return this.inputs[0]?.host.length ?? 1;
  }

  /** Binds input set `set` where inputs are read in place (resident device sets, or host sets on the CPU). */
  bindSet(ctx: ExecutionContext, set: number): void {
    for (const i of this.inputs) {
      if (!this.#cuda) ctx.setTensorAddress(i.name, i.host[set]);
      else ctx.setTensorAddress(i.name, i.device[this.#transfers ? 0 : set]);
    }
  }

  /** Queues the copies of input set `set` into the device (transfers mode only). */
  copyIn(set: number, stream: Stream): void {
    for (const i of this.inputs) if (i.bytes) copyAsync(i.device[0], i.host[set], stream, { bytes: i.bytes });
  }

  /** Queues the copies of every output back to the host. */
  copyOut(stream: Stream): void {
    for (const o of this.outputs) if (o.bytes) copyAsync(o.host, o.device!, stream, { bytes: o.bytes });
  }

  /** Fills the outputs' host copies, and their device memory when a stream is given, with the poison pattern. */
  poisonOutputs(stream: Stream | null = null): void {
    for (const o of this.outputs) {
      new Uint8Array(o.host.arrayBuffer, 0, o.bytes).fill(POISON);
      if (stream && o.device && o.bytes) memsetAsync(o.device, POISON, stream, 0, o.bytes);
    }
  }

  /** True when every output's host copy holds something other than the poison (read after a synchronized run). */
  outputsWritten(): boolean {
    return this.outputs.every((o) => o.bytes === 0 || new Uint8Array(o.host.arrayBuffer, 0, o.bytes).some((b) => b !== POISON));
  }

  [Symbol.dispose](): void {
    for (const i of this.inputs) {
      for (const h of i.host) h[Symbol.dispose]();
      for (const d of i.device) d[Symbol.dispose]();
    }
    for (const o of this.outputs) {
      o.host[Symbol.dispose]();
      o.device?.[Symbol.dispose]();
    }
    this.inputs.length = 0;
    this.outputs.length = 0;
  }
}
