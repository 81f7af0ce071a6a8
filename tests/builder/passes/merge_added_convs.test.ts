import { assert, assertEquals } from "../_assert.ts";
import { FIXTURES, relL2 } from "../_fixtures.ts";
import { mergeAddedConvs } from "../../../lib/builder/passes/merge_added_convs.ts";
import { foldBatchNorm } from "../../../lib/builder/passes/fold_batchnorm.ts";
import { cloneGraph, type Dim, type Graph, type Node, opCounts } from "../../../lib/builder/ir.ts";
import { optimize } from "../../../lib/builder/optimize.ts";
import { referenceEval } from "../../../lib/builder/reference_eval.ts";
import { inferShapes } from "../../../lib/builder/shape_inference.ts";
import { loadOnnxFile } from "../../../lib/builder/onnx.ts";
import { decodeData, encodeData, floatToHalf, halfToFloat } from "../../../lib/builder/tensor_data.ts";
import { exists } from "../../examples/_helpers.ts";
import { GraphBuilder, int, ints, str } from "../../engine/_graph.ts";
import { batchNorm, freshFeeds, randn, runOnFresh } from "./_fold_fuse.ts";

interface ConvSpec {
  k: number;
  kernel?: number;
  stride?: number;
  group?: number;
  bias?: boolean;
}

/** A Conv on `x` (NCHW shape `xs`) with random weights and the attrs ONNX import leaves; returns output and shape. */
function conv(b: GraphBuilder, x: string, xs: Dim[], s: ConvSpec): [string, Dim[]] {
  const c = xs[1] as number, kernel = s.kernel ?? 1, stride = s.stride ?? 1, group = s.group ?? 1;
  const pad = (kernel - 1) / 2;
  const spatial = (d: Dim) => (typeof d === "number" ? Math.floor((d + 2 * pad - kernel) / stride) + 1 : d);
  const out = [xs[0], s.k, ...xs.slice(2).map(spatial)];
  const wShape = [s.k, c / group, kernel, kernel];
  const tag = `${b.g.nodes.length}`;
  const n = wShape.reduce((a, v) => a * v, 1);
  const inputs = [x, b.constF32(`w${tag}`, wShape, randn(n, 1 / Math.sqrt(n / s.k)))];
  if (s.bias) inputs.push(b.constF32(`b${tag}`, [s.k], randn(s.k, 0.3)));
  const [y] = b.node("Conv", inputs, [out], {
    kernel_shape: ints([kernel, kernel]),
    strides: ints([stride, stride]),
    pads: ints([pad, pad, pad, pad]),
    dilations: ints([1, 1]),
    group: int(group),
  });
  return [y, out];
}

/** x [2, 8, 5, 5] -> a = Relu(Conv3x3(x, 8->6)); y = Relu(Conv1x1(a, 6->12) + Conv1x1(x, 8->12)). */
function bottleneck(biasA = true, biasB = true, bn = false): GraphBuilder {
  const b = new GraphBuilder();
  b.input("x", [2, 8, 5, 5]);
  const [c0, s0] = conv(b, "x", [2, 8, 5, 5], { k: 6, kernel: 3, bias: true });
  const [a] = b.node("Relu", [c0], [s0]);
  let [ya, ys] = conv(b, a, s0, { k: 12, bias: biasA });
  if (bn) ya = batchNorm(b, ya, ys as number[]);
  let [yb] = conv(b, "x", [2, 8, 5, 5], { k: 12, bias: biasB });
  if (bn) yb = batchNorm(b, yb, ys as number[]);
  const [sum] = b.node("Add", [ya, yb], [ys]);
  b.output(b.node("Relu", [sum], [ys])[0]);
  return b;
}

/** The Concat nodes of g, each with the node right after it. */
function concats(g: Graph): [Node, Node][] {
  return g.nodes.flatMap((n, i) => (n.op === "Concat" ? [[n, g.nodes[i + 1]] as [Node, Node]] : []));
}

/** The merged Concat + Conv pair of g (exactly one), checked for order and form. */
function mergedPair(g: Graph, inputs: string[]): Node {
  const pairs = concats(g);
  assertEquals(pairs.length, 1);
  const [cat, conv] = pairs[0];
  assertEquals(cat.inputs, inputs);
  assertEquals(cat.attrs, { axis: { type: "int", value: 1 } });
  assertEquals(conv.op, "Conv", "the Concat is immediately followed by the merged Conv");
  assertEquals(conv.inputs[0], cat.outputs[0]);
  assertEquals(conv.attrs.kernel_shape, ints([1, 1]));
  assertEquals(conv.attrs.strides, ints([1, 1]));
  assertEquals(conv.attrs.pads, ints([0, 0, 0, 0]));
  assertEquals(conv.attrs.group, int(1));
  return conv;
}

