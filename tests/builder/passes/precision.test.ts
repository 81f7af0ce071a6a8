// The precision pass (lib/builder/passes/precision.ts): graphs before and after, dtypes, the Casts at the I/O,
// what stays float32, and the outputs against onnxruntime (fixtures) or a float64 evaluation of the fp32 graph.
import { assert, assertEquals } from "../_assert.ts";
import { assertClose, hasFixture, loadFixture, NO_FIXTURES, relL2 } from "../_fixtures.ts";
import { optimize } from "../../../lib/builder/optimize.ts";
import { applyPrecision, FP16_OPS } from "../../../lib/builder/passes/precision.ts";
import { cloneGraph, type Graph, type Node, opCounts, topoSort } from "../../../lib/builder/ir.ts";
import { referenceEval, type Value } from "../../../lib/builder/reference_eval.ts";
import { inferShapes } from "../../../lib/builder/shape_inference.ts";
import { float, GraphBuilder, int, ints, str } from "../../engine/_graph.ts";

const producerOf = (g: Graph, t: string): Node | undefined => g.nodes.find((n) => n.outputs.includes(t));
const consumersOf = (g: Graph, t: string): Node[] => g.nodes.filter((n) => n.inputs.includes(t));
const dtype = (g: Graph, t: string) => g.tensors.get(t)!.dtype;

function randn(n: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * (Math.random() * 2 - 1 + 0.05);
  return out;
}

/** Structural checks every fp16 graph must pass. */
function assertFp16Graph(g: Graph, fp32: Graph): void {
  assertEquals(topoSort(g).map((n) => n.name), g.nodes.map((n) => n.name), "nodes stay topologically sorted");
  // Graph I/O keeps its dtypes; each float32 input feeding float16 layers is cast once, first thing.
  for (const name of [...g.inputs, ...g.outputs]) assertEquals(dtype(g, name), dtype(fp32, name), `${name} dtype`);
  for (const name of g.inputs) {
    const casts = consumersOf(g, name).filter((n) => n.op === "Cast" && dtype(g, n.outputs[0]) === "float16");
    assert(casts.length <= 1, `${name} is cast to float16 ${casts.length} times`);
  }
  for (const name of g.outputs) {
    const p = producerOf(g, name);
    if (p && FP16_OPS.has(p.op)) {
      throw new Error(`output ${name} is written by a float16 layer ${p.name} without a Cast`);
    }
  }
  for (const n of g.nodes) {
    if (n.op === "Cast") continue;
    const outs = n.outputs.filter(Boolean).map((o) => dtype(g, o));
    // Layers that are not in FP16_OPS compute exactly what they did.
    if (!FP16_OPS.has(n.op)) {
      const before = fp32.nodes.find((m) => m.name === n.name);
      if (before) assertEquals(outs, before.outputs.filter(Boolean).map((o) => dtype(fp32, o)), `${n.name} (${n.op})`);
    }
  }
  // Host shape tensors and integer tensors are untouched.
  for (const [name, t] of fp32.tensors) {
    const after = g.tensors.get(name);
    if (!after) continue;
    if (t.placement === "host" || !(t.dtype === "float32")) {
      assertEquals([after.dtype, after.placement], [t.dtype, t.placement], `${name} (host or non-float)`);
    }
  }
}

function feedsOf(g: Graph, values: Record<string, Float64Array>): Record<string, Value> {
  return Object.fromEntries(
    g.inputs.map((n) => [n, { dtype: dtype(g, n), shape: g.tensors.get(n)!.shape as number[], data: values[n] }]),
  );
}

for (
  const name of ["conv_bn_relu", "residual_block", "silu_chain", "dynamic_batch", "shape_reshape", "gemm", "concat"]
) {
  Deno.test({
    name: `precision fp16: ${name} converts, casts once at the I/O, and stays within 5e-3 of onnxruntime`,
    ignore: NO_FIXTURES || !hasFixture(name),
    fn: async () => {
      const f = await loadFixture(name);
      const fp32 = cloneGraph(f.graph);
      optimize(fp32);
      const rep = optimize(f.graph, { precision: "fp16" });
      const g = f.graph;
      const pass = rep.passes.find((p) => p.pass === "precision")!;
      assert(pass.changed > 0, `no layer converted in ${name}`);
      assertFp16Graph(g, fp32);
      // Every compute layer the executor runs in fp16 did convert, its float weights with it.
      for (const n of g.nodes.filter((n) => ["Conv", "Gemm", "MatMul"].includes(n.op))) {
        assertEquals(dtype(g, n.outputs[0]), "float16", `${n.name} output`);
        for (const i of n.inputs.filter(Boolean)) assertEquals(dtype(g, i), "float16", `${n.name} input ${i}`);
        assert(n.inputs.slice(1, 3).every((i) => !i || g.tensors.get(i)!.data), `${n.name}: weights stay constants`);
      }
      const casts = opCounts(g).Cast ?? 0;
      assertEquals(casts - (opCounts(fp32).Cast ?? 0), g.nodes.length - fp32.nodes.length, "only Casts were added");
      assertClose(referenceEval(g, f.feeds), f.expected, 5e-3, `${name} fp16`);
    },
  });
}

