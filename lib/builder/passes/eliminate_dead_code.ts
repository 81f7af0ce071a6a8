// Remove nodes none of whose outputs reach a graph output, then drop tensors
// nothing references any more (unused initializers included).

import type { Graph } from "../ir.ts";

export function eliminateDeadCode(g: Graph): number {
  const live = new Set<string>(g.outputs);
  const kept = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((o) => o && live.has(o))) continue;
    kept.push(n);
    n.inputs.forEach((x) => x && live.add(x));
  }
  const removed = g.nodes.length - kept.length;
  g.nodes = kept.reverse();
  // Unused optional outputs (e.g. Dropout's mask) become omitted outputs.
  for (const n of g.nodes) n.outputs = n.outputs.map((o, i) => (i > 0 && !live.has(o) ? "" : o));
  while (g.nodes.some((n) => n.outputs.length > 1 && n.outputs[n.outputs.length - 1] === "")) {
    for (const n of g.nodes) while (n.outputs.length > 1 && n.outputs[n.outputs.length - 1] === "") n.outputs.pop();
  }
  const referenced = new Set<string>([...g.inputs, ...g.outputs]);
  for (const n of g.nodes) [...n.inputs, ...n.outputs].forEach((x) => x && referenced.add(x));
  for (const name of [...g.tensors.keys()]) if (!referenced.has(name)) g.tensors.delete(name);
  return removed;
}
