/** 10,000 create/dispose cycles of every resource leave no handle and no device memory behind. */
import { copyAsync } from "../../lib/cuda/copy.ts";
import { getDeviceInfo } from "../../lib/cuda/device.ts";
import { DeviceBuffer } from "../../lib/cuda/device_buffer.ts";
import { CudaEvent } from "../../lib/cuda/event.ts";
import { HostBuffer } from "../../lib/cuda/host_buffer.ts";
import { Stream } from "../../lib/cuda/stream.ts";
import { assert } from "../_assert.ts";
import { gpuTest } from "../_gpu.ts";

gpuTest("10,000 create/dispose cycles leak neither handles nor device memory", () => {
  // Warm up once so lazily created driver state is not counted as a leak.
  { using _s = new Stream(); using _d = new DeviceBuffer(1 << 20); }
  const before = getDeviceInfo(0).freeMemory;
  for (let i = 0; i < 10_000; i++) {
    using s = new Stream();
    using e = new CudaEvent({ timing: false });
    using d = new DeviceBuffer(1 << 20);
    using h = new HostBuffer(4096);
    const v = h.view("float32");
    v[0] = i;
    copyAsync(d, h, s);
    e.record(s);
    if (i % 1000 === 0) {
      using g = s.capture((st) => copyAsync(h, d, st, { bytes: 16 }));
      g.launch(s);
    }
    s.synchronizeSync();
  }
  const after = getDeviceInfo(0).freeMemory;
  // The driver allocates in 2 MiB pages; anything beyond a few pages would be a real leak (10,000 MiB were cycled).
  assert(before - after < 16 << 20, `device free memory fell by ${(before - after) / 2 ** 20} MiB`);
});