Deno.test({
  name: "precision fp16: Softmax and the shape subgraph stay float32 (dynamic_batch)",
  ignore: NO_FIXTURES || !hasFixture("dynamic_batch"),
  fn: async () => {
    const f = await loadFixture("dynamic_batch");
    optimize(f.graph, { precision: "fp16" });
    const g = f.graph;
    const softmax = g.nodes.find((n) => n.op === "Softmax")!;
    assertEquals(dtype(g, softmax.inputs[0]), "float32");
    const cast = producerOf(g, softmax.inputs[0])!;
    assertEquals(
      [cast.op, dtype(g, cast.inputs[0])],
      ["Cast", "float16"],
      "a Cast feeds Softmax from the float16 Gemm",
    );
    const reshape = g.nodes.find((n) => n.op === "Reshape")!;
    assertEquals([dtype(g, reshape.inputs[1]), g.tensors.get(reshape.inputs[1])!.placement], ["int64", "host"]);
    assertEquals(dtype(g, reshape.inputs[0]), "float16", "Reshape's data is float16");
    const shape = g.nodes.find((n) => n.op === "Shape")!;
    assertEquals(dtype(g, shape.inputs[0]), "float16", "Shape reads a float16 tensor without a Cast");
  },
});

Deno.test({
  name: "precision fp16: float16 halves the arena's activations, memory is planned after the pass (conv_chain)",
  ignore: NO_FIXTURES || !hasFixture("conv_chain"),
  fn: async () => {
    const a = await loadFixture("conv_chain"), b = await loadFixture("conv_chain");
    const r32 = optimize(a.graph), r16 = optimize(b.graph, { precision: "fp16" });
    // Every arena tensor halves; the float16 copies of the input and of the output (graph I/O is never in the
    // arena) join it.
    const elems = (t: string) => (a.graph.tensors.get(t)!.shape as number[]).reduce((x, y) => x * y, 1);
    const io = 2 * (elems(a.graph.inputs[0]) + elems(a.graph.outputs[0]));
    assertEquals(r16.memory.activationBytes, r32.memory.activationBytes / 2 + io, "activation bytes");
    assert(r16.memory.arenaBytes < r32.memory.arenaBytes, `${r16.memory.arenaBytes} vs ${r32.memory.arenaBytes}`);
  },
});

/**
 * x -> Conv(W, B) -> c; e = Exp(c) (float32); a = Add(c, K); p = Pow(e, K) (float32, K shared); y = Mul(a, p)
 * outputs y (written by a float16 Mul) and e (float32).
 */
function handmade(): GraphBuilder {
  const b = new GraphBuilder();
  b.input("x", [2, 3, 6, 6]);
  const w = b.constF32("W", [4, 3, 3, 3], randn(108, 0.3));
  const bias = b.constF32("B", [4], randn(4, 0.1));
  const k = b.constF32("K", [1], [0.75]);
  const [c] = b.node("Conv", ["x", w, bias], [[2, 4, 4, 4]], {
    kernel_shape: ints([3, 3]),
    strides: ints([1, 1]),
    dilations: ints([1, 1]),
    pads: ints([0, 0, 0, 0]),
    group: int(1),
  });
  const [e] = b.node("Exp", [c], [[2, 4, 4, 4]]);
  const [a] = b.node("Add", [c, k], [[2, 4, 4, 4]]);
  const [p] = b.node("Pow", [e, k], [[2, 4, 4, 4]]);
  const [y] = b.node("Mul", [a, p], [[2, 4, 4, 4]]);
  const [l] = b.node("LeakyRelu", [y], [[2, 4, 4, 4]], { alpha: float(0.1) });
  b.output(l, e);
  inferShapes(b.g);
  return b;
}

