/** What a machine without a GPU (or without a driver) sees: typed errors, never a crash, and no leaked handles. */
import { cudaVersions, getDeviceCount } from "../../lib/cuda/device.ts";
import { Stream } from "../../lib/cuda/stream.ts";
import { HostBuffer } from "../../lib/cuda/host_buffer.ts";
import { DeviceBuffer } from "../../lib/cuda/device_buffer.ts";
import { NoDeviceError } from "../../lib/core/errors.ts";
import { gpu } from "../_gpu.ts";
import { assert, assertThrows } from "../_assert.ts";
import { totalLiveHandles } from "../../lib/core/handles.ts";

Deno.test({
  name: "without a GPU every device call throws NoDeviceError and leaks nothing",
  ignore: gpu.ok,
  fn() {
    const before = totalLiveHandles();
    const e = assertThrows(() => getDeviceCount(), NoDeviceError, /driver|GPU/);
    assert(e.call.startsWith("cudaGetDeviceCount"), e.call);
    assertThrows(() => new Stream(), NoDeviceError);
    assertThrows(() => new HostBuffer(1024), NoDeviceError);
    assertThrows(() => new DeviceBuffer(1024), NoDeviceError);
    assert(totalLiveHandles() === before);
  },
});

Deno.test("the runtime version is known even without a driver", () => {
  const v = cudaVersions();
  assert(v.runtime >= 12000, `runtime ${v.runtime}`);
  assert(v.driver >= 0);
});
