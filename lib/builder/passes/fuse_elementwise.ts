// fuse_elementwise: trees of elementwise nodes become one FusedElementwise node (docs/OPS.md), whose kernel reads
// each input once per element, keeps every intermediate in a float32 register and writes one output, instead of one
// kernel and one round trip through memory per node.
//
// A group grows from a root node (visited last to first) into the producers of its operands while
//   - the operand is the producer's only output, is used exactly once (by this node) and is not a graph output;
//   - every node is a float32/float16 elementwise op (fused_program.ts) of the group's dtype, whose operands are
//     tensors of that dtype or scalar constants (which become program constants, kept in float32);
//   - no node computes a host (shape) tensor or anything that feeds a shape input;
//   - the program stays within the executors' limits (inputs, instructions, constants, stack).
// A group of one node is left alone. The fused node takes the root's name and place (its inputs are all produced
// before the root, so the order stays topological) and the group's intermediate tensors disappear.
//
// fp16 plans: the precision pass runs FusedElementwise in float16 I/O (float32 inside). Ops it keeps in float32
// when alone (Exp, Sqrt, Pow, Log, Erf, ...) may join a group only as interior nodes whose operands are all computed
// inside the group (or scalar constants), and the root must be an op that would run in float16 anyway; then every
// value that crosses memory is float16 in both forms, and the fused form just stops rounding the intermediates.

import { attrFloat, consumers, type Dim, type DType, type Graph, type Node, numElements, sameShape } from "../ir.ts";
import { decodeData } from "../tensor_data.ts";
import { FUSED_BINARY, FUSED_UNARY, instr, OP_CONST, OP_INPUT, programError } from "../fused_program.ts";
import { SHAPE_INPUTS } from "./mark_host_tensors.ts";
import { FP16_OPS, type PlanPrecision } from "./precision.ts";

const FLOATS: ReadonlySet<DType> = new Set(["float32", "float16"]);
/** Binary ops whose operands may be swapped to need a shallower stack (bit-exact in IEEE arithmetic). */
const COMMUTATIVE: ReadonlySet<string> = new Set(["Add", "Mul"]);

/** One fusable node, judged alone. */
interface Member {
  node: Node;
  /** Data operands in evaluation order; a binary op with more (Max/Min) folds left. */
  operands: string[];
  /** The instruction applying the op (binary: applied after each operand from the second on). */
  opcode: number;
  /** Unary parameters (LeakyRelu alpha, HardSigmoid alpha/beta, Clip min/max), stored as program constants. */
  params: number[];
}

export interface FuseElementwiseOptions {
  /** The precision the plan is built in: "fp16" restricts groups as the header says. */
  precision?: PlanPrecision;
}

