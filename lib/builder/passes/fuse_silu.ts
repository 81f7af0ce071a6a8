// x * Sigmoid(x) -> SiLU(x);  x * HardSigmoid(x; alpha=1/6, beta=0.5) -> HardSwish(x).
// The Sigmoid/HardSigmoid output must feed only that Mul.

import { attrFloat, consumers, type Graph, type Node } from "../ir.ts";

export function fuseSiLU(g: Graph): number {
  const uses = consumers(g);
  const producer = new Map<string, Node>();
  for (const n of g.nodes) n.outputs.forEach((o) => producer.set(o, n));
  const removed = new Set<Node>();
  for (const mul of g.nodes) {
    if (mul.op !== "Mul" || mul.inputs.length !== 2) continue;
    for (const k of [0, 1]) {
      const gate = producer.get(mul.inputs[k]);
      const x = mul.inputs[1 - k];
      if (!gate || removed.has(gate) || gate.inputs[0] !== x) continue;
      let fused: string | undefined;
      if (gate.op === "Sigmoid") fused = "SiLU";
      else if (
        gate.op === "HardSigmoid" && Math.abs(attrFloat(gate, "alpha", 0.2) - 1 / 6) < 1e-6 &&
        Math.abs(attrFloat(gate, "beta", 0.5) - 0.5) < 1e-6
      ) fused = "HardSwish";
      if (!fused) continue;
      if ((uses.get(gate.outputs[0]) ?? []).length !== 1 || g.outputs.includes(gate.outputs[0])) continue;
      // Shapes must agree (no broadcasting hidden in the Mul).
      const xs = g.tensors.get(x)!.shape.join(","), ys = g.tensors.get(mul.outputs[0])!.shape.join(",");
      if (xs !== ys) continue;
      g.tensors.delete(gate.outputs[0]);
      removed.add(gate);
      mul.op = fused;
      mul.inputs = [x];
      mul.attrs = {};
      break;
    }
  }
  g.nodes = g.nodes.filter((n) => !removed.has(n));
  return removed.size;
}
