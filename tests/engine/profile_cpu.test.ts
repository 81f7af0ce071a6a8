/** profile() is a CUDA feature: on a CPU engine it fails with a typed error that says so, and nothing leaks. */
import { createEngine } from "../../lib/engine/session.ts";
import { InvalidArgumentError, UnsupportedError } from "../../lib/core/errors.ts";
import { assert, assertThrows } from "../_assert.ts";
import { FIXTURES, fixturesPresent, loadReference } from "./_models.ts";
import { assertNoLiveHandles } from "../_gpu.ts";

Deno.test({
  name: "profile() on a CPU engine throws UnsupportedError naming the executor; bad run counts are refused",
  ignore: !fixturesPresent(),
  fn: async () => {
    {
      const ref = loadReference("conv_basic");
      await using engine = await createEngine({ onnx: `${FIXTURES}conv_basic.onnx`, device: "cpu", provider: "builtin" });
      await engine.infer(ref.inputs);
      const e = assertThrows(() => engine.context.profile(null, 3), UnsupportedError);
      assert(/cpu executor cannot time its layers/.test((e as Error).message), (e as Error).message);
      assertThrows(() => engine.context.profile(null, 0), InvalidArgumentError);
    }
    assertNoLiveHandles("profile on CPU");
  },
});
