// The fuse_elementwise pass (lib/builder/passes/fuse_elementwise.ts): each test builds a small graph, shows its op
// counts before and after, and checks that the float64 evaluation of the fused graph equals that of the unfused one
// on fresh random inputs (the fused program is evaluated by lib/builder/fused_program.ts).
import { assert, assertEquals } from "../_assert.ts";
import { assertThrows } from "../../_assert.ts";
import { cloneGraph, type Graph, type Node, opCounts, topoSort } from "../../../lib/builder/ir.ts";
import { referenceEval, type Value } from "../../../lib/builder/reference_eval.ts";
import { inferShapes } from "../../../lib/builder/shape_inference.ts";
import { optimize } from "../../../lib/builder/optimize.ts";
import { UnsupportedOpError } from "../../../lib/builder/errors.ts";
import { fuseElementwise } from "../../../lib/builder/passes/fuse_elementwise.ts";
import {
  FUSED_MAX_INPUTS,
  FUSED_MAX_PROGRAM,
  FUSED_MAX_STACK,
  instr,
  OP_CONST,
  OP_INPUT,
  programError,
  programEvaluator,
} from "../../../lib/builder/fused_program.ts";
import { float, GraphBuilder, int } from "../../engine/_graph.ts";

/** Uniform in ±[0.1, 2): never zero. */
function random(n: number, positive = false): Float64Array {
  return Float64Array.from(
    { length: n },
    () => (positive || Math.random() < 0.5 ? 1 : -1) * (0.1 + 1.9 * Math.random()),
  );
}

function feedsOf(g: Graph, positive = false): Record<string, Value> {
  return Object.fromEntries(g.inputs.map((name) => {
    const t = g.tensors.get(name)!;
    const shape = t.shape as number[];
    const data = random(shape.reduce((a, b) => a * b, 1), positive || t.dtype === "int64");
    if (t.dtype === "int64") data.forEach((v, i) => (data[i] = Math.ceil(3 * v)));
    return [name, { dtype: t.dtype, shape, data }];
  }));
}

interface Fused {
  before: Record<string, number>;
  after: Record<string, number>;
  graph: Graph;
  removed: number;
}

/** Runs the pass on a copy of `g` and checks: same outputs (float64), same output dtypes, topological order. */
function fuse(g: Graph, opts: Parameters<typeof fuseElementwise>[1] = {}, positive = false): Fused {
  inferShapes(g);
  const fused = cloneGraph(g);
  const removed = fuseElementwise(fused, opts);
  inferShapes(fused);
  assertEquals(topoSort(fused).map((n) => n.name), fused.nodes.map((n) => n.name), "nodes stay topologically sorted");
  const feeds = feedsOf(g, positive);
  const want = referenceEval(g, feeds), got = referenceEval(fused, feeds);
  for (const name of g.outputs) {
    assertEquals(got[name].shape, want[name].shape, `${name} shape`);
    assertEquals(got[name].dtype, want[name].dtype, `${name} dtype`);
    const w = want[name].data, v = got[name].data;
    for (let i = 0; i < w.length; i++) {
      const tol = 1e-12 * Math.max(1, Math.abs(w[i]));
      if (!(Math.abs(v[i] - w[i]) <= tol)) throw new Error(`${name}[${i}]: fused ${v[i]} != unfused ${w[i]}`);
    }
  }
  for (const n of fused.nodes.filter((n) => n.op === "FusedElementwise")) checkLimits(n);
  return { before: opCounts(g), after: opCounts(fused), graph: fused, removed };
}

function checkLimits(n: Node): void {
  const program = n.attrs.program.value as number[], constants = n.attrs.constants.value as number[];
  assertEquals(programError(program, constants.length, n.inputs.length), undefined, `${n.name}: a valid program`);
  assert(n.inputs.length <= FUSED_MAX_INPUTS && program.length <= FUSED_MAX_PROGRAM, `${n.name} within limits`);
}

const fusedNodes = (g: Graph) => g.nodes.filter((n) => n.op === "FusedElementwise");

