import { check } from "../../lib/core/call.ts";
import {
  CudaError,
  DenotrtError,
  errorFromStatus,
  InvalidArgumentError,
  NoDeviceError,
  PlanError,
  Status,
  statusName,
} from "../../lib/core/errors.ts";
import { sym } from "../../ffi/load.ts";
import { readCString } from "../../lib/core/call.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

Deno.test("status names agree between TypeScript and the shim", () => {
  for (const code of Object.values(Status)) {
    assertEquals(statusName(code), readCString(sym().denotrt_status_name(code)));
  }
});

Deno.test("a CUDA failure becomes a CudaError naming the call and the code", () => {
  const e = errorFromStatus(
    { status: Status.CUDA_ERROR, code: 2, api: "cudaMalloc(&p, n)", codeName: "cudaErrorMemoryAllocation", message: "out of memory" },
    "x",
  );
  assert(e instanceof CudaError);
  const c = e as CudaError;
  assertEquals([c.call, c.code, c.codeName], ["cudaMalloc(&p, n)", 2, "cudaErrorMemoryAllocation"]);
  assert(c.message.includes("cudaErrorMemoryAllocation"));
});

Deno.test("each status maps to its own error class", () => {
  const mk = (status: number) => errorFromStatus({ status, code: 0, api: "", codeName: "", message: "m" }, "call");
  assert(mk(Status.NO_DEVICE) instanceof NoDeviceError);
  assert(mk(Status.PLAN_ERROR) instanceof PlanError);
  assert(mk(Status.INVALID_ARGUMENT) instanceof InvalidArgumentError);
  assert(mk(Status.INTERNAL_ERROR) instanceof DenotrtError);
});

Deno.test("a bad handle passed to C is refused with an error, not a crash", () => {
  // Real memory that is not a handle: the shim reads its tag and refuses it.
  const notAHandle = new BigUint64Array(4);
  const p = Deno.UnsafePointer.of(notAHandle);
  assertThrows(() => check("denotrt_stream_destroy", (err) => sym().denotrt_stream_destroy(p, err)), InvalidArgumentError, /not a live stream/);
});
