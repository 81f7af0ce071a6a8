// Runs one pass on a fixture and checks both the graph change (op counts)
// and that outputs still match onnxruntime.

import { assertClose, loadFixture } from "./_fixtures.ts";
import { type Graph, opCounts } from "../../lib/builder/ir.ts";
import { referenceEval } from "../../lib/builder/reference_eval.ts";
import { inferShapes } from "../../lib/builder/shape_inference.ts";

export interface PassResult {
  before: Record<string, number>;
  after: Record<string, number>;
  graph: Graph;
}

export async function runPass(fixture: string, pass: (g: Graph) => unknown, prep: ((g: Graph) => unknown)[] = []): Promise<PassResult> {
  const f = await loadFixture(fixture);
  for (const p of prep) {
    p(f.graph);
    inferShapes(f.graph);
  }
  assertClose(referenceEval(f.graph, f.feeds), f.expected, 1e-5, `${fixture} before`);
  const before = opCounts(f.graph);
  pass(f.graph);
  inferShapes(f.graph);
  const after = opCounts(f.graph);
  assertClose(referenceEval(f.graph, f.feeds), f.expected, 1e-5, `${fixture} after`);
  return { before, after, graph: f.graph };
}
