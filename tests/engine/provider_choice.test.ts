/** Which provider createEngine takes, and what it says when TensorRT cannot be used. Runs everywhere. */
import { chooseProvider } from "../../lib/engine/select.ts";
import { tensorrtPlanVersion, tensorrtStatus } from "../../lib/engine/tensorrt.ts";
import { createEngine } from "../../lib/engine/session.ts";
import { InvalidArgumentError, LibraryError, UnsupportedError } from "../../lib/core/errors.ts";
import { libraryInfo } from "../../lib/core/library_info.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { FIXTURES, fixturesPresent } from "./_models.ts";

const usable = () => ({ available: true, reason: "libnvinfer loaded from /x/libnvinfer.so.10" });
const missing = () => ({ available: false, reason: "libnvinfer.so.10: cannot open shared object file" });

Deno.test("auto takes TensorRT on CUDA where it loads, and says so", () => {
  assertEquals(chooseProvider("auto", "cuda", usable), { provider: "tensorrt", reason: usable().reason });
});

Deno.test("auto falls back to the built-in engine with the reason TensorRT was not taken", () => {
  const c = chooseProvider("auto", "cuda", missing);
  assertEquals(c.provider, "builtin");
  assert(c.reason.includes("cannot open shared object file"), c.reason);
  assertEquals(chooseProvider("auto", "cpu", usable).provider, "builtin");
});

Deno.test("asking for TensorRT where it cannot run fails with the reason", () => {
  assertThrows(() => chooseProvider("tensorrt", "cuda", missing), LibraryError, /not available: libnvinfer/);
  assertThrows(() => chooseProvider("tensorrt", "cpu", usable), UnsupportedError, /only on CUDA/);
  assertThrows(() => chooseProvider("onnxruntime" as never, "cuda", usable), InvalidArgumentError, /provider must be/);
  assertEquals(chooseProvider("builtin", "cuda", usable).provider, "builtin");
});

Deno.test("this library's TensorRT status is consistent with how it was built", () => {
  const s = tensorrtStatus();
  if (!libraryInfo().tensorrt) {
    assertEquals(s.available, false);
    assert(s.reason.includes("without TensorRT headers"), s.reason);
  } else if (!s.available) {
    assert(s.reason.length > 0);
  } else {
    assert(/^\d+\.\d+\.\d+$/.test(s.version ?? ""), JSON.stringify(s));
  }
});

Deno.test("a built-in plan is not mistaken for a TensorRT plan", () => {
  const bytes = new TextEncoder().encode("DNRTPLAN" + "\0".repeat(200));
  assertEquals(tensorrtPlanVersion(bytes), undefined);
});

Deno.test({
  name: "createEngine with provider tensorrt fails clearly where TensorRT is unavailable, and auto still runs",
  ignore: !fixturesPresent() || tensorrtStatus().available,
  async fn() {
    await assertRejects(() => createEngine({ onnx: `${FIXTURES}conv_basic.onnx`, provider: "tensorrt", device: "cuda" }), LibraryError, /TensorRT is not available/);
    await using e = await createEngine({ onnx: `${FIXTURES}conv_basic.onnx`, provider: "auto", device: "cpu" });
    assertEquals(e.provider, "builtin");
    assert(e.providerReason.includes("CPU"), e.providerReason);
  },
});

Deno.test({
  name: "TensorRT-only features on a built-in engine are refused with UnsupportedError",
  ignore: !fixturesPresent(),
  async fn() {
    await using e = await createEngine({ onnx: `${FIXTURES}conv_basic.onnx`, provider: "builtin", device: "cpu" });
    assertThrows(() => e.engine.deviceMemorySize, UnsupportedError, /TensorRT feature/);
    assertThrows(() => e.engine.refit("w", new Float32Array(4)), UnsupportedError, /TensorRT feature/);
  },
});
