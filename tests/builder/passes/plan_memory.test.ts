import { assert, assertEquals } from "../_assert.ts";
import { hasFixture, loadFixture, NO_FIXTURES } from "../_fixtures.ts";
import { ARENA_ALIGNMENT, planMemory } from "../../../lib/builder/passes/plan_memory.ts";
import { optimize } from "../../../lib/builder/optimize.ts";
import type { Graph } from "../../../lib/builder/ir.ts";
import { GraphBuilder, int, ints } from "../../engine/_graph.ts";

/** Generic check: tensors whose lifetimes overlap never share arena bytes (but a shape-only output and its input). */
export function assertNoLiveOverlap(g: Graph): number {
  const first = new Map<string, number>(), last = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    n.outputs.forEach((o) => o && !first.has(o) && first.set(o, i));
    n.inputs.forEach((x) => x && last.set(x, i));
  });
  const arena = [...g.tensors.values()].filter((t) => t.memory);
  for (const t of arena) {
    assert(t.memory!.offset % ARENA_ALIGNMENT === 0, `${t.name} misaligned`);
    assert(t.memory!.offset + t.memory!.bytes <= g.arenaBytes!, `${t.name} past the arena`);
  }
  let pairs = 0;
  for (let i = 0; i < arena.length; i++) {
    for (let j = i + 1; j < arena.length; j++) {
      const a = arena[i], b = arena[j];
      if ((a.memory!.aliasOf ?? a.name) === (b.memory!.aliasOf ?? b.name)) continue;  // the same bytes on purpose
      const [a0, a1] = [first.get(a.name)!, last.get(a.name) ?? first.get(a.name)!];
      const [b0, b1] = [first.get(b.name)!, last.get(b.name) ?? first.get(b.name)!];
      if (a0 > b1 || b0 > a1) continue;
      pairs++;
      const disjoint = a.memory!.offset + a.memory!.bytes <= b.memory!.offset ||
        b.memory!.offset + b.memory!.bytes <= a.memory!.offset;
      assert(disjoint, `${a.name} [${a0},${a1}] and ${b.name} [${b0},${b1}] overlap in memory`);
    }
  }
  return pairs;
}

Deno.test({
  name: "plan_memory: chain arena is smaller than the sum of activations; no live overlap",
  ignore: NO_FIXTURES || !hasFixture("conv_chain"),
  fn: async () => {
    const { graph: g } = await loadFixture("conv_chain");
    const rep = planMemory(g);
    // 11 intermediates of 8x16x16 floats = 8 KiB each.
    assertEquals(rep.planned, 11);
    assertEquals(rep.activationBytes, 11 * 8 * 16 * 16 * 4);
    assert(rep.arenaBytes <= 2 * 8192, `arena ${rep.arenaBytes} should be two buffers`);
    assert(rep.arenaBytes < rep.activationBytes / 4, `ratio ${rep.arenaBytes / rep.activationBytes}`);
    assertEquals(g.arenaBytes, rep.arenaBytes);
    assert(assertNoLiveOverlap(g) > 0, "the check saw overlapping lifetimes");
  },
});

Deno.test({
  name: "plan_memory: overlap checker catches a bad plan",
  ignore: NO_FIXTURES || !hasFixture("conv_chain"),
  fn: async () => {
    const { graph: g } = await loadFixture("conv_chain");
    planMemory(g);
    for (const t of g.tensors.values()) if (t.memory) t.memory.offset = 0;
    let threw = false;
    try {
      assertNoLiveOverlap(g);
    } catch {
      threw = true;
    }
    assert(threw, "all-zero offsets must be detected");
  },
});

Deno.test({
  name: "plan_memory: sizes follow the profile max shapes (dynamic batch)",
  ignore: NO_FIXTURES || !hasFixture("dynamic_batch"),
  fn: async () => {
    const profiles = [{ x: { min: [1, 3, 8, 8], opt: [4, 3, 8, 8], max: [8, 3, 8, 8] } }];
    const { graph: g } = await loadFixture("dynamic_batch", { profiles });
    const rep = optimize(g).memory;
    assertEquals(rep.unplanned, []);
    const conv = g.nodes.find((n) => n.op === "Conv")!;
    // Conv output: [N, 8, 4, 4] float32 at N = 8.
    assertEquals(g.tensors.get(conv.outputs[0])!.memory!.bytes, 8 * 8 * 4 * 4 * 4);
    assertNoLiveOverlap(g);
  },
});

Deno.test({
  name: "plan_memory: residual block (tensor live across several nodes) has no overlap",
  ignore: NO_FIXTURES || !hasFixture("residual_block"),
  fn: async () => {
    const { graph: g } = await loadFixture("residual_block");
    planMemory(g);
    assert(assertNoLiveOverlap(g) > 0);
  },
});

