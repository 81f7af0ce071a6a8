import { assert, assertEquals } from "../_assert.ts";
import { hasFixture, NO_FIXTURES } from "../_fixtures.ts";
import { runPass } from "../_pass_harness.ts";
import { markHostTensors } from "../../../lib/builder/passes/mark_host_tensors.ts";
import { foldConstants } from "../../../lib/builder/passes/fold_constants.ts";
import { eliminateDeadCode } from "../../../lib/builder/passes/eliminate_dead_code.ts";
import type { Graph } from "../../../lib/builder/ir.ts";

const fold = (g: Graph) => {
  foldConstants(g);
  eliminateDeadCode(g);
};

Deno.test({
  name: "mark_host_tensors: dynamic-batch Reshape shape subgraph goes to the host",
  ignore: NO_FIXTURES || !hasFixture("dynamic_batch"),
  fn: async () => {
    const r = await runPass("dynamic_batch", markHostTensors, [fold]);
    const g = r.graph;
    assertEquals(r.before, r.after, "marking does not change nodes");
    const reshape = g.nodes.find((n) => n.op === "Reshape")!;
    const shapeT = g.tensors.get(reshape.inputs[1])!;
    assertEquals(shapeT.placement, "host");
    const shapeNode = g.nodes.find((n) => n.op === "Shape")!;
    assertEquals(g.tensors.get(shapeNode.outputs[0])!.placement, "host");
    assertEquals(g.tensors.get(shapeNode.inputs[0])!.placement, "device", "Shape's input stays on the device");
    assertEquals(g.tensors.get(reshape.inputs[0])!.placement, "device");
    const hostCount = [...g.tensors.values()].filter((t) => t.placement === "host").length;
    assert(hostCount >= 2 && hostCount <= 6, `host tensors: ${hostCount}`);
  },
});

Deno.test({
  name: "mark_host_tensors: a fully static model has no host tensors",
  ignore: NO_FIXTURES || !hasFixture("shape_reshape"),
  fn: async () => {
    const r = await runPass("shape_reshape", markHostTensors, [fold]);
    assertEquals([...r.graph.tensors.values()].filter((t) => t.placement === "host").length, 0);
  },
});