Deno.test("precision fp16: mixed float16/float32 layers get one Cast per tensor and direction, constants copied", () => {
  const fp32 = handmade().g;
  const g = cloneGraph(fp32);
  const converted = applyPrecision(g, "fp16");
  inferShapes(g);
  assertEquals(converted, 4, "Conv, Add, Mul, LeakyRelu");
  assertFp16Graph(g, fp32);
  const [leaky] = fp32.outputs;
  // x -> Cast first; Conv float16 with float16 W and B.
  assertEquals([g.nodes[0].op, g.nodes[0].inputs[0], dtype(g, g.nodes[0].outputs[0])], ["Cast", "x", "float16"]);
  const conv = g.nodes.find((n) => n.op === "Conv")!;
  assertEquals(conv.inputs.map((i) => dtype(g, i)), ["float16", "float16", "float16"]);
  assert(!g.tensors.has("W") && !g.tensors.has("B"), "float32 weights no one reads are dropped");
  // Exp stays float32, fed by one Cast of the conv output placed right after the conv.
  const exp = g.nodes.find((n) => n.op === "Exp")!;
  const expIn = producerOf(g, exp.inputs[0])!;
  assertEquals([expIn.op, expIn.inputs[0]], ["Cast", conv.outputs[0]]);
  assertEquals(g.nodes.indexOf(expIn), g.nodes.indexOf(conv) + 1, "the Cast follows its source");
  assertEquals(dtype(g, exp.outputs[0]), "float32");
  // K is shared: Add reads a float16 copy, Pow keeps the float32 original.
  const add = g.nodes.find((n) => n.op === "Add")!, pow = g.nodes.find((n) => n.op === "Pow")!;
  assertEquals([dtype(g, add.inputs[1]), pow.inputs[1], dtype(g, "K")], ["float16", "K", "float32"]);
  // Pow's float32 output enters the float16 Mul through a Cast; the float16 LeakyRelu writes a twin of the output.
  const mul = g.nodes.find((n) => n.op === "Mul")!;
  assertEquals(producerOf(g, mul.inputs[1])!.op, "Cast");
  const last = producerOf(g, leaky)!;
  assertEquals([last.op, dtype(g, last.inputs[0]), producerOf(g, last.inputs[0])!.op], [
    "Cast",
    "float16",
    "LeakyRelu",
  ]);
  assertEquals(opCounts(g).Cast, 4, "x in, conv out to Exp, Pow out to Mul, the output");
  // Numerics: the float16 graph against the float64 evaluation of the fp32 graph.
  const feeds = feedsOf(fp32, { x: randn(2 * 3 * 6 * 6) });
  const want = referenceEval(fp32, feeds), got = referenceEval(g, feeds);
  for (const o of fp32.outputs) {
    const err = relL2(got[o].data, want[o].data);
    assert(err > 0 && err < 5e-3, `${o}: relative L2 ${err} (float16 must change something, and little)`);
  }
});

Deno.test("precision tf32: marks Conv/MatMul/Gemm only, changes no dtype; fp32 changes nothing", () => {
  const base = handmade();
  const [m] = base.node("MatMul", [base.g.outputs[0], base.constF32("M", [4, 5], randn(20))], [[2, 4, 4, 5]]);
  base.g.outputs.push(m);
  inferShapes(base.g);
  const before = JSON.stringify(base.g.nodes) +
    JSON.stringify([...base.g.tensors.values()].map((t) => [t.name, t.dtype]));
  const fp32 = cloneGraph(base.g);
  assertEquals(applyPrecision(fp32, "fp32"), 0);
  assertEquals(
    JSON.stringify(fp32.nodes) + JSON.stringify([...fp32.tensors.values()].map((t) => [t.name, t.dtype])),
    before,
  );
  const g = cloneGraph(base.g);
  assertEquals(applyPrecision(g, "tf32"), 2);
  for (const n of g.nodes) {
    const want = n.op === "Conv" || n.op === "MatMul" ? str("tf32") : undefined;
    assertEquals(n.attrs.precision, want, `${n.name} (${n.op})`);
  }
  assert([...g.tensors.values()].every((t) => t.dtype === "float32"), "tf32 keeps every tensor float32");
});

Deno.test({
  name: "precision fp16: integer-only and reduction models are left alone",
  ignore: NO_FIXTURES || !hasFixture("equal") || !hasFixture("reducesum_all"),
  fn: async () => {
    for (const name of ["equal", "cast_int", "reducesum_all", "softmax_op13", "range", "constantofshape"]) {
      const f = await loadFixture(name);
      const fp32 = cloneGraph(f.graph);
      optimize(fp32);
      const rep = optimize(f.graph, { precision: "fp16" });
      assertEquals(rep.passes.find((p) => p.pass === "precision")!.changed, 0, name);
      assertEquals(opCounts(f.graph), opCounts(fp32), name);
      assertClose(referenceEval(f.graph, f.feeds), f.expected, 1e-5, name);
    }
  },
});