Deno.test("fuse_elementwise: [N,C,H,W] op [1,C,1,1] op scalar chain -> one node, scalars become constants", () => {
  const b = new GraphBuilder();
  const x = b.input("x", [2, 3, 4, 5]);
  const s = b.constF32("s", [1, 3, 1, 1], random(3));
  const c = b.constF32("c", [1, 3, 1, 1], random(3));
  const [m] = b.node("Mul", [x, s], [[2, 3, 4, 5]]);
  const [a] = b.node("Add", [m, c], [[2, 3, 4, 5]]);
  const [h] = b.node("HardSwish", [a], [[2, 3, 4, 5]]);
  const [q] = b.node("Mul", [h, b.constF32("half", [], [0.5])], [[2, 3, 4, 5]]);
  const [y] = b.node("Clip", [q, b.constF32("lo", [], [-0.3]), b.constF32("hi", [], [0.6])], [[2, 3, 4, 5]]);
  b.output(y);
  const r = fuse(b.g);
  assertEquals(r.before, { Mul: 2, Add: 1, HardSwish: 1, Clip: 1 });
  assertEquals(r.after, { FusedElementwise: 1 });
  assertEquals(r.removed, 4);
  const [n] = fusedNodes(r.graph);
  assertEquals(n.inputs, ["x", "s", "c"], "the scalars are program constants, not inputs");
  assertEquals(n.outputs, [y]);
  assertEquals(n.name, "Clip_4", "the fused node keeps the root's name");
  assert((n.attrs.constants.value as number[]).includes(0.5));
  assertEquals([...r.graph.tensors.keys()].filter((t) => [m, a, h, q].includes(t)), [], "intermediates are gone");
});

Deno.test("fuse_elementwise: two graph inputs and a rank-3 broadcast feed one program", () => {
  const b = new GraphBuilder();
  b.input("x", [3, 5, 7, 11]);
  b.input("y", [5, 1, 11]);
  b.input("z", [7, 1]);
  const [d] = b.node("Sub", ["x", "y"], [[3, 5, 7, 11]]);
  const [m] = b.node("Mul", [d, "z"], [[3, 5, 7, 11]]);
  const [a] = b.node("Abs", [m], [[3, 5, 7, 11]]);
  const [r] = b.node("Sqrt", [a], [[3, 5, 7, 11]]);
  const [mx] = b.node("Max", [r, "x", "y"], [[3, 5, 7, 11]]);
  const [o] = b.node("Div", [mx, b.constF32("c", [1], [1.5])], [[3, 5, 7, 11]]);
  b.output(o);
  const f = fuse(b.g);
  assertEquals(f.before, { Sub: 1, Mul: 1, Abs: 1, Sqrt: 1, Max: 1, Div: 1 });
  assertEquals(f.after, { FusedElementwise: 1 });
  assertEquals(fusedNodes(f.graph)[0].inputs, ["x", "y", "z"], "each tensor is one input, however often it is read");
});

Deno.test("fuse_elementwise: an intermediate with two consumers is not fused across; a mid-chain output ends a group", () => {
  const b = new GraphBuilder();
  b.input("x", [2, 8, 16]);
  const sh = [[2, 8, 16]];
  const [t] = b.node("Add", ["x", b.constF32("q", [], [0.25])], sh);
  const [r] = b.node("Relu", [t], sh);
  const [outA] = b.node("Mul", [r, b.constF32("two", [], [2])], sh);
  const [s] = b.node("Sub", [outA, b.constF32("one", [], [1])], sh);
  const [outB] = b.node("Sigmoid", [s], sh);
  const [th] = b.node("Tanh", [t], sh);
  const [n] = b.node("Neg", [th], sh);
  const [outC] = b.node("LeakyRelu", [n], sh, { alpha: float(0.1) });
  const [sq] = b.node("Sigmoid", ["x"], sh);
  const [outD] = b.node("Mul", [sq, sq], sh); // one node reading its operand twice
  b.output(outA, outB, outC, outD);
  const f = fuse(b.g);
  assertEquals(f.before, { Add: 1, Relu: 1, Mul: 2, Sub: 1, Sigmoid: 2, Tanh: 1, Neg: 1, LeakyRelu: 1 });
  assertEquals(f.after, { Add: 1, FusedElementwise: 3, Sigmoid: 1, Mul: 1 });
  const byOutput = new Map(f.graph.nodes.map((n) => [n.outputs[0], n]));
  assertEquals(byOutput.get(t)!.op, "Add", "the shared intermediate keeps its own node");
  assertEquals(byOutput.get(outA)!.inputs, [t], "Relu+Mul read t");
  assertEquals(byOutput.get(outB)!.inputs, [outA], "the chain after the graph output reads it");
  assertEquals(byOutput.get(outC)!.inputs, [t], "Tanh+Neg+LeakyRelu read t");
  assertEquals(byOutput.get(outD)!.op, "Mul", "Sigmoid feeding both operands of one Mul stays apart");
});

Deno.test("fuse_elementwise: float16 tensors fuse into a float16 node", () => {
  const b = new GraphBuilder();
  b.input("x", [2, 4, 6], "float16");
  b.input("y", [4, 1], "float16");
  const [m] = b.node("Mul", ["x", "y"], [[2, 4, 6]], {}, "float16");
  const [s] = b.node("Sigmoid", [m], [[2, 4, 6]], {}, "float16");
  const [o] = b.node("Add", [s, "x"], [[2, 4, 6]], {}, "float16");
  b.output(o);
  const f = fuse(b.g);
  assertEquals(f.after, { FusedElementwise: 1 });
  assertEquals(f.graph.tensors.get(o)!.dtype, "float16");
});

