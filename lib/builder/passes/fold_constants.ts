// Evaluate, at build time, every node whose inputs are all constants, and
// every small tensor whose value shape inference could compute exactly (e.g.
// Shape of a fully static tensor, and whatever Gather/Concat/... derive from
// it). What remains dynamic is left for mark_host_tensors.

import { type Graph, isStaticShape, type Node } from "../ir.ts";
import { evalNode, type Value } from "../cpu_kernels.ts";
import { inferShapes } from "../shape_inference.ts";
import { decodeData, encodeData } from "../tensor_data.ts";

/** Constants bigger than this are not materialized (keeps plans small). */
const MAX_FOLDED_BYTES = 64 << 20;

export function foldConstants(g: Graph): number {
  const { values } = inferShapes(g);
  const isOutput = new Set(g.outputs);
  const kept: Node[] = [];
  let folded = 0;
  for (const n of g.nodes) {
    // Graph outputs stay produced by nodes so executors never see a constant output.
    if (n.outputs.some((o) => isOutput.has(o))) {
      kept.push(n);
      continue;
    }
    const outs = n.outputs.filter((o) => o).map((o) => g.tensors.get(o)!);
    const fromValues = outs.every((t) => {
      const v = values.get(t.name);
      return v && isStaticShape(v) && isStaticShape(t.shape);
    });
    if (fromValues) {
      for (const t of outs) t.data = encodeData(values.get(t.name) as number[], t.dtype);
      folded++;
      continue;
    }
    const allConst = n.inputs.every((i) => !i || g.tensors.get(i)?.data);
    const staticOuts = outs.every((t) => isStaticShape(t.shape));
    const bytes = outs.reduce((a, t) => a + (t.shape as number[]).reduce((x, y) => x * y, 1) * 8, 0);
    if (!allConst || !staticOuts || bytes > MAX_FOLDED_BYTES) {
      kept.push(n);
      continue;
    }
    const inputs: (Value | undefined)[] = n.inputs.map((i) => {
      if (!i) return undefined;
      const t = g.tensors.get(i)!;
      return { dtype: t.dtype, shape: t.shape as number[], data: decodeData(t.data!, t.dtype) };
    });
    const results = evalNode(n, inputs, g.opset, outs.map((t) => t.shape as number[]));
    n.outputs.forEach((o, i) => {
      if (!o) return;
      const t = g.tensors.get(o)!;
      t.data = encodeData(results[i].data, t.dtype);
      delete t.placement;
    });
    folded++;
  }
  g.nodes = kept;
  return folded;
}
