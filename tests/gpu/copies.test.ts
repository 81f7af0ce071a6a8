/** Copies are bit-exact on fresh random data at every size class, in every direction. */
import { copyAsync, copyFromArray, copyToArray, memsetAsync } from "../../lib/cuda/copy.ts";
import { DeviceBuffer } from "../../lib/cuda/device_buffer.ts";
import { HostBuffer } from "../../lib/cuda/host_buffer.ts";
import { Stream } from "../../lib/cuda/stream.ts";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { assert, assertThrows } from "../_assert.ts";
import { gpuTest, randomBytes } from "../_gpu.ts";

const SIZES = [0, 1, 4097, 4096, 64 << 20, 1 << 30];

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // Compare 8 bytes at a time where aligned: a 1 GiB byte loop is slow in JavaScript.
  if (a.byteOffset % 8 === 0 && b.byteOffset % 8 === 0 && a.length % 8 === 0) {
    const x = new BigUint64Array(a.buffer, a.byteOffset, a.length / 8), y = new BigUint64Array(b.buffer, b.byteOffset, b.length / 8);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

for (const size of SIZES) {
  gpuTest(`pinned host → device → device → pinned host is bit-exact at ${size} bytes`, async () => {
    await using stream = new Stream();
    using src = new HostBuffer(size);
    using dst = new HostBuffer(size);
    using d1 = new DeviceBuffer(size);
    using d2 = new DeviceBuffer(size);
    const data = randomBytes(size);
    src.view("uint8").set(data);
    dst.view("uint8").set(randomBytes(size)); // poison: every byte must be overwritten
    copyAsync(d1, src, stream);
    copyAsync(d2, d1, stream);
    copyAsync(dst, d2, stream);
    await stream.synchronize();
    assert(equalBytes(dst.view("uint8"), data), `mismatch at ${size} bytes`);
  });
}

gpuTest("pageable copies to and from JavaScript arrays are bit-exact", () => {
  const size = 3 * 1024 * 1024 + 5;
  using d = new DeviceBuffer(size);
  const data = randomBytes(size);
  copyFromArray(d, data);
  const back = randomBytes(size);
  copyToArray(back, d);
  assert(equalBytes(back, data));
});

gpuTest("copies at offsets move exactly the requested range", async () => {
  await using stream = new Stream();
  using h = new HostBuffer(1000);
  using d = new DeviceBuffer(1000);
  using out = new HostBuffer(1000);
  const data = randomBytes(1000);
  h.view("uint8").set(data);
  const poison = randomBytes(1000);
  out.view("uint8").set(poison);
  copyAsync(d, h, stream, { bytes: 300, srcOffset: 17, dstOffset: 501 });
  copyAsync(out, d, stream, { bytes: 300, srcOffset: 501, dstOffset: 3 });
  await stream.synchronize();
  const o = out.view("uint8");
  assert(equalBytes(o.subarray(3, 303), data.subarray(17, 317)));
  assert(equalBytes(o.subarray(0, 3), poison.subarray(0, 3)) && equalBytes(o.subarray(303), poison.subarray(303)));
});

gpuTest("memset fills the requested bytes only", async () => {
  await using stream = new Stream();
  using d = new DeviceBuffer(4096);
  using out = new HostBuffer(4096);
  copyFromArray(d, randomBytes(4096));
  memsetAsync(d, 0xab, stream, 100, 1000);
  copyAsync(out, d, stream);
  await stream.synchronize();
  const o = out.view("uint8");
  assert(o.subarray(100, 1100).every((b) => b === 0xab));
});

gpuTest("copies that overrun a buffer are rejected before reaching C", () => {
  using h = new HostBuffer(100);
  using d = new DeviceBuffer(50);
  assertThrows(() => copyAsync(d, h, null, { bytes: 100 }), InvalidArgumentError, /overrun/);
  assertThrows(() => copyAsync(d, h, null, { bytes: 10, dstOffset: 45 }), InvalidArgumentError, /overrun/);
  assertThrows(() => copyAsync(d, h, null, { bytes: -1 }), InvalidArgumentError);
  assertThrows(() => memsetAsync(d, 300, null), InvalidArgumentError, /byte/);
  assertThrows(() => copyFromArray(d, new Uint8Array(51)), InvalidArgumentError, /overrun/);
});