Deno.test("merge_added_convs: bottleneck's Conv1x1 + shortcut Conv1x1 -> Concat + 1x1 Conv [12, 6+8]; Relu kept", () => {
  const b = bottleneck();
  const r = runOnFresh(b.g, [mergeAddedConvs]);
  assertEquals(r.changed, [1]);
  assertEquals(r.before, { Conv: 3, Relu: 2, Add: 1 });
  assertEquals(r.after, { Conv: 2, Relu: 2, Concat: 1 });
  const c = mergedPair(r.graph, ["relu_1_0", "x"]);
  assertEquals(r.graph.tensors.get(c.inputs[1])!.shape, [12, 14, 1, 1]);
  assertEquals(r.graph.tensors.get(c.inputs[2])!.shape, [12]);
  assertEquals(c.outputs, ["add_4_0"], "the merged Conv writes the Add's output");
  assertEquals(r.graph.tensors.get(r.graph.nodes[2].outputs[0])!.shape, [2, 14, 5, 5]);
  // The old convs' weights, biases and outputs are gone.
  for (const t of ["w2", "b2", "w3", "b3", "conv_2_0", "conv_3_0"]) assert(!r.graph.tensors.has(t), t);
});

Deno.test("merge_added_convs: optimize() merges, then fuses the Relu into the merged conv; outputs unchanged", () => {
  const b = bottleneck();
  inferShapes(b.g);
  const g = cloneGraph(b.g);
  const rep = optimize(g);
  const names = rep.passes.map((p) => p.pass);
  assertEquals(names.indexOf("merge_added_convs"), names.indexOf("fold_batchnorm") + 1);
  assertEquals(rep.passes.find((p) => p.pass === "merge_added_convs")!.changed, 1);
  assertEquals(opCounts(g), { Conv: 2, Concat: 1 });
  const c = mergedPair(g, [g.nodes[0].outputs[0], "x"]);
  assertEquals(c.attrs.activation, str("Relu"));
  assertEquals(c.inputs.length, 3, "bias, no residual");
  for (let i = 0; i < 2; i++) {
    const feeds = freshFeeds(b.g);
    const want = referenceEval(b.g, feeds), got = referenceEval(g, feeds);
    const e = relL2(got[b.g.outputs[0]].data, want[b.g.outputs[0]].data);
    assert(e <= 1e-6, `relative L2 ${e}`);
  }
  // Skipped, the Add becomes the second conv's residual instead.
  const skipped = cloneGraph(b.g);
  optimize(skipped, { skip: ["merge_added_convs"] });
  assertEquals(opCounts(skipped), { Conv: 3 });
});

Deno.test("merge_added_convs: after fold_batchnorm (ResNet's Conv + BN on both sides) the folded convs merge", () => {
  const b = bottleneck(false, false, true);
  const r = runOnFresh(b.g, [foldBatchNorm, mergeAddedConvs]);
  assertEquals(r.changed, [2, 1]);
  assertEquals(r.after, { Conv: 2, Relu: 2, Concat: 1 });
  const c = mergedPair(r.graph, ["relu_1_0", "x"]);
  assertEquals(r.graph.tensors.get(c.inputs[1])!.shape, [12, 14, 1, 1]);
  // Without folding first, the BNs sit between the convs and the Add: nothing to merge.
  assertEquals(runOnFresh(b.g, [mergeAddedConvs]).changed, [0]);
});

Deno.test("merge_added_convs: a bias on one side only is the merged bias; no bias on either side gives none", () => {
  for (const [ba, bb] of [[true, false], [false, true]]) {
    const r = runOnFresh(bottleneck(ba, bb).g, [mergeAddedConvs]);
    assertEquals(r.changed, [1]);
    const c = mergedPair(r.graph, ["relu_1_0", "x"]);
    assertEquals(c.inputs[2], ba ? "b2" : "b3", "the existing bias is kept as it is");
  }
  const r = runOnFresh(bottleneck(false, false).g, [mergeAddedConvs]);
  assertEquals(r.changed, [1]);
  assertEquals(mergedPair(r.graph, ["relu_1_0", "x"]).inputs.length, 2);
});

