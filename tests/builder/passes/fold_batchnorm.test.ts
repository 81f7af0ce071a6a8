import { assertEquals } from "../_assert.ts";
import { hasFixture, NO_FIXTURES } from "../_fixtures.ts";
import { runPass } from "../_pass_harness.ts";
import { foldBatchNorm } from "../../../lib/builder/passes/fold_batchnorm.ts";
import { GraphBuilder, ints, str } from "../../engine/_graph.ts";
import { batchNorm, convTranspose, randn, runOnFresh } from "./_fold_fuse.ts";

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

// ---------------------------------------------------------------- ConvTranspose, and bias Adds

Deno.test({
  name: "fold_batchnorm: ConvTranspose head (bias Add + BN, BN, bias Add) folds all five, matches onnxruntime",
  ignore: NO_FIXTURES || !hasFixture("convtranspose_head"),
  fn: async () => {
    const r = await runPass("convtranspose_head", foldBatchNorm);
    assertEquals(r.before, { Conv: 1, Relu: 3, ConvTranspose: 3, Add: 2, BatchNormalization: 2, Sigmoid: 1 });
    assertEquals(r.after, { Conv: 1, Relu: 3, ConvTranspose: 3, Sigmoid: 1 });
    // Every ConvTranspose now carries a [K] bias.
    for (const n of r.graph.nodes.filter((n) => n.op === "ConvTranspose")) {
      assertEquals(r.graph.tensors.get(n.inputs[2])!.shape, [r.graph.tensors.get(n.inputs[1])!.shape[1]]);
    }
  },
});

Deno.test({
  name: "fold_batchnorm: grouped ConvTranspose + BN folds per output channel of each group, matches onnxruntime",
  ignore: NO_FIXTURES || !hasFixture("convtranspose_grouped"),
  fn: async () => {
    const r = await runPass("convtranspose_grouped", foldBatchNorm);
    assertEquals(r.before.BatchNormalization, 1);
    assertEquals(r.after.BatchNormalization, undefined);
  },
});

Deno.test("fold_batchnorm: ConvTranspose + BN, fresh random data: groups 1/2/4, channel multipliers, 1-D", () => {
  for (const [c, k, group, rank] of [[6, 4, 1, 2], [8, 6, 2, 2], [8, 12, 4, 2], [4, 4, 4, 2], [6, 3, 3, 1]]) {
    const b = new GraphBuilder();
    const xs = rank === 2 ? [2, c, 5, 4] : [2, c, 7];
    b.input("x", xs);
    const kernel = rank === 2 ? [3, 2] : [3];
    const [t, ts] = convTranspose(b, "x", xs, { c, k, kernel, group, strides: kernel.map(() => 2), bias: c % 4 === 0 });
    b.output(batchNorm(b, t, ts));
    const r = runOnFresh(b.g, [foldBatchNorm]);
    assertEquals(r.after, { ConvTranspose: 1 }, `C ${c} K ${k} group ${group}`);
  }
});

Deno.test("fold_batchnorm: per-channel constant Adds fold into Conv and ConvTranspose biases; others stay", () => {
  const b = new GraphBuilder();
  b.input("x", [1, 8, 5, 5]);
  const [t, ts] = convTranspose(b, "x", [1, 8, 5, 5], { c: 8, k: 8, kernel: [2, 2], strides: [2, 2] });
  // [1, K, 1, 1] after the layer, a scalar before it (either operand order).
  const [a1] = b.node("Add", [t, b.constF32("k1", [1, 8, 1, 1], randn(8))], [ts]);
  const [a2] = b.node("Add", [b.constF32("s", [], [0.75]), a1], [ts]);
  const [c] = b.node("Conv", [a2, b.constF32("w", [4, 8, 1, 1], randn(32, 0.3))], [[1, 4, 10, 10]], {
    kernel_shape: ints([1, 1]),
  });
  const [a3] = b.node("Add", [c, b.constF32("k3", [4, 1, 1], randn(4))], [[1, 4, 10, 10]]);
  b.output(a3);
  const r = runOnFresh(b.g, [foldBatchNorm]);
  assertEquals(r.after, { ConvTranspose: 1, Conv: 1 });
  assertEquals(r.changed, [3]);
});

Deno.test("fold_batchnorm: Adds and BNs that are not per-channel affine of a sole, plain output stay", () => {
  const b = new GraphBuilder();
  b.input("x", [1, 8, 5, 5]);
  // Along W (not per channel), and a batch-2 constant that would broadcast the output: both stay.
  const [t1, ts] = convTranspose(b, "x", [1, 8, 5, 5], { c: 8, k: 8, kernel: [2, 2], strides: [2, 2] });
  const [w1] = b.node("Add", [t1, b.constF32("row", [1, 1, 1, 10], randn(10))], [ts]);
  const [t2] = convTranspose(b, "x", [1, 8, 5, 5], { c: 8, k: 8, kernel: [2, 2], strides: [2, 2] });
  const [w2] = b.node("Add", [t2, b.constF32("batch2", [2, 8, 1, 1], randn(16))], [[2, 8, 10, 10]]);
  // An output that is also a graph output, or read twice, keeps its BN.
  const [t3] = convTranspose(b, "x", [1, 8, 5, 5], { c: 8, k: 8, kernel: [2, 2], strides: [2, 2] });
  const n3 = batchNorm(b, t3, ts);
  const [t4] = convTranspose(b, "x", [1, 8, 5, 5], { c: 8, k: 8, kernel: [2, 2], strides: [2, 2] });
  const n4 = batchNorm(b, t4, ts);
  const [twice] = b.node("Mul", [t4, n4], [ts]);
  // A fused activation sits between the layer and the BN.
  const [t5] = convTranspose(b, "x", [1, 8, 5, 5], { c: 8, k: 8, kernel: [2, 2], strides: [2, 2] });
  b.g.nodes.at(-1)!.attrs.activation = str("Relu");
  const n5 = batchNorm(b, t5, ts);
  b.output(w1, w2, t3, n3, twice, n5);
  const r = runOnFresh(b.g, [foldBatchNorm]);
  assertEquals(r.changed, [0]);
  assertEquals(r.after, r.before);
});
