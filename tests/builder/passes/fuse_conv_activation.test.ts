import { assert, assertEquals } from "../_assert.ts";
import { hasFixture, NO_FIXTURES } from "../_fixtures.ts";
import { runPass } from "../_pass_harness.ts";
import { fuseConvActivation } from "../../../lib/builder/passes/fuse_conv_activation.ts";
import { foldBatchNorm } from "../../../lib/builder/passes/fold_batchnorm.ts";
import { fuseSiLU } from "../../../lib/builder/passes/fuse_silu.ts";
import type { Attr } from "../../../lib/builder/ir.ts";
import { float, GraphBuilder } from "../../engine/_graph.ts";
import { convTranspose, runOnFresh } from "./_fold_fuse.ts";
import { isNhwcLayer } from "../../../lib/builder/layout.ts";
import { loadOnnxFile } from "../../../lib/builder/onnx.ts";
import { optimize } from "../../../lib/builder/optimize.ts";
import { OCR_MODEL, present } from "../../examples/_helpers.ts";

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

// ---------------------------------------------------------------- ConvTranspose

Deno.test({
  name: "fuse_conv_activation: ConvTranspose head after folding -> Conv+Relu, ConvTranspose+Relu x2, +Sigmoid",
  ignore: NO_FIXTURES || !hasFixture("convtranspose_head"),
  fn: async () => {
    const r = await runPass("convtranspose_head", fuseConvActivation, [foldBatchNorm]);
    assertEquals(r.after, { Conv: 1, ConvTranspose: 3 });
    const acts = r.graph.nodes.map((n) => `${n.op}:${(n.attrs.activation as { value: string }).value}`);
    assertEquals(acts, ["Conv:Relu", "ConvTranspose:Relu", "ConvTranspose:Relu", "ConvTranspose:Sigmoid"]);
  },
});

Deno.test({
  name: "fuse_conv_activation: grouped ConvTranspose takes LeakyRelu(0.1) and Tanh",
  ignore: NO_FIXTURES || !hasFixture("convtranspose_grouped"),
  fn: async () => {
    const r = await runPass("convtranspose_grouped", fuseConvActivation, [foldBatchNorm]);
    assertEquals(r.after, { Conv: 1, ConvTranspose: 2 });
    const [ct1, ct2] = r.graph.nodes.filter((n) => n.op === "ConvTranspose");
    assertEquals(ct1.attrs.activation, { type: "string", value: "LeakyRelu" });
    assert(Math.abs((ct1.attrs.activation_alpha as { value: number }).value - 0.1) < 1e-7);
    assertEquals(ct2.attrs.activation, { type: "string", value: "Tanh" });
  },
});

Deno.test("fuse_conv_activation: ConvTranspose takes every fusable activation (fresh random data)", () => {
  const cases: [string, Record<string, Attr>][] = [
    ["Relu", {}], ["Sigmoid", {}], ["Tanh", {}], ["HardSwish", {}], ["LeakyRelu", { alpha: float(0.2) }],
    ["HardSigmoid", { alpha: float(0.3), beta: float(0.4) }], ["Clip", {}],
  ];
  for (const [op, attrs] of cases) {
    const b = new GraphBuilder();
    b.input("x", [2, 6, 4, 5]);
    const [t, ts] = convTranspose(b, "x", [2, 6, 4, 5], {
      c: 6, k: 4, kernel: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1], outputPadding: [1, 0], bias: true,
    });
    // Clip's bounds are inputs since opset 11.
    const bounds = op === "Clip" ? [b.constF32("lo", [], [-0.25]), b.constF32("hi", [], [0.5])] : [];
    const [y] = b.node(op, [t, ...bounds], [ts], attrs);
    b.output(y);
    const r = runOnFresh(b.g, [fuseConvActivation]);
    assertEquals(r.after, { ConvTranspose: 1 }, op);
    assertEquals(r.graph.nodes[0].attrs.activation, { type: "string", value: op });
  }
});

Deno.test("fuse_conv_activation: ConvTranspose takes no residual Add (the executors have none for it)", () => {
  const b = new GraphBuilder();
  b.input("x", [1, 8, 4, 4]);
  b.input("skip", [1, 8, 8, 8]);
  const [t, ts] = convTranspose(b, "x", [1, 8, 4, 4], { c: 8, k: 8, kernel: [2, 2], strides: [2, 2] });
  const [s] = b.node("Add", [t, "skip"], [ts]);
  const [y] = b.node("Relu", [s], [ts]);
  b.output(y);
  const r = runOnFresh(b.g, [fuseConvActivation]);
  assertEquals(r.after, r.before);
  assertEquals(r.graph.nodes[0].inputs.length, 2);
});

Deno.test({
  name: "optimize: PP-OCRv4 det's head becomes ConvTranspose(+bias+Relu) -> ConvTranspose(+bias+Sigmoid), NHWC",
  ignore: !present("PP-OCRv4 detection", OCR_MODEL),
  fn: async () => {
    const shape = [1, 3, 960, 960];
    const g = await loadOnnxFile(OCR_MODEL, { profiles: [{ x: { min: shape, opt: shape, max: shape } }] });
    optimize(g, { precision: "fp16", layout: "nhwc" });
    const at = g.nodes.findIndex((n) => n.op === "ConvTranspose");
    const head = g.nodes.slice(at - 1).map((n) => {
      const act = n.attrs.activation as { value: string } | undefined;
      return `${n.op}${act ? `+${act.value}` : ""}${isNhwcLayer(n) ? " NHWC" : ""}${n.inputs[2] ? " bias" : ""}`;
    });
    // (then the output's fp32 Cast and its transpose back to NCHW)
    assertEquals(head.slice(0, 3), ["Conv+Relu NHWC bias", "ConvTranspose+Relu NHWC bias", "ConvTranspose+Sigmoid NHWC bias"]);
    assertEquals(head.slice(3).sort(), ["Cast", "Transpose"]);
    assert(!g.nodes.some((n) => n.op === "BatchNormalization"));
  },
});
