// choose_layout: stores the activations around convolutions NHWC (layout.ts), as TensorRT does for tensor-core
// kernels: cuDNN's fp16/TF32 convolutions are NHWC-native, and in NCHW it transposes around every one of them.
//
// A *region* is a connected set of layers that can all work on NHWC data, grown from each Conv and ConvTranspose
// through the rank-4 float activations they share:
//   - layout-aware layers (Conv, ConvTranspose, pooling, Resize, Shape) get `layout: "NHWC"`;
//   - elementwise layers need nothing: they broadcast over physical shapes, so their rank-4 constants are stored
//     permuted too (a [C,1,1] bias becomes [1,1,1,C]);
//   - Concat gets its axis remapped.
// Where a region meets the rest of the graph (graph inputs and outputs, Flatten, Reshape, Gemm, ...), one Transpose
// per tensor and direction converts; a graph's I/O is always NCHW. Run it last before plan_memory: after precision,
// so the transposes move float16 data.

import { type Attr, consumers, freshName, type Graph, type Node, nodeNamer, producers, type Tensor, topoSort } from "../ir.ts";
import { isNhwcLayer, NCHW_PERM, NHWC_PERM, nhwcAxis, physicalShape, transposeData } from "../layout.ts";
import { decodeData, encodeData } from "../tensor_data.ts";

export type PlanLayout = "nchw" | "nhwc";

const LAYOUT_AWARE = new Set([
  "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Resize", "Shape",
]);
// Where regions start: the layers whose fast kernels are channels-last (cuDNN's tensor-core convolutions; the CUDA
// executor's ConvTranspose tile kernel, docs/IR.md).
const SEEDS = new Set(["Conv", "ConvTranspose"]);
const ELEMENTWISE = new Set([
  "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "SiLU", "Tanh", "Clip", "Exp", "Sqrt", "Abs", "Neg",
  "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Cast", "FusedElementwise",
]);
const FLOATS = new Set(["float32", "float16"]);

/** Applies `layout` to `g` in place; returns the number of layers moved to NHWC. */
export function chooseLayout(g: Graph, layout: PlanLayout): number {
  if (layout !== "nhwc") return 0;
  const tensor = (name: string): Tensor | undefined => (name ? g.tensors.get(name) : undefined);
  const isActivation = (name: string) => {
    const t = tensor(name);
    return !!t && !t.data && t.placement !== "host" && t.shape.length === 4 && FLOATS.has(t.dtype);
  };
  const region = growRegions(g, (n) => candidate(g, n, isActivation), isActivation);
  const prod = producers(g);
  const inRegion = (name: string) => {
    const p = prod.get(name);
    return p !== undefined && region.has(g.nodes[p]);
  };
  // Shape only saves a transpose when its input is stored NHWC anyway.
  for (const n of region) if (n.op === "Shape" && !inRegion(n.inputs[0])) region.delete(n);
  if (region.size === 0) return 0;

  const uses = consumers(g);
  const outputs = new Set(g.outputs);
  const stored = new Set<string>(); // tensors the region writes NHWC
  const uniqueNode = nodeNamer(g);
  const transposes: Node[] = [];
  const transpose = (src: string, dst: string, perm: readonly number[]) =>
    transposes.push({
      name: uniqueNode(`${src}/to_${perm === NHWC_PERM ? "nhwc" : "nchw"}`),
      op: "Transpose",
      inputs: [src],
      outputs: [dst],
      attrs: { perm: { type: "ints", value: [...perm] } },
    });

  // 1. Region outputs: stored NHWC. Consumers outside the region, and graph outputs, read an NCHW copy.
  for (const n of region) {
    n.outputs.forEach((o, k) => {
      if (!isActivation(o)) return;
      const t = tensor(o)!;
      const outside = (uses.get(o) ?? []).some((u) => !region.has(u)) || outputs.has(o);
      if (!outside) {
        t.shape = physicalShape(t.shape);
        stored.add(o);
        return;
      }
      const nhwc = freshName(g, `${o}_nhwc`);
      g.tensors.set(nhwc, { ...t, name: nhwc, shape: physicalShape(t.shape) });
      n.outputs[k] = nhwc;
      stored.add(nhwc);
      for (const u of uses.get(o) ?? []) if (region.has(u)) u.inputs = u.inputs.map((x) => (x === o ? nhwc : x));
      transpose(nhwc, o, NCHW_PERM);
    });
  }
  // 2. Region inputs produced outside: one NHWC copy each. Constants of elementwise layers: stored permuted.
  const nhwcCopy = new Map<string, string>();
  const permutedConst = new Map<string, string>();
  for (const n of region) {
    const elementwise = ELEMENTWISE.has(n.op);
    n.inputs = n.inputs.map((name) => {
      if (!name) return name;
      const t = tensor(name)!;
      if (t.data) return elementwise && t.shape.length > 0 ? permuteConstant(g, name, permutedConst) : name;
      if (!isActivation(name) || stored.has(name)) return name;
      let copy = nhwcCopy.get(name);
      if (!copy) {
        copy = freshName(g, `${name}_nhwc`);
        g.tensors.set(copy, { ...t, name: copy, shape: physicalShape(t.shape), memory: undefined });
        delete g.tensors.get(copy)!.memory;
        nhwcCopy.set(name, copy);
        transpose(name, copy, NHWC_PERM);
      }
      return copy;
    });
    // 3. Attributes.
    if (LAYOUT_AWARE.has(n.op)) n.attrs.layout = { type: "string", value: "NHWC" };
    if (n.op === "Concat") {
      const a = n.attrs.axis as Extract<Attr, { type: "int" }>;
      const axis = a.value < 0 ? a.value + 4 : a.value;
      n.attrs.axis = { type: "int", value: nhwcAxis(axis) };
    }
  }
  g.nodes = topoSort({ ...g, nodes: [...g.nodes, ...transposes] });
  return region.size;
}

