import { assertEquals } from "../_assert.ts";
import { hasFixture, NO_FIXTURES } from "../_fixtures.ts";
import { runPass } from "../_pass_harness.ts";
import { foldBatchNorm } from "../../../lib/builder/passes/fold_batchnorm.ts";

Deno.test({
  name: "fold_batchnorm: Conv+BN folds, standalone BN stays",
  ignore: NO_FIXTURES || !hasFixture("conv_bn_relu"),
  fn: async () => {
    const r = await runPass("conv_bn_relu", foldBatchNorm);
    assertEquals(r.before, { Conv: 1, BatchNormalization: 2, Relu: 1 });
    assertEquals(r.after, { Conv: 1, Relu: 1, BatchNormalization: 1 });
  },
});

Deno.test({
  name: "fold_batchnorm: residual block (torch export) folds both BNs",
  ignore: NO_FIXTURES || !hasFixture("residual_block"),
  fn: async () => {
    const r = await runPass("residual_block", foldBatchNorm);
    assertEquals(r.before.BatchNormalization, 2);
    assertEquals(r.after.BatchNormalization, undefined);
    assertEquals(r.after.Conv, 2);
  },
});
