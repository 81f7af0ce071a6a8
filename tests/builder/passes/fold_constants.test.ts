import { assert, assertEquals } from "../_assert.ts";
import { hasFixture, NO_FIXTURES } from "../_fixtures.ts";
import { runPass } from "../_pass_harness.ts";
import { foldConstants } from "../../../lib/builder/passes/fold_constants.ts";
import { eliminateDeadCode } from "../../../lib/builder/passes/eliminate_dead_code.ts";
import { decodeData } from "../../../lib/builder/tensor_data.ts";
import type { Graph } from "../../../lib/builder/ir.ts";

const foldAndClean = (g: Graph) => {
  foldConstants(g);
  eliminateDeadCode(g);
};

Deno.test({
  name: "fold_constants: constant arithmetic chain folds into one initializer",
  ignore: NO_FIXTURES || !hasFixture("const_chain"),
  fn: async () => {
    const r = await runPass("const_chain", foldAndClean);
    assertEquals(r.before, { Mul: 1, Sqrt: 1, Add: 1 });
    assertEquals(r.after, { Add: 1 });
    const k3 = r.graph.tensors.get("k3")!;
    const v = [...decodeData(k3.data!, k3.dtype)];
    assert(v.every((x, i) => Math.abs(x - Math.sqrt(2 * (i + 1))) < 1e-6), `k3 = ${v}`);
  },
});

Deno.test({
  name: "fold_constants: static Shape->Gather->Unsqueeze->Concat->Reshape subgraph folds",
  ignore: NO_FIXTURES || !hasFixture("shape_reshape"),
  fn: async () => {
    const r = await runPass("shape_reshape", foldAndClean);
    assert((r.before.Concat ?? 0) >= 1 && (r.before.Unsqueeze ?? 0) >= 1, JSON.stringify(r.before));
    for (const op of ["Shape", "Gather", "Unsqueeze", "Concat", "Constant"]) assertEquals(r.after[op], undefined, op);
    assertEquals(r.after.Reshape, 1);
    const reshape = r.graph.nodes.find((n) => n.op === "Reshape")!;
    assert(r.graph.tensors.get(reshape.inputs[1])!.data, "reshape shape is a constant");
  },
});

Deno.test({
  name: "fold_constants: dynamic batch keeps the Shape subgraph but folds static parts",
  ignore: NO_FIXTURES || !hasFixture("dynamic_batch"),
  fn: async () => {
    const r = await runPass("dynamic_batch", foldAndClean);
    assertEquals(r.after.Shape, r.before.Shape, "Shape of a dynamic tensor stays");
  },
});
