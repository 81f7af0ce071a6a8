// Mark the graph inputs whose *values* are read as shapes (ConstantOfShape's shape, Range's start/limit/delta,
// Reshape's shape, ...) with placement "host". Run-time shape inference reads those values on the CPU, so the
// caller binds such an input to host memory (on CUDA engines a pinned host buffer; infer() does this), as
// TensorRT does for shape-tensor inputs. The CUDA executor stages a device copy for any GPU layer that also reads it.
//
// An input counts when it reaches a shape position (SHAPE_INPUTS) directly or through small (rank <= 1) tensors
// computed from it, e.g. Concat(input, constant) -> Reshape. The C side (shapes_mark_host_tensors) then runs that
// small arithmetic on the host.

import type { Graph, Node } from "../ir.ts";
import { SHAPE_INPUTS } from "./mark_host_tensors.ts";

/** Largest input (elements) that can be a shape vector: the same bound mark_host_tensors uses. */
const MAX_HOST_ELEMENTS = 64;

export function markHostInputs(g: Graph): number {
  const producer = new Map<string, Node>();
  for (const n of g.nodes) n.outputs.forEach((o) => o && producer.set(o, n));
  const inputs = new Set(g.inputs);
  const small = (name: string) => {
    const t = g.tensors.get(name);
    if (!t || t.shape.length > 1) return false;
    return t.shape.length === 0 || typeof t.shape[0] !== "number" || t.shape[0] <= MAX_HOST_ELEMENTS;
  };
  const found = new Set<string>();
  const seen = new Set<string>();
  // Walks back from a shape operand through small computed tensors to the inputs they come from.
  const walk = (name: string) => {
    if (!name || seen.has(name) || !small(name)) return;
    seen.add(name);
    if (inputs.has(name)) {
      found.add(name);
      return;
    }
    const p = producer.get(name);
    if (!p || p.op === "Shape") return; // a constant, or a value made from shapes alone
    p.inputs.forEach(walk);
  };
  for (const n of g.nodes) for (const i of SHAPE_INPUTS[n.op] ?? []) walk(n.inputs[i]);
  let marked = 0;
  for (const name of found) {
    const t = g.tensors.get(name)!;
    if (t.placement === "host") continue;
    t.placement = "host";
    marked++;
  }
  return marked;
}
