// Reference interpreter: evaluates an IR graph in float64 with the CPU
// kernels. It is the oracle for pass tests (outputs before == after) and is
// itself checked against onnxruntime. Slow by design; small models only.
//
// Shapes are re-inferred node by node from the concrete inputs, and every
// kernel result is checked against the inferred shape, so running this also
// exercises shape inference.

import { cloneGraph, type Dim, type Graph, isStaticShape, type Node } from "./ir.ts";
import { evalNode, type Value } from "./cpu_kernels.ts";
import { inferNodeInPlace } from "./shape_inference.ts";
import { decodeData } from "./tensor_data.ts";
import { isNhwcLayer, NCHW_PERM, NHWC_PERM, toNchw, transposeData } from "./layout.ts";

export type { Value } from "./cpu_kernels.ts";

export function referenceEval(graph: Graph, feeds: Record<string, Value>): Record<string, Value> {
  const g = cloneGraph(graph);
  const env = new Map<string, Value>();
  const values = new Map<string, Dim[]>();
  const get = (name: string): Value | undefined => {
    if (!name) return undefined;
    const v = env.get(name);
    if (v) return v;
    const t = g.tensors.get(name);
    if (!t?.data) throw new Error(`reference_eval: ${name} has no value`);
    if (!isStaticShape(t.shape)) throw new Error(`constant ${name} has a symbolic shape`);
    const c = { dtype: t.dtype, shape: t.shape, data: decodeData(t.data, t.dtype) };
    env.set(name, c);
    return c;
  };
  const remember = (name: string, v: Value) => {
    env.set(name, v);
    const t = g.tensors.get(name);
    if (t) t.shape = [...v.shape];
    if (v.shape.length <= 1 && v.data.length <= 64) values.set(name, [...v.data]);
  };
  for (const name of g.inputs) {
    const v = feeds[name];
    if (!v) throw new Error(`reference_eval: missing feed ${name}`);
    remember(name, v);
  }
  for (const n of g.nodes) {
    const inputs = n.inputs.map(get);
    const inferred = inferNodeInPlace(g, n, values);
    const shapes = inferred.map((t) => {
      if (!isStaticShape(t.shape)) throw new Error(`node ${n.name} (${n.op}): inferred shape [${t.shape}] is not concrete`);
      return t.shape;
    });
    const outs = isNhwcLayer(n) ? evalNhwc(g, n, inputs, shapes) : evalNode(n, inputs, g.opset, shapes);
    n.outputs.forEach((name, i) => {
      if (!name) return;
      const o = outs[i];
      if (o.shape.join(",") !== shapes[i].join(",")) {
        throw new Error(`node ${n.name} (${n.op}): kernel produced [${o.shape}] but inference said [${shapes[i]}]`);
      }
      if (o.dtype !== inferred[i].dtype) {
        throw new Error(`node ${n.name} (${n.op}): kernel produced ${o.dtype} but inference said ${inferred[i].dtype}`);
      }
      remember(name, o);
    });
  }
  const result: Record<string, Value> = {};
  for (const o of g.outputs) result[o] = get(o)!;
  return result;
}

/** An NHWC layer (layout.ts): evaluate on NCHW copies of its laid-out inputs, hand back rank-4 outputs NHWC. */
function evalNhwc(g: Graph, n: Node, inputs: (Value | undefined)[], shapes: number[][]): Value[] {
  const perm = (v: Value, p: readonly number[]): Value => ({
    ...v,
    shape: p.map((d) => v.shape[d]),
    data: transposeData(v.data, v.shape, p, (k) => new Float64Array(k)),
  });
  const logical = inputs.map((v, i) =>
    v && v.shape.length === 4 && g.tensors.get(n.inputs[i])?.data === undefined ? perm(v, NCHW_PERM) : v
  );
  const outs = evalNode(n, logical, g.opset, shapes.map((s) => (s.length === 4 ? toNchw(s) : s)));
  return outs.map((o) => (o.shape.length === 4 ? perm(o, NHWC_PERM) : o));
}