Deno.test("merge_added_convs: the merged weight is W_a's row then W_b's; the bias is b_a + b_b", () => {
  const b = bottleneck();
  inferShapes(b.g);
  const g = cloneGraph(b.g);
  mergeAddedConvs(g);
  const c = mergedPair(g, ["relu_1_0", "x"]);
  const val = (gr: Graph, t: string) => Array.from(decodeData(gr.tensors.get(t)!.data!, "float32"));
  const wa = val(b.g, "w2"), wb = val(b.g, "w3"), w = val(g, c.inputs[1]);
  for (let k = 0; k < 12; k++) {
    assertEquals(w.slice(k * 14, (k + 1) * 14), [...wa.slice(k * 6, (k + 1) * 6), ...wb.slice(k * 8, (k + 1) * 8)]);
  }
  const ba = val(b.g, "b2"), bb = val(b.g, "b3");
  assertEquals(val(g, c.inputs[2]), ba.map((v, i) => Math.fround(v + bb[i])));
});

Deno.test("merge_added_convs: float16 weights and biases merge in float16, the biases summed before rounding", () => {
  const b = bottleneck();
  inferShapes(b.g);
  for (const t of ["w2", "w3", "b2", "b3"]) {
    const ten = b.g.tensors.get(t)!;
    ten.data = encodeData(decodeData(ten.data!, "float32"), "float16");
    ten.dtype = "float16";
  }
  const g = cloneGraph(b.g);
  assertEquals(mergeAddedConvs(g), 1);
  const c = mergedPair(g, ["relu_1_0", "x"]);
  const w = g.tensors.get(c.inputs[1])!, bias = g.tensors.get(c.inputs[2])!;
  assertEquals([w.dtype, bias.dtype], ["float16", "float16"]);
  const half = (t: string) => Array.from(decodeData(b.g.tensors.get(t)!.data!, "float16"));
  const sum = half("b2").map((v, i) => halfToFloat(floatToHalf(v + half("b3")[i])));
  assertEquals(Array.from(decodeData(bias.data!, "float16")), sum);
});

Deno.test("merge_added_convs: symbolic batch dims merge when the same name, stay when they differ", () => {
  for (const [na, nb, merged] of [["N", "N", 1], ["N", "M", 0]] as const) {
    const b = new GraphBuilder();
    b.input("xa", [na, 4, 3, 3]);
    b.input("xb", [nb, 6, 3, 3]);
    const [ya, ys] = conv(b, "xa", [na, 4, 3, 3], { k: 5, bias: true });
    const [yb] = conv(b, "xb", [nb, 6, 3, 3], { k: 5 });
    b.output(b.node("Add", [ya, yb], [ys])[0]);
    inferShapes(b.g);
    assertEquals(mergeAddedConvs(b.g), merged, `${na} ${nb}`);
    if (merged) {
      inferShapes(b.g);
      mergedPair(b.g, ["xa", "xb"]);
      assertEquals(b.g.tensors.get(b.g.nodes[0].outputs[0])!.shape, ["N", 10, 3, 3]);
    }
  }
});

const X = [2, 6, 5, 5], Y = [2, 4, 5, 5];

/** Add(x, y) -> [2, 8, 5, 5], a graph output (y may have 1 channel: then the Add broadcasts it). */
function add(b: GraphBuilder, x: string, y: string): void {
  const ys = b.g.tensors.get(y)!.shape;
  b.output(b.node("Add", [x, y], [ys[1] === 1 ? [2, 8, 5, 5] : ys])[0]);
}

