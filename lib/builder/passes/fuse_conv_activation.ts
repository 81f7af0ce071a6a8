// Conv [+ residual Add] + activation -> one Conv with attrs `activation`,
// `activation_alpha`, `activation_beta` and an optional 4th input `residual`:
//   y = act(conv(x, W) + b + residual)       (docs/OPS.md)
// ConvTranspose + activation -> one ConvTranspose with the same attrs (no residual):
//   y = act(conv_transpose(x, W) + b)
// Each fused step needs the intermediate to have exactly one consumer and not
// be a graph output; the residual must have the Conv output's exact shape.

import { attrFloat, consumers, type Graph, type Node, topoSort } from "../ir.ts";
import { decodeData } from "../tensor_data.ts";

const FLT_MAX = 3.4028234663852886e38;

/** [activation, alpha, beta] for a fusable activation node, or undefined. */
function activationOf(g: Graph, n: Node): [string, number, number] | undefined {
  switch (n.op) {
    case "Relu": case "Sigmoid": case "Tanh": case "HardSwish": case "SiLU":
      return [n.op, 0, 0];
    case "LeakyRelu":
      return [n.op, attrFloat(n, "alpha", 0.01), 0];
    case "HardSigmoid":
      return [n.op, attrFloat(n, "alpha", 0.2), attrFloat(n, "beta", 0.5)];
    case "Clip": {
      if (n.attrs.min || n.attrs.max) return ["Clip", attrFloat(n, "min", -FLT_MAX), attrFloat(n, "max", FLT_MAX)];
      const bound = (i: number, def: number): number | undefined => {
        if (!n.inputs[i]) return def;
        const t = g.tensors.get(n.inputs[i]);
        return t?.data ? decodeData(t.data, t.dtype)[0] : undefined;
      };
      const lo = bound(1, -FLT_MAX), hi = bound(2, FLT_MAX);
      return lo === undefined || hi === undefined ? undefined : ["Clip", lo, hi];
    }
  }
  return undefined;
}

export function fuseConvActivation(g: Graph): number {
  const uses = consumers(g);
  const soleUse = (t: string): Node | undefined => {
    const u = uses.get(t) ?? [];
    return u.length === 1 && !g.outputs.includes(t) ? u[0] : undefined;
  };
  const removed = new Set<Node>();
  for (const conv of g.nodes) {
    if ((conv.op !== "Conv" && conv.op !== "ConvTranspose") || conv.attrs.activation || removed.has(conv)) continue;
    let next = soleUse(conv.outputs[0]);
    const outShape = g.tensors.get(conv.outputs[0])!.shape.join(",");
    if (next && next.op === "Add" && conv.op === "Conv" && !conv.inputs[3] && next.inputs.length === 2) {
      const other = next.inputs[0] === conv.outputs[0] ? next.inputs[1] : next.inputs[0];
      const sameInput = next.inputs[0] === next.inputs[1];
      const ot = g.tensors.get(other);
      if (!sameInput && ot && !ot.data && ot.shape.join(",") === outShape) {
        while (conv.inputs.length < 3) conv.inputs.push("");
        conv.inputs[3] = other;
        g.tensors.delete(conv.outputs[0]);
        conv.outputs[0] = next.outputs[0];
        removed.add(next);
        next = soleUse(conv.outputs[0]);
      }
    }
    if (!next) continue;
    const act = activationOf(g, next);
    if (!act) continue;
    conv.attrs.activation = { type: "string", value: act[0] };
    conv.attrs.activation_alpha = { type: "float", value: act[1] };
    conv.attrs.activation_beta = { type: "float", value: act[2] };
    g.tensors.delete(conv.outputs[0]);
    conv.outputs[0] = next.outputs[0];
    removed.add(next);
  }
  g.nodes = g.nodes.filter((n) => !removed.has(n));
  // A residual may be produced after the Conv in the old order.
  g.nodes = topoSort(g);
  return removed.size;
}
