import { assertEquals } from "../_assert.ts";
import { hasFixture, NO_FIXTURES } from "../_fixtures.ts";
import { runPass } from "../_pass_harness.ts";
import { fuseSiLU } from "../../../lib/builder/passes/fuse_silu.ts";

Deno.test({
  name: "fuse_silu: x*Sigmoid(x) -> SiLU, x*HardSigmoid(x) -> HardSwish",
  ignore: NO_FIXTURES || !hasFixture("silu_chain"),
  fn: async () => {
    const r = await runPass("silu_chain", fuseSiLU);
    assertEquals(r.before.Sigmoid, 2);
    assertEquals(r.before.HardSigmoid, 2);
    assertEquals(r.after.Sigmoid, undefined);
    assertEquals(r.after.HardSigmoid, undefined);
    assertEquals(r.after.Mul, undefined);
    assertEquals(r.after.SiLU, 2);
    assertEquals(r.after.HardSwish, 2);
  },
});
