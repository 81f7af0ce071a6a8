/** Ordering across streams with events, timing, graph capture and replay, device queries. */
import { copyAsync } from "../../lib/cuda/copy.ts";
import { getDeviceCount, getDeviceInfo } from "../../lib/cuda/device.ts";
import { DeviceBuffer } from "../../lib/cuda/device_buffer.ts";
import { CudaEvent } from "../../lib/cuda/event.ts";
import { HostBuffer } from "../../lib/cuda/host_buffer.ts";
import { Stream } from "../../lib/cuda/stream.ts";
import { DisposedError } from "../../lib/core/errors.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { gpuTest, randomBytes } from "../_gpu.ts";

gpuTest("device info describes the GPU", () => {
  assert(getDeviceCount() >= 1);
  const d = getDeviceInfo(0);
  assert(d.name.length > 0 && d.computeCapability[0] >= 7, JSON.stringify(d));
  assert(d.totalMemory > 1e9 && d.freeMemory > 0 && d.freeMemory <= d.totalMemory);
  assert(d.driverVersion >= d.runtimeVersion - 1000, "driver older than the runtime");
  console.log(`  GPU 0: ${d.name}, sm_${d.computeCapability.join("")}, ${(d.totalMemory / 2 ** 30).toFixed(1)} GiB`);
});

gpuTest("an event orders work on a second stream after the first", async () => {
  const size = 256 << 20; // large enough that an unordered read would see the old contents
  await using s1 = new Stream();
  await using s2 = new Stream();
  using ready = new CudaEvent({ timing: false });
  using h = new HostBuffer(size);
  using out = new HostBuffer(size);
  using a = new DeviceBuffer(size);
  using b = new DeviceBuffer(size);
  const data = randomBytes(size);
  h.view("uint8").set(data);
  copyAsync(a, h, s1);
  ready.record(s1);
  s2.waitEvent(ready);
  copyAsync(b, a, s2);
  copyAsync(out, b, s2);
  await s2.synchronize();
  const o = new BigUint64Array(out.arrayBuffer), d = new BigUint64Array(data.buffer);
  for (let i = 0; i < o.length; i += 1) if (o[i] !== d[i]) throw new Error(`mismatch at word ${i}`);
  assert(s1.query() && s2.query());
});

gpuTest("events time GPU work", async () => {
  await using s = new Stream();
  using start = new CudaEvent();
  using end = new CudaEvent();
  using a = new DeviceBuffer(512 << 20);
  using b = new DeviceBuffer(512 << 20);
  start.record(s);
  copyAsync(b, a, s);
  end.record(s);
  await end.synchronize();
  const ms = end.elapsedSince(start);
  assert(ms > 0 && ms < 1000, `${ms} ms`);
});

gpuTest("a captured graph replays its copies with the host data of each launch", async () => {
  const n = 1 << 20;
  await using s = new Stream();
  using inp = new HostBuffer(n);
  using out = new HostBuffer(n);
  using d = new DeviceBuffer(n);
  using graph = s.capture((st) => {
    copyAsync(d, inp, st);
    copyAsync(out, d, st);
  });
  for (let round = 0; round < 3; round++) {
    const data = randomBytes(n);
    inp.view("uint8").set(data);
    graph.launch(s);
    await s.synchronize();
    assertEquals(out.view("uint8").every((v, i) => v === data[i]), true);
  }
});

gpuTest("synchronize waits off the event loop and the sync variant blocks", async () => {
  await using s = new Stream();
  using a = new DeviceBuffer(64 << 20);
  using b = new DeviceBuffer(64 << 20);
  copyAsync(b, a, s);
  let ticked = false;
  const tick = new Promise<void>((r) => setTimeout(() => { ticked = true; r(); }, 0));
  await Promise.all([s.synchronize(), tick]);
  assert(ticked);
  copyAsync(a, b, s);
  s.synchronizeSync();
  assert(s.query());
});

gpuTest("a disposed stream, buffer or event throws instead of reaching C", () => {
  const s = new Stream();
  const d = new DeviceBuffer(16);
  const e = new CudaEvent();
  s[Symbol.dispose]();
  d[Symbol.dispose]();
  e[Symbol.dispose]();
  s[Symbol.dispose](); // idempotent
  assertThrows(() => s.query(), DisposedError);
  assertThrows(() => d.address, DisposedError);
  using live = new Stream();
  assertThrows(() => e.record(live), DisposedError);
});