Deno.test("merge_added_convs: non-pointwise, strided, shared, broadcast, same-input, fused, grouped convs stay", () => {
  const cases: [string, (b: GraphBuilder) => void][] = [
    ["3x3 conv on one side", (b) => add(b, conv(b, "x", X, { k: 8, kernel: 3 })[0], conv(b, "y", Y, { k: 8 })[0])],
    ["stride 2 on one side", (b) => {
      const [c0] = conv(b, "x", X, { k: 6, stride: 2 });
      const [c1] = conv(b, "z", [2, 6, 3, 3], { k: 6 });
      b.output(b.node("Add", [c0, c1], [[2, 6, 3, 3]])[0]);
    }],
    ["a conv output with a second reader", (b) => {
      const [c0] = conv(b, "x", X, { k: 8, bias: true });
      add(b, c0, conv(b, "y", Y, { k: 8 })[0]);
      b.output(b.node("Relu", [c0], [[2, 8, 5, 5]])[0]);
    }],
    ["a conv output that is a graph output", (b) => {
      const [c0] = conv(b, "x", X, { k: 8 });
      add(b, c0, conv(b, "y", Y, { k: 8 })[0]);
      b.g.outputs.push(c0);
    }],
    ["an Add of a [1, K, 1, 1] constant (broadcast)", (b) => {
      const [c0] = conv(b, "x", X, { k: 8 });
      b.output(b.node("Add", [c0, b.constF32("k", [1, 8, 1, 1], randn(8))], [[2, 8, 5, 5]])[0]);
    }],
    ["both convs reading the same input", (b) => add(b, conv(b, "x", X, { k: 8 })[0], conv(b, "x", X, { k: 8 })[0])],
    ["different spatial sizes (the Add broadcasts H)", (b) => {
      const [c0] = conv(b, "x", X, { k: 8 });
      const [c1] = conv(b, "h1", [2, 4, 1, 5], { k: 8 });
      b.output(b.node("Add", [c0, c1], [[2, 8, 5, 5]])[0]);
    }],
    ["a conv already carrying an activation", (b) => {
      const [c0] = conv(b, "x", X, { k: 8 });
      b.g.nodes.at(-1)!.attrs.activation = str("Relu");
      b.g.nodes.at(-1)!.attrs.activation_alpha = { type: "float", value: 0 };
      b.g.nodes.at(-1)!.attrs.activation_beta = { type: "float", value: 0 };
      add(b, c0, conv(b, "y", Y, { k: 8 })[0]);
    }],
    ["group 2", (b) => add(b, conv(b, "x", X, { k: 8, group: 2 })[0], conv(b, "y", Y, { k: 8 })[0])],
    ["different K (the Add broadcasts a 1-channel side)", (b) => {
      add(b, conv(b, "x", X, { k: 8 })[0], conv(b, "y", Y, { k: 1 })[0]);
    }],
    ["the same conv output twice", (b) => {
      const [c0] = conv(b, "x", X, { k: 8 });
      b.output(b.node("Add", [c0, c0], [[2, 8, 5, 5]])[0]);
    }],
  ];
  for (const [what, make] of cases) {
    const b = new GraphBuilder();
    b.input("x", X);
    b.input("y", Y);
    b.input("z", [2, 6, 3, 3]);
    b.input("h1", [2, 4, 1, 5]);
    make(b);
    const r = runOnFresh(b.g, [mergeAddedConvs]);
    assertEquals(r.changed, [0], what);
    assertEquals(r.after, r.before, what);
    assertEquals(r.graph.nodes.map((n) => n.name), b.g.nodes.map((n) => n.name), what);
  }
});

// torchvision's ResNet-50 has four downsample blocks (layer1..layer4, the first block of each) whose shortcut is a
// Conv1x1 added to the block's last Conv1x1. Only layer1's shortcut conv has stride 1; layers 2-4 downsample with a
// stride-2 1x1 conv (which is not a plain pointwise conv over the sum's pixels), so exactly one block merges.
const RESNET50 = `${FIXTURES}resnet50.onnx`;

Deno.test({
  name: "merge_added_convs: ResNet-50 fp16 NHWC merges layer1's downsample block only (layers 2-4 have stride 2)",
  ignore: !exists(RESNET50),
  fn: async () => {
    const shape = [1, 3, 224, 224];
    const g = await loadOnnxFile(RESNET50, { profiles: [{ x: { min: shape, opt: shape, max: shape } }] });
    const skipped = cloneGraph(g);
    const rep = optimize(g, { precision: "fp16", layout: "nhwc" });
    optimize(skipped, { precision: "fp16", layout: "nhwc", skip: ["merge_added_convs"] });
    assertEquals(rep.passes.find((p) => p.pass === "merge_added_convs")!.changed, 1);
    assertEquals((opCounts(g).Concat ?? 0) - (opCounts(skipped).Concat ?? 0), 1, "one Concat added by the pass");
    assertEquals(opCounts(g).Conv, opCounts(skipped).Conv - 1);
    const pairs = concats(g).filter(([cat, next]) => next.op === "Conv" && next.inputs[0] === cat.outputs[0]);
    assertEquals(pairs.length, 1, "the Concat is immediately followed by the Conv that reads it");
    assertEquals(concats(g).length, 1, "and it is ResNet-50's only Concat");
    const [cat, c] = pairs[0];
    assertEquals(c.attrs.kernel_shape, ints([1, 1]));
    assertEquals(c.attrs.strides, ints([1, 1]));
    assertEquals(g.tensors.get(c.inputs[1])!.shape, [256, 128, 1, 1], "64 + 64 input channels into 256");
    assertEquals(c.attrs.activation, str("Relu"));
    assertEquals(cat.inputs.length, 2);
  },
});