Deno.test("fuse_elementwise: fp16 plans fuse Exp/Pow/Sqrt only as interior nodes fed from inside the group", () => {
  const make = () => {
    const b = new GraphBuilder();
    b.input("x", [2, 3, 8]);
    b.input("g", [2, 3, 8]);
    const sh = [[2, 3, 8]];
    const [xk] = b.node("Mul", ["x", b.constF32("k", [], [-0.5])], sh);
    const [e] = b.node("Exp", [xk], sh); // interior, fed by Mul: fusable in fp16
    const [ag] = b.node("Abs", ["g"], sh);
    const [gp] = b.node("Pow", [ag, b.constF32("p", [], [2])], sh);
    const [y] = b.node("Mul", [e, gp], sh);
    const [ex] = b.node("Exp", ["x"], sh); // fed by a graph input: alone in fp16
    const [z] = b.node("Add", [ex, "g"], sh);
    const [sq] = b.node("Sqrt", [b.node("Abs", ["g"], sh)[0]], sh); // a float32-only root in fp16
    b.output(y, z, sq);
    return b.g;
  };
  const fp32 = fuse(make(), { precision: "fp32" }, true);
  assertEquals(fp32.after, { FusedElementwise: 3 });
  const fp16 = fuse(make(), { precision: "fp16" }, true);
  assertEquals(fp16.before, { Mul: 2, Exp: 2, Abs: 2, Pow: 1, Add: 1, Sqrt: 1 });
  assertEquals(fp16.after, { FusedElementwise: 1, Exp: 1, Add: 1, Abs: 1, Sqrt: 1 });
  assertEquals(fusedNodes(fp16.graph)[0].inputs, ["x", "g"]);
});

Deno.test("fuse_elementwise: integer, host-shape and Conv nodes are left alone", () => {
  const b = new GraphBuilder();
  b.input("x", [1, 3, 6, 6]);
  b.input("i", [4], "int64");
  // integer chain
  const [i1] = b.node("Add", ["i", b.constI64("one", [1])], [[4]], {}, "int64");
  const [i2] = b.node("Mul", [i1, b.constI64("two", [2])], [[4]], {}, "int64");
  // float shape arithmetic feeding a Reshape: the host computes it
  const [shp] = b.node("Shape", ["x"], [[4]], {}, "int64");
  const [fs] = b.node("Cast", [shp], [[4]], { to: int(1) });
  const [h] = b.node("Mul", [fs, b.constF32("h1", [], [1])], [[4]]);
  const [h2] = b.node("Add", [h, b.constF32("h0", [], [0])], [[4]]);
  const [dims] = b.node("Cast", [h2], [[4]], { to: int(7) }, "int64");
  const [rs] = b.node("Reshape", ["x", dims], [[1, 3, 6, 6]]);
  // Conv (with its activation already fused) followed by a chain: the Conv stays, the chain fuses
  const [cv] = b.node("Conv", [rs, b.constF32("w", [4, 3, 3, 3], random(108)), b.constF32("b", [4], random(4))], [[
    1,
    4,
    4,
    4,
  ]], { activation: { type: "string", value: "Relu" } });
  const [m] = b.node("Mul", [cv, b.constF32("k", [], [0.5])], [[1, 4, 4, 4]]);
  const [y] = b.node("Tanh", [m], [[1, 4, 4, 4]]);
  b.output(i2, y);
  const f = fuse(b.g);
  assertEquals(f.after, { Add: 2, Mul: 2, Shape: 1, Cast: 2, Reshape: 1, Conv: 1, FusedElementwise: 1 });
  assertEquals(fusedNodes(f.graph)[0].inputs, [cv]);
});

