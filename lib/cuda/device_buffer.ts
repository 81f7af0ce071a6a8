/** Device memory (cudaMalloc, 256-byte aligned). */
import { sym } from "../../ffi/load.ts";
import { check, createHandle } from "../core/call.ts";
import { type DType, DTYPE_BYTES } from "../core/dtype.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import { NativeResource } from "../core/resource.ts";
import { checkByteSize } from "../core/validate.ts";

function destroyDevice(h: Deno.PointerObject): void {
  check("denotrt_device_buffer_destroy", (err) => sym().denotrt_device_buffer_destroy(h, err));
}

export class DeviceBuffer extends NativeResource {
  readonly byteLength: number;

  constructor(byteLength: number) {
    checkByteSize("DeviceBuffer size", byteLength);
    super(
      createHandle("denotrt_device_buffer_create", (out, err) => sym().denotrt_device_buffer_create(BigInt(byteLength), out, err)),
      "DeviceBuffer",
      destroyDevice,
    );
    this.byteLength = byteLength;
  }

  static of(dtype: DType, length: number): DeviceBuffer {
    if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError(`length must be a non-negative integer, got ${length}`);
    return new DeviceBuffer(length * DTYPE_BYTES[dtype]);
  }

  /** The device address, for TensorRT-style setTensorAddress. */
  get address(): bigint {
    return sym().denotrt_device_buffer_address(this.handle) as bigint;
  }

  [Symbol.dispose](): void {
    this.disposeWith(destroyDevice);
  }
}
