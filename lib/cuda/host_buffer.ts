/**
 * Host memory with zero-copy typed-array views: pinned (page-locked, the default: what fast async copies need)
 * or plain 64-byte-aligned memory (for CPU engines; needs no GPU or driver). All views share one ArrayBuffer over the
 * native memory; dispose detaches it, so every view reads as length 0 instead of touching freed memory.
 */
import { sym } from "../../ffi/load.ts";
import { check, createHandle } from "../core/call.ts";
import { type DType, DTYPE_BYTES, type TypedArrayFor, viewOf } from "../core/dtype.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import { NativeResource } from "../core/resource.ts";
import { checkByteSize } from "../core/validate.ts";

function destroyHost(h: Deno.PointerObject): void {
  check("denotrt_host_buffer_destroy", (err) => sym().denotrt_host_buffer_destroy(h, err));
}

export interface HostBufferOptions {
  /** Page-locked memory through cudaHostAlloc (default true). */
  pinned?: boolean;
}

export class HostBuffer extends NativeResource {
  readonly byteLength: number;
  readonly pinned: boolean;
  #arrayBuffer: ArrayBuffer;

  constructor(byteLength: number, options: HostBufferOptions = {}) {
    checkByteSize("HostBuffer size", byteLength);
    const pinned = options.pinned ?? true;
    const h = createHandle(
      "denotrt_host_buffer_create",
      (out, err) => sym().denotrt_host_buffer_create(BigInt(byteLength), pinned ? 1 : 0, out, err),
    );
    super(h, "HostBuffer", destroyHost);
    this.byteLength = byteLength;
    this.pinned = pinned;
    const p = sym().denotrt_host_buffer_pointer(h);
    this.#arrayBuffer = p === null || byteLength === 0 ? new ArrayBuffer(0) : Deno.UnsafePointerView.getArrayBuffer(p, byteLength);
  }

  /** A pinned buffer sized for `length` elements of `dtype`. */
  static of(dtype: DType, length: number, options: HostBufferOptions = {}): HostBuffer {
    if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError(`length must be a non-negative integer, got ${length}`);
    return new HostBuffer(length * DTYPE_BYTES[dtype], options);
  }

  /** The whole memory as an ArrayBuffer (detached after dispose). */
  get arrayBuffer(): ArrayBuffer {
    void this.handle; // throws DisposedError once disposed
    return this.#arrayBuffer;
  }

  /** The host address, for setTensorAddress on CPU engines. */
  get address(): bigint {
    const p = sym().denotrt_host_buffer_pointer(this.handle);
    return p === null ? 0n : BigInt(Deno.UnsafePointer.value(p));
  }

  /** A zero-copy view of `length` elements of `dtype` starting at `byteOffset`. */
  view<D extends DType>(dtype: D, byteOffset = 0, length?: number): TypedArrayFor<D> {
    const size = DTYPE_BYTES[dtype];
    if (size === undefined) throw new InvalidArgumentError(`unknown dtype ${dtype}`);
    checkByteSize("view offset", byteOffset);
    if (byteOffset % size !== 0) throw new InvalidArgumentError(`a ${dtype} view needs an offset that is a multiple of ${size}, got ${byteOffset}`);
    const n = length ?? Math.floor((this.byteLength - byteOffset) / size);
    if (!Number.isSafeInteger(n) || n < 0 || byteOffset + n * size > this.byteLength) {
      throw new InvalidArgumentError(`a view of ${n} ${dtype} at offset ${byteOffset} does not fit in ${this.byteLength} bytes`);
    }
    return viewOf(dtype, this.arrayBuffer, byteOffset, n);
  }

  [Symbol.dispose](): void {
    this.disposeWith((h) => {
      // Detach first: views must never outlive the memory they point at.
      if (this.#arrayBuffer.byteLength > 0) this.#arrayBuffer.transfer(0);
      destroyHost(h);
    });
  }
}