Deno.test("fuse_elementwise: long chains split at the program, input and stack limits", () => {
  const b = new GraphBuilder();
  for (let k = 0; k < 12; k++) b.input(`x${k}`, [3, 17]);
  let h = "x0";
  for (let k = 1; k < 12; k++) {
    [h] = b.node("Add", [h, `x${k}`], [[3, 17]]);
    [h] = b.node("Tanh", [h], [[3, 17]]);
  }
  for (let k = 0; k < 70; k++) [h] = b.node(k % 2 ? "Neg" : "Abs", [h], [[3, 17]]);
  // A right-deep tree of non-commutative Subs needs one stack entry per level.
  let deep = "x0";
  for (let k = 1; k < 12; k++) [deep] = b.node("Sub", [`x${k}`, deep], [[3, 17]]);
  b.output(h, deep);
  const f = fuse(b.g);
  const nodes = fusedNodes(f.graph);
  assert(nodes.length >= 4, `${nodes.length} fused nodes`);
  assertEquals(f.graph.nodes.length, nodes.length, "every node went into some program");
  const depth = (p: number[]) =>
    p.reduce((acc, w) => {
      const d = acc.d + (w % 256 <= OP_CONST ? 1 : w % 256 >= 48 ? -1 : 0);
      return { d, max: Math.max(acc.max, d) };
    }, { d: 0, max: 0 }).max;
  for (const n of nodes) assert(depth(n.attrs.program.value as number[]) <= FUSED_MAX_STACK, `${n.name} stack`);
});

Deno.test("fuse_elementwise: commutative operands are reordered to keep the stack shallow, others are not", () => {
  const b = new GraphBuilder();
  b.input("x", [5]);
  b.input("y", [5]);
  const [t] = b.node("Tanh", [b.node("Mul", ["x", "y"], [[5]])[0]], [[5]]);
  const [a] = b.node("Add", ["y", t], [[5]]); // deeper right operand: evaluated first
  const [s] = b.node("Sub", ["x", a], [[5]]); // not commutative: order kept
  b.output(s);
  const f = fuse(b.g);
  const [n] = fusedNodes(f.graph);
  assertEquals(n.inputs, ["x", "y"]);
  const X = instr(OP_INPUT, 0), Y = instr(OP_INPUT, 1);
  assertEquals(n.attrs.program.value, [X, X, Y, instr(50), instr(18), Y, instr(48), instr(49)]);
});

Deno.test("fuse_elementwise: optimize() runs it after fuse_conv_activation and reports the nodes removed", () => {
  const b = new GraphBuilder();
  b.input("x", [2, 5]);
  const [r] = b.node("Relu", ["x"], [[2, 5]]);
  const [y] = b.node("Sigmoid", [r], [[2, 5]]);
  b.output(y);
  inferShapes(b.g);
  const rep = optimize(b.g);
  const names = rep.passes.map((p) => p.pass);
  assertEquals(names.indexOf("fuse_elementwise"), names.indexOf("fuse_conv_activation") + 1);
  assertEquals(rep.passes.find((p) => p.pass === "fuse_elementwise")!.changed, 1);
  assertEquals(opCounts(b.g), { FusedElementwise: 1 });
  const skipped = new GraphBuilder();
  skipped.input("x", [2, 5]);
  skipped.node("Relu", ["x"], [[2, 5]]);
  skipped.output(skipped.node("Sigmoid", ["relu_0_0"], [[2, 5]])[0]);
  inferShapes(skipped.g);
  optimize(skipped.g, { skip: ["fuse_elementwise"] });
  assertEquals(opCounts(skipped.g), { Relu: 1, Sigmoid: 1 });
});

Deno.test("fused_program: malformed programs are refused with the reason", () => {
  const X = instr(OP_INPUT, 0);
  assertEquals(programError([X, X, instr(48)], 0, 1), undefined);
  assertEquals(programError([X, instr(48)], 0, 1), "instruction 1 pops an empty stack");
  assertEquals(programError([X, X], 0, 1), "the program leaves 2 values on the stack (1 expected)");
  assertEquals(programError([instr(OP_INPUT, 1)], 0, 1), "instruction 0 reads a missing operand 1");
  assertEquals(programError([X, instr(23, 0)], 1, 1), "instruction 1 reads parameters past the constants");
  assertEquals(programError([X, instr(99)], 0, 1), "instruction 1 has the unknown opcode 99");
  assertEquals(programError(new Array(9).fill(X), 0, 1), "instruction 8 overflows the 8-entry stack");
  assertEquals(programError([X], 0, 9), "9 inputs (1..8 allowed)");
  assertEquals(programEvaluator([X, instr(OP_CONST, 0), instr(52), instr(23, 1)], [3, -1, 5])([1.5]), 3.375);
  // The reference evaluator refuses a bad program with a typed error naming the node.
  const b = new GraphBuilder();
  b.input("x", [2]);
  b.output(
    b.node("FusedElementwise", ["x"], [[2]], {
      program: { type: "ints", value: [X, instr(48)] },
      constants: { type: "floats", value: [] },
    })[0],
  );
  inferShapes(b.g);
  const feeds = { x: { dtype: "float32" as const, shape: [2], data: random(2) } };
  assertThrows(() => referenceEval(b.g, feeds), UnsupportedOpError, /FusedElementwise_0.*pops an empty stack/);
});
