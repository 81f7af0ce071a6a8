import { assertEquals } from "./_assert.ts";
import { cloneGraph, consumers, type Graph, opCounts, type Tensor, topoSort } from "../../lib/builder/ir.ts";

function tiny(): Graph {
  const t = (name: string): Tensor => ({ name, dtype: "float32", shape: [2] });
  return {
    name: "tiny", opset: 17, inputs: ["x"], outputs: ["z"],
    tensors: new Map<string, Tensor>([["x", t("x")], ["y", t("y")], ["z", t("z")], ["c", { ...t("c"), data: new Uint8Array(8) }]]),
    // Deliberately out of order.
    nodes: [
      { name: "b", op: "Add", inputs: ["y", "c"], outputs: ["z"], attrs: {} },
      { name: "a", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} },
    ],
    profiles: [],
  };
}

Deno.test("ir: topoSort orders producers first; consumers map; opCounts", () => {
  const g = tiny();
  assertEquals(topoSort(g).map((n) => n.name), ["a", "b"]);
  assertEquals(consumers(g).get("y")!.map((n) => n.name), ["b"]);
  assertEquals(opCounts(g), { Add: 1, Relu: 1 });
});

Deno.test("ir: topoSort rejects a cycle", () => {
  const g = tiny();
  g.nodes[1].inputs = ["z"];
  let threw = false;
  try {
    topoSort(g);
  } catch {
    threw = true;
  }
  assertEquals(threw, true);
});

Deno.test("ir: cloneGraph is deep for structure", () => {
  const g = tiny();
  const c = cloneGraph(g);
  c.nodes[0].inputs[0] = "q";
  c.tensors.get("x")!.shape[0] = 9;
  assertEquals(g.nodes[0].inputs[0], "y");
  assertEquals(g.tensors.get("x")!.shape, [2]);
});
