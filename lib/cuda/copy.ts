/** Copies between pinned host, device and pageable (JavaScript) memory, and memset. */
import { sym } from "../../ffi/load.ts";
import { check } from "../core/call.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import { checkRange } from "../core/validate.ts";
import { DeviceBuffer } from "./device_buffer.ts";
import { HostBuffer } from "./host_buffer.ts";
import type { Stream } from "./stream.ts";

export type Buffer = HostBuffer | DeviceBuffer;

export interface CopyOptions {
  /** Bytes to copy; default: all of the smaller side from its offset. */
  bytes?: number;
  dstOffset?: number;
  srcOffset?: number;
}

function streamHandle(stream: Stream | null | undefined): Deno.PointerValue {
  return stream ? stream.handle : null;
}

/**
 * Queues a copy from `src` to `dst` on `stream` (host→device, device→host, device→device or host→host).
 * Both buffers must stay alive until the stream has run it: await `stream.synchronize()` before reading.
 */
export function copyAsync(dst: Buffer, src: Buffer, stream: Stream | null, options: CopyOptions = {}): void {
  if (!(dst instanceof HostBuffer || dst instanceof DeviceBuffer)) throw new InvalidArgumentError("copy destination must be a HostBuffer or DeviceBuffer");
  if (!(src instanceof HostBuffer || src instanceof DeviceBuffer)) throw new InvalidArgumentError("copy source must be a HostBuffer or DeviceBuffer");
  const dstOffset = options.dstOffset ?? 0, srcOffset = options.srcOffset ?? 0;
  const bytes = options.bytes ?? Math.min(dst.byteLength - dstOffset, src.byteLength - srcOffset);
  checkRange("copy destination", dstOffset, bytes, dst.byteLength);
  checkRange("copy source", srcOffset, bytes, src.byteLength);
  const d = dst.handle, s = src.handle, st = streamHandle(stream);
  check("denotrt_memcpy_async", (err) => sym().denotrt_memcpy_async(d, BigInt(dstOffset), s, BigInt(srcOffset), BigInt(bytes), st, err));
}

/** Copies a JavaScript typed array (pageable memory) into device memory; returns when done. */
export function copyFromArray(dst: DeviceBuffer, src: ArrayBufferView<ArrayBuffer>, stream: Stream | null = null, dstOffset = 0): void {
  checkRange("copy destination", dstOffset, src.byteLength, dst.byteLength);
  const bytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const d = dst.handle, st = streamHandle(stream);
  check("denotrt_memcpy_from_pageable", (err) => sym().denotrt_memcpy_from_pageable(d, BigInt(dstOffset), bytes, BigInt(bytes.byteLength), st, err));
}

/** Copies device memory into a JavaScript typed array (pageable memory); returns when done. */
export function copyToArray(dst: ArrayBufferView<ArrayBuffer>, src: DeviceBuffer, stream: Stream | null = null, srcOffset = 0): void {
  checkRange("copy source", srcOffset, dst.byteLength, src.byteLength);
  const bytes = new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength);
  const s = src.handle, st = streamHandle(stream);
  check("denotrt_memcpy_to_pageable", (err) => sym().denotrt_memcpy_to_pageable(bytes, s, BigInt(srcOffset), BigInt(bytes.byteLength), st, err));
}

/** Queues setting `bytes` bytes of `dst` from `offset` to the byte `value`. */
export function memsetAsync(dst: DeviceBuffer, value: number, stream: Stream | null, offset = 0, bytes?: number): void {
  if (!(dst instanceof DeviceBuffer)) throw new InvalidArgumentError("memset needs a DeviceBuffer");
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new InvalidArgumentError(`memset value must be a byte (0..255), got ${value}`);
  const n = bytes ?? dst.byteLength - offset;
  checkRange("memset", offset, n, dst.byteLength);
  const d = dst.handle, st = streamHandle(stream);
  check("denotrt_memset_async", (err) => sym().denotrt_memset_async(d, BigInt(offset), value, BigInt(n), st, err));
}
