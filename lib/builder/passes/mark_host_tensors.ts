// Mark the small tensors that only exist to compute shapes (Reshape's shape,
// Resize's scales/sizes, Slice's starts/ends/..., Expand's shape, Pad's pads,
// ...) and that fold_constants could not fold because of dynamic dims.
// They get placement "host": the executor computes them on the CPU from the
// run-time input shapes, so no device round trip is needed. A shape tensor
// that depends on device *data* (not just on Shape) stays on the device.

import type { Graph, Node } from "../ir.ts";

/** Input positions that ONNX ops read as shapes / indices / parameters on the host. */
export const SHAPE_INPUTS: Record<string, number[]> = {
  Reshape: [1],
  Resize: [1, 2, 3],
  Upsample: [1],
  Slice: [1, 2, 3, 4],
  Expand: [1],
  Pad: [1, 3],
  ConstantOfShape: [0],
  Range: [0, 1, 2],
  Split: [1],
  Squeeze: [1],
  Unsqueeze: [1],
  ReduceMean: [1],
  ReduceSum: [1],
};

/** Largest tensor (elements) still considered a "small shape tensor". */
const MAX_HOST_ELEMENTS = 64;

export function markHostTensors(g: Graph): number {
  const producer = new Map<string, Node>();
  for (const n of g.nodes) n.outputs.forEach((o) => o && producer.set(o, n));
  const inputs = new Set(g.inputs);
  const memo = new Map<string, boolean>();

  // Can `name` be computed on the host from constants and Shape outputs only?
  const hostable = (name: string): boolean => {
    const t = g.tensors.get(name);
    if (!t) return false;
    if (t.data) return true;
    if (inputs.has(name)) return false;
    const cached = memo.get(name);
    if (cached !== undefined) return cached;
    memo.set(name, false); // cycle guard
    const small = t.shape.length <= 1 && (t.shape.length === 0 || typeof t.shape[0] !== "number" || t.shape[0] <= MAX_HOST_ELEMENTS);
    const p = producer.get(name);
    const ok = small && !!p && (p.op === "Shape" || p.inputs.every((i) => !i || hostable(i)));
    memo.set(name, ok);
    return ok;
  };

  let marked = 0;
  const mark = (name: string) => {
    const t = g.tensors.get(name)!;
    if (t.data || t.placement === "host") return;
    t.placement = "host";
    marked++;
    const p = producer.get(name)!;
    if (p.op !== "Shape") p.inputs.forEach((i) => i && mark(i));
  };
  for (const n of g.nodes) {
    for (const idx of SHAPE_INPUTS[n.op] ?? []) {
      const name = n.inputs[idx];
      if (name && hostable(name)) mark(name);
    }
  }
  // Everything else is on the device.
  for (const t of g.tensors.values()) if (!t.data && t.placement !== "host") t.placement = "device";
  return marked;
}
