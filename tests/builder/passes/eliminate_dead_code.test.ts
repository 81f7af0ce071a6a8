import { assertEquals } from "../_assert.ts";
import { hasFixture, NO_FIXTURES } from "../_fixtures.ts";
import { runPass } from "../_pass_harness.ts";
import { eliminateDeadCode } from "../../../lib/builder/passes/eliminate_dead_code.ts";
import type { Graph } from "../../../lib/builder/ir.ts";

Deno.test({
  name: "eliminate_dead_code: unused branch and its initializers are removed",
  ignore: NO_FIXTURES || !hasFixture("conv_bn_relu"),
  fn: async () => {
    const addDeadBranch = (g: Graph) => {
      g.nodes.push({ name: "dead_sig", op: "Sigmoid", inputs: ["r"], outputs: ["dead1"], attrs: {} });
      g.nodes.push({ name: "dead_mul", op: "Mul", inputs: ["dead1", "dead1"], outputs: ["dead2"], attrs: {} });
      g.tensors.set("unused_const", { name: "unused_const", dtype: "float32", shape: [1], data: new Uint8Array(4) });
    };
    let sizeBefore = 0;
    const r = await runPass("conv_bn_relu", (g) => {
      sizeBefore = g.tensors.size;
      eliminateDeadCode(g);
    }, [addDeadBranch]);
    assertEquals(r.before.Sigmoid, 1);
    assertEquals(r.after, { Conv: 1, BatchNormalization: 2, Relu: 1 });
    assertEquals(r.graph.tensors.has("unused_const"), false);
    assertEquals(sizeBefore - r.graph.tensors.size, 3, "dead1, dead2, unused_const");
  },
});
