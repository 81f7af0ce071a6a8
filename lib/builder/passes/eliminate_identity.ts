// Remove nodes that do nothing at inference time: Identity, Dropout (its
// inference behaviour is identity), Reshape to the same static shape, and
// Cast to the dtype the input already has.

import { attrInt, type Graph, isStaticShape, type Node, replaceUses } from "../ir.ts";
import { dtypeFromOnnx } from "../tensor_data.ts";

function isNoOp(g: Graph, n: Node): boolean {
  const x = g.tensors.get(n.inputs[0]);
  const y = g.tensors.get(n.outputs[0]);
  if (!x || !y) return false;
  switch (n.op) {
    case "Identity":
      return true;
    case "Dropout":
      // A used mask output would need a constant; keep such nodes.
      return !n.outputs[1] && (!n.inputs[2] || g.tensors.get(n.inputs[2])?.data !== undefined);
    case "Reshape":
      return isStaticShape(x.shape) && isStaticShape(y.shape) && x.shape.join(",") === y.shape.join(",");
    case "Cast":
      return dtypeFromOnnx(attrInt(n, "to")) === x.dtype;
  }
  return false;
}

export function eliminateIdentity(g: Graph): number {
  let removed = 0;
  const inputs = new Set(g.inputs);
  g.nodes = g.nodes.filter((n) => {
    if (!isNoOp(g, n)) return true;
    const from = n.outputs[0], to = n.inputs[0];
    if (g.outputs.includes(from)) {
      // The output name is part of the interface: rename the input instead,
      // unless the input is itself a graph input/output or a constant.
      const src = g.tensors.get(to)!;
      if (inputs.has(to) || g.outputs.includes(to) || src.data) return true;
      for (const m of g.nodes) {
        m.inputs = m.inputs.map((i) => (i === to ? from : i));
        m.outputs = m.outputs.map((o) => (o === to ? from : o));
      }
      g.tensors.set(from, { ...src, name: from });
      g.tensors.delete(to);
    } else {
      replaceUses(g, from, to);
      g.tensors.delete(from);
    }
    removed++;
    return false;
  });
  return removed;
}
