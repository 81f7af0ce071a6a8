import { assert, assertEquals } from "./_assert.ts";
import { hasFixture, loadFixture, NO_FIXTURES } from "./_fixtures.ts";
import { optimize } from "../../lib/builder/optimize.ts";

Deno.test({
  name: "shape_inference: dynamic batch propagates the symbolic dim N through Shape->Reshape",
  ignore: NO_FIXTURES || !hasFixture("dynamic_batch"),
  fn: async () => {
    const { graph: g } = await loadFixture("dynamic_batch");
    assertEquals(g.tensors.get("x")!.shape, ["N", 3, 8, 8]);
    assertEquals(g.tensors.get("y")!.shape, ["N", 5]);
    const reshape = g.nodes.find((n) => n.op === "Reshape")!;
    assertEquals(g.tensors.get(reshape.outputs[0])!.shape, ["N", 128]);
    // Every 4-D activation keeps N as its batch dim: nothing became "unk".
    for (const n of g.nodes) {
      for (const o of n.outputs) {
        const t = g.tensors.get(o)!;
        if (t.shape.length === 4) assertEquals(t.shape[0], "N", `${o}`);
        assert(!t.shape.some((d) => typeof d === "string" && d.startsWith("unk")), `${o}: [${t.shape}]`);
      }
    }
    optimize(g);
    assertEquals(g.tensors.get("y")!.shape, ["N", 5]);
  },
});

Deno.test({
  name: "shape_inference: auto_pad SAME_UPPER resolves to explicit pads with static shapes",
  ignore: NO_FIXTURES || !hasFixture("conv_same_upper"),
  fn: async () => {
    const { graph: g } = await loadFixture("conv_same_upper");
    const conv = g.nodes[0];
    assertEquals(conv.attrs.auto_pad, undefined);
    // in 7, k 4, s 2 -> out 4, total pad 3: SAME_UPPER puts 1 before, 2 after.
    assertEquals(conv.attrs.pads, { type: "ints", value: [1, 1, 2, 2] });
    assertEquals(conv.attrs.group, { type: "int", value: 1 });
    assertEquals(g.tensors.get(conv.outputs[0])!.shape, [1, 3, 4, 4]);
  },
});
