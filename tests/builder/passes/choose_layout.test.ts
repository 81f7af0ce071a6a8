import { assert, assertEquals } from "../_assert.ts";
import { assertClose, hasFixture, loadFixture, NO_FIXTURES } from "../_fixtures.ts";
import { runPass } from "../_pass_harness.ts";
import { chooseLayout } from "../../../lib/builder/passes/choose_layout.ts";
import { foldBatchNorm } from "../../../lib/builder/passes/fold_batchnorm.ts";
import { fuseSiLU } from "../../../lib/builder/passes/fuse_silu.ts";
import { fuseConvActivation } from "../../../lib/builder/passes/fuse_conv_activation.ts";
import { isNhwcLayer } from "../../../lib/builder/layout.ts";
import { optimize } from "../../../lib/builder/optimize.ts";
import { referenceEval } from "../../../lib/builder/reference_eval.ts";
import type { Graph } from "../../../lib/builder/ir.ts";
import { GraphBuilder, ints } from "../../engine/_graph.ts";

const nhwc = (g: Graph) => chooseLayout(g, "nhwc");
const fused = [foldBatchNorm, fuseSiLU, fuseConvActivation];

Deno.test({
  name: "choose_layout: a mixed CNN runs NHWC between one transpose in and one out, outputs unchanged",
  ignore: NO_FIXTURES || !hasFixture("layout_mix"),
  fn: async () => {
    const r = await runPass("layout_mix", nhwc, fused);
    assertEquals(r.before.Transpose ?? 0, 0);
    // x -> NHWC once; the conv output `y` is both a graph output and Flatten's input: one transpose back serves both.
    assertEquals(r.after.Transpose, 2);
    for (const n of r.graph.nodes) {
      if (["Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Resize"].includes(n.op)) {
        assert(isNhwcLayer(n), `${n.name} (${n.op}) should run NHWC`);
      }
      if (["Gemm", "Flatten", "Reshape", "MatMul"].includes(n.op)) assert(!isNhwcLayer(n), `${n.name} stays NCHW`);
    }
    const concat = r.graph.nodes.find((n) => n.op === "Concat")!;
    assertEquals(concat.attrs.axis, { type: "int", value: 3 }, "the channel axis is last in NHWC");
    // The per-channel scale [1,8,1,1] is stored for NHWC broadcasting.
    const mul = r.graph.nodes.find((n) => n.op === "Mul" && n.inputs.some((i) => r.graph.tensors.get(i)?.data))!;
    const scale = mul.inputs.map((i) => r.graph.tensors.get(i)!).find((t) => t.data)!;
    assertEquals(scale.shape, [1, 1, 1, 8]);
    // Graph I/O keeps NCHW.
    assertEquals(r.graph.tensors.get("x")!.shape, [2, 3, 16, 16]);
    assertEquals(r.graph.tensors.get("y")!.shape, [2, 6, 8, 8]);
  },
});

Deno.test({
  name: "choose_layout: 'nchw' leaves the graph as it is",
  ignore: NO_FIXTURES || !hasFixture("layout_mix"),
  fn: async () => {
    const f = await loadFixture("layout_mix");
    const nodes = f.graph.nodes.length;
    assertEquals(chooseLayout(f.graph, "nchw"), 0);
    assertEquals(f.graph.nodes.length, nodes);
  },
});

Deno.test({
  name: "choose_layout: a model without convolutions gets no transposes",
  ignore: NO_FIXTURES || !hasFixture("avgpool"),
  fn: async () => {
    const r = await runPass("avgpool", nhwc);
    assertEquals(r.after, r.before);
  },
});

Deno.test({
  name: "choose_layout: dynamic batch and spatial dims through the whole optimizer, fp32, outputs unchanged",
  ignore: NO_FIXTURES || !hasFixture("layout_dynamic"),
  fn: async () => {
    const f = await loadFixture("layout_dynamic");
    const report = optimize(f.graph, { layout: "nhwc" });
    assert(report.passes.find((p) => p.pass === "choose_layout")!.changed >= 8);
    // Symbolic dims move with the layout: the input's NHWC copy is [N, H, W, 3].
    const t = f.graph.nodes.find((n) => n.op === "Transpose" && n.inputs[0] === "x")!;
    assertEquals(f.graph.tensors.get(t.outputs[0])!.shape, ["N", "H", "W", 3]);
    assertClose(referenceEval(f.graph, f.feeds), f.expected, 1e-5, "layout_dynamic nhwc");
  },
});

Deno.test({
  name: "choose_layout: residual block keeps its fused residual input NHWC",
  ignore: NO_FIXTURES || !hasFixture("residual_block"),
  fn: async () => {
    const r = await runPass("residual_block", nhwc, fused);
    const convs = r.graph.nodes.filter((n) => n.op === "Conv");
    assert(convs.every(isNhwcLayer));
    // The residual is the graph input x: its one NHWC copy feeds both the first conv and the residual.
    assertEquals(r.after.Transpose, 2);
  },
});

Deno.test({
  name: "choose_layout: a ConvTranspose head (conv -> fused ConvTransposes) runs NHWC between two transposes",
  ignore: NO_FIXTURES || !hasFixture("convtranspose_head"),
  fn: async () => {
    const r = await runPass("convtranspose_head", nhwc, fused);
    assertEquals(r.after.Transpose, 2);
    const layers = r.graph.nodes.filter((n) => n.op === "Conv" || n.op === "ConvTranspose");
    assertEquals(layers.length, 4);
    assert(layers.every(isNhwcLayer), JSON.stringify(layers.map((n) => n.attrs)));
    // The filters keep their ONNX layout ([C, K / group, kh, kw]): only activations are laid out.
    const ct = layers.find((n) => n.op === "ConvTranspose")!;
    assertEquals(r.graph.tensors.get(ct.inputs[1])!.shape, [16, 16, 2, 2]);
  },
});

Deno.test({
  name: "choose_layout: a lone ConvTranspose starts a region too (its channels-last kernel is the fast one)",
  ignore: NO_FIXTURES || !hasFixture("convtranspose"),
  fn: async () => {
    const r = await runPass("convtranspose", nhwc);
    assertEquals(r.after, { ConvTranspose: 1, Transpose: 2 });
    assert(isNhwcLayer(r.graph.nodes.find((n) => n.op === "ConvTranspose")!));
  },
});

Deno.test("choose_layout: 1-D ConvTranspose and one with a computed filter stay NCHW", () => {
  const b = new GraphBuilder();
  b.input("x1", [1, 4, 9]);
  const [t1] = b.node("ConvTranspose", ["x1", b.constF32("w1", [4, 2, 3], new Array(24).fill(0.5))], [[1, 2, 11]], {
    kernel_shape: ints([3]),
  });
  b.input("x2", [1, 4, 5, 5]);
  b.input("w2", [4, 2, 2, 2]);
  const [t2] = b.node("ConvTranspose", ["x2", "w2"], [[1, 2, 6, 6]], { kernel_shape: ints([2, 2]) });
  b.output(t1, t2);
  assertEquals(chooseLayout(b.g, "nhwc"), 0);
  assert(!b.g.nodes.some(isNhwcLayer));
});