/** Whether `n` can run on NHWC activations, judged alone. */
function candidate(g: Graph, n: Node, isActivation: (name: string) => boolean): boolean {
  if (isNhwcLayer(n)) return false;
  const ins = n.inputs.filter(Boolean);
  const outs = n.outputs.filter(Boolean);
  switch (n.op) {
    case "Conv":
      return isActivation(n.inputs[0]) && g.tensors.get(n.inputs[1])?.shape.length === 4 &&
        (!n.inputs[3] || isActivation(n.inputs[3]));
    case "ConvTranspose": {
      // A constant filter: the channels-last kernels read it in its ONNX layout (a rank-4 activation would be laid out).
      const w = g.tensors.get(n.inputs[1]);
      return outs.length === 1 && isActivation(n.inputs[0]) && w?.data !== undefined && w.shape.length === 4;
    }
    case "MaxPool": case "AveragePool":
      return outs.length === 1 && isActivation(n.inputs[0]);
    case "GlobalAveragePool": case "GlobalMaxPool": case "Resize":
      return isActivation(n.inputs[0]);
    case "Shape":
      // Shape reads only its input's shape: on an NHWC tensor it reports the logical one, and saves a transpose.
      return isActivation(n.inputs[0]);
    case "Concat":
      return ins.every(isActivation);
  }
  if (!ELEMENTWISE.has(n.op)) return false;
  if (!outs.every(isActivation)) return false;
  // A Cast of a graph input stays outside: the transpose into the region then moves the narrower type.
  if (n.op === "Cast" && g.inputs.includes(n.inputs[0])) return false;
  // Every input: an activation of the region's shape family, or a constant (stored permuted), or a scalar-like
  // host parameter (Clip bounds, Pow exponent) of rank <= 1 that broadcasts the same either way.
  return ins.every((name) => {
    const t = g.tensors.get(name)!;
    if (t.data) return t.shape.length <= 4;
    if (isActivation(name)) return true;
    return t.shape.length === 0 || (t.shape.length === 1 && t.shape[0] === 1);
  });
}

/** Layers reachable from a Conv or ConvTranspose through activations shared by candidates (both ends candidates). */
function growRegions(g: Graph, isCandidate: (n: Node) => boolean, isActivation: (name: string) => boolean): Set<Node> {
  const ok = new Set(g.nodes.filter(isCandidate));
  const prod = producers(g);
  const uses = consumers(g);
  const region = new Set<Node>();
  const stack = g.nodes.filter((n) => SEEDS.has(n.op) && ok.has(n));
  while (stack.length) {
    const n = stack.pop()!;
    if (region.has(n)) continue;
    region.add(n);
    const touch = (name: string) => {
      if (!isActivation(name)) return;
      const p = prod.get(name);
      if (p !== undefined && ok.has(g.nodes[p]) && !region.has(g.nodes[p])) stack.push(g.nodes[p]);
      for (const u of uses.get(name) ?? []) if (ok.has(u) && !region.has(u)) stack.push(u);
    };
    n.inputs.forEach(touch);
    n.outputs.forEach(touch);
  }
  return region;
}

/** A copy of constant `name` laid out for NHWC broadcasting: left-padded to rank 4, then permuted. */
function permuteConstant(g: Graph, name: string, cache: Map<string, string>): string {
  const known = cache.get(name);
  if (known) return known;
  const t = g.tensors.get(name)!;
  const shape = t.shape as number[];
  const rank4 = [...new Array(4 - shape.length).fill(1), ...shape];
  const values = decodeData(t.data!, t.dtype);
  const data = transposeData(values, rank4, NHWC_PERM, (k) => new Float64Array(k));
  const copy = freshName(g, `${name}_nhwc`);
  g.tensors.set(copy, { name: copy, dtype: t.dtype, shape: NHWC_PERM.map((p) => rank4[p]), data: encodeData(data, t.dtype) });
  cache.set(name, copy);
  return copy;
}