Deno.test({
  name: "plan_memory: a Reshape's output shares its input's bytes, which stay reserved while either is read",
  ignore: NO_FIXTURES || !hasFixture("shape_reshape"),
  fn: async () => {
    const { graph: g } = await loadFixture("shape_reshape");
    const rep = optimize(g).memory;
    const shapeOnly = g.nodes.filter((n) => ["Reshape", "Flatten"].includes(n.op) && g.tensors.get(n.outputs[0])?.memory);
    assert(shapeOnly.length > 0 && rep.aliased === shapeOnly.length, `${rep.aliased} aliased, ${JSON.stringify(shapeOnly)}`);
    for (const n of shapeOnly) {
      const x = g.tensors.get(n.inputs[0])!, y = g.tensors.get(n.outputs[0])!;
      assertEquals(y.memory!.offset, x.memory!.offset);
      assertEquals(y.memory!.aliasOf, x.memory!.aliasOf ?? x.name);
    }
    assertNoLiveOverlap(g);
  },
});

/** x [N, H, 1, 8] → Relu → Transpose(perm) → Relu → y, with N and H symbolic and the given profile. */
function transposeGraph(perm: number[], hMax: number): Graph {
  const t = (name: string, shape: (number | string)[]) => ({ name, dtype: "float32" as const, shape });
  const tensors = new Map([
    ["x", t("x", ["N", "H", 1, 8])],
    ["a", t("a", ["N", "H", 1, 8])],
    ["b", t("b", perm.map((p) => (["N", "H", 1, 8] as (number | string)[])[p]))],
    ["y", t("y", perm.map((p) => (["N", "H", 1, 8] as (number | string)[])[p]))],
  ]);
  return {
    name: "transpose_alias",
    opset: 17,
    inputs: ["x"],
    outputs: ["y"],
    tensors,
    nodes: [
      { name: "r0", op: "Relu", inputs: ["x"], outputs: ["a"], attrs: {} },
      { name: "tr", op: "Transpose", inputs: ["a"], outputs: ["b"], attrs: { perm: { type: "ints", value: perm } } },
      { name: "r1", op: "Relu", inputs: ["b"], outputs: ["y"], attrs: {} },
    ],
    profiles: [{ x: { min: [1, 1, 1, 8], opt: [2, 1, 1, 8], max: [4, hMax, 1, 8] } }],
  };
}

Deno.test("plan_memory: a Transpose that moves only dims of size 1 shares its input's bytes; others get their own", () => {
  // [N, 1, 1, 8] → [N, 8, 1, 1] (NHWC back to NCHW after a global pool): the same bytes in the same order.
  const pooled = transposeGraph([0, 3, 1, 2], 1);
  assertEquals(planMemory(pooled).aliased, 1);
  assertEquals(pooled.tensors.get("b")!.memory!.aliasOf, "a");
  assertEquals(pooled.tensors.get("b")!.memory!.offset, pooled.tensors.get("a")!.memory!.offset);
  assertNoLiveOverlap(pooled);
  // H can be 2 under the profile: the same permutation then really moves data.
  const tall = transposeGraph([0, 3, 1, 2], 2);
  assertEquals(planMemory(tall).aliased, 0);
  assert(tall.tensors.get("b")!.memory!.aliasOf === undefined);
  assertNoLiveOverlap(tall);
  // Swapping the two non-unit dims N and 8 is a real transpose even with H = 1.
  const swapped = transposeGraph([3, 1, 2, 0], 1);
  assertEquals(planMemory(swapped).aliased, 0);
});

Deno.test("plan_memory: a Concat's inputs stay alive through its only reader when that reader is the next node", () => {
  // a, b -> Concat -> Conv 1x1 -> y (an executor may have the conv read a and b in place of the Concat's output, so
  // the conv's output must not take their bytes); with a node between the Concat and its reader, they are released
  // at the Concat as usual.
  for (const adjacent of [true, false]) {
    const g = new GraphBuilder();
    g.input("x", [1, 8, 16, 16]);
    const w = (name: string, c: number) => g.constF32(name, [8, c, 1, 1], new Array(8 * c).fill(0.5));
    const conv = (x: string, wt: string, c: number) =>
      g.node("Conv", [x, w(wt, c)], [[1, 8, 16, 16]], { kernel_shape: ints([1, 1]) })[0];
    const a = conv("x", "Wa", 8), b = conv("x", "Wb", 8);
    const [cat] = g.node("Concat", [a, b], [[1, 16, 16, 16]], { axis: int(1) });
    const other = adjacent ? undefined : g.node("Relu", [a], [[1, 8, 16, 16]])[0];
    const [y] = g.node("Conv", [cat, w("Wy", 16)], [[1, 8, 16, 16]], { kernel_shape: ints([1, 1]) });
    const [z] = g.node("Add", [y, y], [[1, 8, 16, 16]]);
    g.output(z);
    if (other) g.output(other);
    planMemory(g.g);
    assertNoLiveOverlap(g.g);
    const mem = (t: string) => g.g.tensors.get(t)!.memory!;
    const overlaps = (s: string, t: string) =>
      mem(s).offset < mem(t).offset + mem(t).bytes && mem(t).offset < mem(s).offset + mem(s).bytes;
    if (adjacent) {
      assert(!overlaps(y, a) && !overlaps(y, b), "the reader's output shares a Concat input's bytes");
    } else {
      // Released at the Concat (or the Relu): the 8 KiB conv output may reuse them; the arena says it does.
      assert(overlaps(y, a) || overlaps(y, b), "the Concat's inputs were kept alive without an adjacent reader");
    }
  }
});