export function fuseElementwise(g: Graph, opts: FuseElementwiseOptions = {}): number {
  const uses = consumers(g);
  const outputs = new Set(g.outputs);
  const producer = new Map<string, Node>();
  for (const n of g.nodes) n.outputs.forEach((o) => o && producer.set(o, n));
  const avoid = shapeRelated(g, producer);

  const scalar = (name: string): number | undefined => {
    const t = g.tensors.get(name);
    if (!t?.data || t.dtype === "bool" || numElements(t.shape as number[]) !== 1) return undefined;
    return decodeData(t.data, t.dtype)[0];
  };
  const members = new Map<Node, Member>();
  for (const n of g.nodes) {
    const m = describe(g, n, scalar, avoid);
    if (m) members.set(n, m);
  }
  const dtypeOf = (n: Node) => g.tensors.get(n.outputs[0])!.dtype;
  // fp16 plans: ops the precision pass keeps in float32 must not see float16 rounding they would not see alone.
  const restricted = (n: Node) => opts.precision === "fp16" && dtypeOf(n) === "float32" && !FP16_OPS.has(n.op);

  const assigned = new Set<Node>();
  const fused = new Map<Node, Node>(); // root -> FusedElementwise node
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const root = g.nodes[i];
    if (!members.has(root) || assigned.has(root) || restricted(root)) continue;
    const group: Node[] = [root];
    const inGroup = (n: Node) => group.includes(n);
    // The producer of `name` when it can join the group.
    const joinable = (name: string): Node | undefined => {
      const p = producer.get(name);
      if (!p || !members.has(p) || assigned.has(p) || inGroup(p)) return undefined;
      if ((uses.get(name) ?? []).length !== 1 || outputs.has(name)) return undefined;
      return dtypeOf(p) === dtypeOf(root) ? p : undefined;
    };
    const grow = (m: Member) => {
      for (const name of m.operands) {
        const p = joinable(name);
        if (!p) continue;
        const mark = group.length;
        group.push(p);
        if (!build(root, group, members, scalar).ok) {
          group.length = mark;
          continue;
        }
        const pm = members.get(p)!;
        grow(pm);
        // A restricted node stays only when all its operands are computed in the group (or are scalars).
        const inside = (o: string) =>
          scalar(o) !== undefined || (producer.get(o) !== undefined && inGroup(producer.get(o)!));
        if (restricted(p) && !pm.operands.every(inside)) group.length = mark;
      }
    };
    grow(members.get(root)!);
    if (group.length < 2) continue;
    const prog = build(root, group, members, scalar);
    if (
      !prog.ok ||
      !sameShape(broadcast(prog.inputs.map((x) => g.tensors.get(x)!.shape)), g.tensors.get(root.outputs[0])!.shape)
    ) {
      continue; // scalar constants that widened the output's rank, or shapes we cannot prove equal
    }
    for (const n of group) assigned.add(n);
    fused.set(root, {
      name: root.name,
      op: "FusedElementwise",
      inputs: prog.inputs,
      outputs: [root.outputs[0]],
      attrs: {
        program: { type: "ints", value: prog.program },
        constants: { type: "floats", value: prog.constants },
      },
    });
    for (const n of group) if (n !== root) g.tensors.delete(n.outputs[0]);
  }
  const before = g.nodes.length;
  g.nodes = g.nodes.flatMap((n) => fused.get(n) ?? (assigned.has(n) ? [] : [n]));
  return before - g.nodes.length;
}

/** `n` as a fusable member, or undefined. */
function describe(
  g: Graph,
  n: Node,
  scalar: (name: string) => number | undefined,
  avoid: Set<string>,
): Member | undefined {
  const unary = FUSED_UNARY[n.op];
  const binary = FUSED_BINARY[n.op];
  if (unary === undefined && binary === undefined) return undefined;
  if (n.outputs.length !== 1 || !n.outputs[0]) return undefined;
  const out = g.tensors.get(n.outputs[0]);
  if (!out || !FLOATS.has(out.dtype) || out.placement === "host" || avoid.has(n.outputs[0])) return undefined;
  let operands: string[], params: number[] = [];
  if (unary) {
    operands = [n.inputs[0]];
    if (n.op === "LeakyRelu") params = [attrFloat(n, "alpha", 0.01)];
    if (n.op === "HardSigmoid") params = [attrFloat(n, "alpha", 0.2), attrFloat(n, "beta", 0.5)];
    if (n.op === "Clip") {
      if (n.attrs.min || n.attrs.max) params = [attrFloat(n, "min", -Infinity), attrFloat(n, "max", Infinity)];
      else {
        const lo = n.inputs[1] ? scalar(n.inputs[1]) : -Infinity, hi = n.inputs[2] ? scalar(n.inputs[2]) : Infinity;
        if (lo === undefined || hi === undefined) return undefined;
        params = [lo, hi];
      }
    } else if (n.inputs.filter(Boolean).length !== 1) return undefined;
  } else {
    operands = n.inputs.filter(Boolean);
    const variadic = n.op === "Max" || n.op === "Min";
    if (operands.length < 2 || (!variadic && operands.length !== 2)) return undefined;
  }
  // Every operand: a scalar constant, or a tensor of the output's dtype (no mixed or integer data).
  for (const name of operands) {
    if (!name || scalar(name) !== undefined) continue;
    const t = g.tensors.get(name);
    if (!t || t.dtype !== out.dtype || t.placement === "host") return undefined;
  }
  return { node: n, operands, opcode: unary ? unary.code : binary, params };
}

interface Program {
  ok: boolean;
  program: number[];
  constants: number[];
  inputs: string[];
}

