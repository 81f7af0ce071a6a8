import { assertEquals } from "../_assert.ts";
import { hasFixture, NO_FIXTURES } from "../_fixtures.ts";
import { runPass } from "../_pass_harness.ts";
import { fuseConvActivation } from "../../../lib/builder/passes/fuse_conv_activation.ts";
import { foldBatchNorm } from "../../../lib/builder/passes/fold_batchnorm.ts";
import { fuseSiLU } from "../../../lib/builder/passes/fuse_silu.ts";

Deno.test({
  name: "fuse_conv_activation: Conv + residual Add + Clip(0,6) -> one Conv",
  ignore: NO_FIXTURES || !hasFixture("conv_add_clip"),
  fn: async () => {
    const r = await runPass("conv_add_clip", fuseConvActivation);
    assertEquals(r.before, { Conv: 1, Add: 1, Clip: 1 });
    assertEquals(r.after, { Conv: 1 });
    const conv = r.graph.nodes[0];
    assertEquals(conv.inputs.length, 4);
    assertEquals(conv.attrs.activation, { type: "string", value: "Clip" });
    assertEquals(conv.attrs.activation_alpha, { type: "float", value: 0 });
    assertEquals(conv.attrs.activation_beta, { type: "float", value: 6 });
  },
});

Deno.test({
  name: "fuse_conv_activation: residual block after BN folding -> two fused Convs",
  ignore: NO_FIXTURES || !hasFixture("residual_block"),
  fn: async () => {
    const r = await runPass("residual_block", fuseConvActivation, [foldBatchNorm]);
    assertEquals(r.after, { Conv: 2 });
    assertEquals(r.graph.nodes[1].inputs.length, 4, "second conv carries the residual");
  },
});

Deno.test({
  name: "fuse_conv_activation: SiLU / HardSwish chain fuses every activation",
  ignore: NO_FIXTURES || !hasFixture("silu_chain"),
  fn: async () => {
    const r = await runPass("silu_chain", fuseConvActivation, [fuseSiLU]);
    assertEquals(r.after, { Conv: 4 });
  },
});

Deno.test({
  name: "fuse_conv_activation: Conv+BN+Relu (relu fused, standalone BN kept)",
  ignore: NO_FIXTURES || !hasFixture("conv_bn_relu"),
  fn: async () => {
    const r = await runPass("conv_bn_relu", fuseConvActivation, [foldBatchNorm]);
    assertEquals(r.after, { Conv: 1, BatchNormalization: 1 });
  },
});
