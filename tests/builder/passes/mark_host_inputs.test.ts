// mark_host_inputs: graph inputs whose values are read as shapes get placement "host" (and the plan's host flag).
import { assertEquals } from "../_assert.ts";
import { hasFixture, loadFixture, NO_FIXTURES } from "../_fixtures.ts";
import { optimize } from "../../../lib/builder/optimize.ts";
import { markHostInputs } from "../../../lib/builder/passes/mark_host_inputs.ts";
import { inferShapes } from "../../../lib/builder/shape_inference.ts";
import { serializePlan, TENSOR_HOST, TENSOR_INPUT } from "../../../lib/builder/plan.ts";
import { GraphBuilder, int } from "../../engine/_graph.ts";

const hostInputs = (g: { inputs: string[]; tensors: Map<string, { placement?: string }> }) =>
  g.inputs.filter((n) => g.tensors.get(n)!.placement === "host");

for (
  const [name, want] of [["constantofshape", ["x0"]], ["range", ["x0", "x1", "x2"]], ["conv_basic", []], [
    "dynamic_batch",
    [],
  ]] as const
) {
  Deno.test({
    name: `mark_host_inputs: ${name} -> [${want.join(", ")}]`,
    ignore: NO_FIXTURES || !hasFixture(name),
    fn: async () => {
      const f = await loadFixture(name);
      const rep = optimize(f.graph);
      assertEquals(hostInputs(f.graph), [...want]);
      assertEquals(rep.passes.find((p) => p.pass === "mark_host_inputs")!.changed, want.length);
    },
  });
}

Deno.test("mark_host_inputs: through small shape arithmetic, not through data; the plan carries the host flag", () => {
  const b = new GraphBuilder();
  b.input("dims", [2], "int64");
  b.input("x", [4, 8]);
  const [full] = b.node("Concat", ["dims", b.constI64("one", [1])], [[3]], { axis: int(0) }, "int64");
  const [filled] = b.node("ConstantOfShape", [full], [["a", "b", "c"]]);
  const [y] = b.node("Relu", ["x"], [[4, 8]]);
  b.output(filled, y);
  inferShapes(b.g);
  assertEquals(markHostInputs(b.g), 1);
  assertEquals(hostInputs(b.g), ["dims"]);
  assertEquals(b.g.tensors.get(full)!.placement, undefined, "the Concat itself is left to the shim's host marking");
  // The plan's tensor table: dims is input + host, x input only (flags are the u32 after the dims of each tensor).
  b.g.profiles.push({ dims: { min: [2], opt: [2], max: [2] }, x: { min: [4, 8], opt: [4, 8], max: [4, 8] } });
  const plan = serializePlan(b.g);
  const flagsOf = (name: string) => {
    const enc = new TextEncoder().encode(name);
    const v = new DataView(plan.buffer);
    for (let o = 128; o < plan.length - enc.length; o++) {
      if (v.getUint32(o, true) !== enc.length || !enc.every((c, i) => plan[o + 4 + i] === c)) continue;
      let p = o + 4 + enc.length + 4; // name, dtype
      const rank = v.getUint32(p, true);
      p += 4 + 8 * rank;
      for (let d = 0; d < rank; d++) p += 4 + v.getUint32(p, true);
      return v.getUint32(p, true);
    }
    throw new Error(`${name} not found in the plan`);
  };
  assertEquals(flagsOf("dims"), TENSOR_INPUT | TENSOR_HOST);
  assertEquals(flagsOf("x"), TENSOR_INPUT);
});
