/** Dispose semantics, view detachment and argument checks on plain (unpinned) host memory: no GPU needed. */
import { HostBuffer } from "../../lib/cuda/host_buffer.ts";
import { DisposedError, InvalidArgumentError } from "../../lib/core/errors.ts";
import { hasFloat16Array } from "../../lib/core/dtype.ts";
import { liveHandles } from "../../lib/core/handles.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

const plain = { pinned: false };

Deno.test("views of every dtype share the buffer's memory without copying", () => {
  using buf = new HostBuffer(64, plain);
  const f32 = buf.view("float32");
  f32[0] = 1.5;
  const bytes = buf.view("uint8");
  assertEquals(Array.from(bytes.subarray(0, 4)), [0, 0, 0xc0, 0x3f]);
  assertEquals(buf.view("float64").length, 8);
  assertEquals(buf.view("int64").length, 8);
  assertEquals(buf.view("int32", 8, 2).length, 2);
  const f16 = buf.view("float16", 16, 4);
  if (hasFloat16Array()) {
    f16[0] = 0.5;
    assertEquals(new Uint16Array(buf.arrayBuffer, 16, 1)[0], 0x3800); // fp16 bits of 0.5
  }
  assertEquals(f16.length, 4);
});

Deno.test("dispose detaches every view so none can touch freed memory", () => {
  const buf = new HostBuffer(1024, plain);
  const a = buf.view("float32");
  const b = buf.view("uint8", 100, 10);
  a.fill(2);
  buf[Symbol.dispose]();
  assertEquals(a.length, 0);
  assertEquals(b.length, 0);
  assertEquals(a[0], undefined);
  assertThrows(() => buf.view("float32"), DisposedError);
  assertThrows(() => buf.arrayBuffer, DisposedError);
});

Deno.test("dispose is idempotent and handle counts return to zero", () => {
  const before = liveHandles().hostBuffer;
  const buf = new HostBuffer(16, plain);
  assertEquals(liveHandles().hostBuffer, before + 1);
  buf[Symbol.dispose]();
  buf[Symbol.dispose]();
  assertEquals(liveHandles().hostBuffer, before);
});

Deno.test("`using` frees the buffer at the end of the block", () => {
  const before = liveHandles().hostBuffer;
  {
    using _b = HostBuffer.of("float32", 10, plain);
    assertEquals(liveHandles().hostBuffer, before + 1);
  }
  assertEquals(liveHandles().hostBuffer, before);
});

Deno.test("bad sizes and views are rejected in TypeScript before reaching C", () => {
  const before = liveHandles().hostBuffer;
  assertThrows(() => new HostBuffer(-1, plain), InvalidArgumentError, /non-negative/);
  assertThrows(() => new HostBuffer(1.5, plain), InvalidArgumentError);
  assertThrows(() => new HostBuffer(2 ** 50, plain), InvalidArgumentError, /limit/);
  assertThrows(() => new HostBuffer(NaN, plain), InvalidArgumentError);
  assertEquals(liveHandles().hostBuffer, before);
  using buf = new HostBuffer(64, plain);
  assertThrows(() => buf.view("float32", 2), InvalidArgumentError, /multiple of 4/);
  assertThrows(() => buf.view("float32", 0, 17), InvalidArgumentError, /does not fit/);
  assertThrows(() => buf.view("float64", 64, 1), InvalidArgumentError);
  assertThrows(() => buf.view("nope" as never), InvalidArgumentError, /unknown dtype/);
});

Deno.test("a zero-byte buffer is valid and has empty views", () => {
  using buf = new HostBuffer(0, plain);
  assertEquals(buf.view("float32").length, 0);
  assert(!buf.pinned);
});