/** The postfix program of the tree rooted at `root` over the nodes of `group`; ok when within every limit. */
function build(
  root: Node,
  group: Node[],
  members: Map<Node, Member>,
  scalar: (name: string) => number | undefined,
): Program {
  const byOutput = new Map(group.map((n) => [n.outputs[0], members.get(n)!]));
  const program: number[] = [], constants: number[] = [], inputs: string[] = [];
  const constant = (v: number) => {
    let j = constants.findIndex((c) => Object.is(c, v));
    if (j < 0) j = constants.push(v) - 1;
    return j;
  };
  const paramsAt = (ps: number[]) => {
    if (ps.length === 0) return 0;
    for (let j = 0; j + ps.length <= constants.length; j++) {
      if (ps.every((p, k) => Object.is(constants[j + k], p))) return j;
    }
    return constants.push(...ps) - ps.length;
  };
  // Stack entries an operand needs while evaluated (Sethi-Ullman); memoized per tensor.
  const needs = new Map<string, number>();
  const need = (name: string): number => {
    const m = byOutput.get(name);
    if (!m) return 1;
    let v = needs.get(name);
    if (v === undefined) {
      v = m.operands.reduce((acc, o, k) => Math.max(acc, need(o) + (k > 0 ? 1 : 0)), 0);
      if (m.operands.length === 2 && COMMUTATIVE.has(m.node.op)) {
        v = Math.min(v, Math.max(need(m.operands[1]), need(m.operands[0]) + 1));
      }
      needs.set(name, v);
    }
    return v;
  };
  const visit = (name: string) => {
    const m = byOutput.get(name);
    if (m) return emit(m);
    const s = scalar(name);
    if (s !== undefined) return program.push(instr(OP_CONST, constant(s)));
    let k = inputs.indexOf(name);
    if (k < 0) k = inputs.push(name) - 1;
    program.push(instr(OP_INPUT, k));
  };
  const emit = (m: Member) => {
    let ops = m.operands;
    // Deeper operand first when the op commutes: the other then needs only one more entry.
    if (ops.length === 2 && COMMUTATIVE.has(m.node.op) && need(ops[1]) > need(ops[0])) ops = [ops[1], ops[0]];
    ops.forEach((o, k) => {
      visit(o);
      if (k > 0) program.push(instr(m.opcode));
    });
    if (m.operands.length === 1) program.push(instr(m.opcode, paramsAt(m.params)));
  };
  emit(members.get(root)!);
  const ok = inputs.length > 0 && programError(program, constants.length, inputs.length) === undefined;
  return { ok, program, constants, inputs };
}

/**
 * Tensors a FusedElementwise must not compute: those that reach a shape input (SHAPE_INPUTS) through small
 * (rank <= 1) tensors, which mark_host_tensors / the C side may place on the host, and those computed from Shape
 * outputs and constants alone (no graph input's data).
 */
function shapeRelated(g: Graph, producer: Map<string, Node>): Set<string> {
  const avoid = new Set<string>();
  const stack: string[] = [];
  for (const n of g.nodes) for (const i of SHAPE_INPUTS[n.op] ?? []) if (n.inputs[i]) stack.push(n.inputs[i]);
  while (stack.length) {
    const name = stack.pop()!;
    const t = g.tensors.get(name);
    if (avoid.has(name) || !t || t.data || t.shape.length > 1) continue;
    avoid.add(name);
    const p = producer.get(name);
    if (p && p.op !== "Shape") stack.push(...p.inputs.filter(Boolean));
  }
  const fromData = new Set(g.inputs);
  for (const n of g.nodes) {
    const data = n.op !== "Shape" && n.inputs.some((i) => fromData.has(i));
    for (const o of n.outputs) if (o) (data ? fromData : avoid).add(o);
  }
  return avoid;
}

/** numpy broadcast of symbolic shapes; undefined when a symbolic dim meets a different one. */
function broadcast(shapes: Dim[][]): Dim[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = i - (rank - s.length);
      if (k < 0 || s[k] === 1 || s[k] === d) continue;
      if (d !== 1) return undefined;
      d = s[k];
    }
    out.push(d);
  }
  return out;
}

