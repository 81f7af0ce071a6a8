/** From shape flags to a build profile and run shapes, as trtexec does. */
import { resolveProfile, resolveRunShapes, type ShapeFlags } from "../../cli/resolve.ts";
import { parseShapeSpec } from "../../cli/shapes.ts";
import { InvalidArgumentError, ShapeError } from "../../mod.ts";
import { assertEquals, assertThrows } from "../_assert.ts";

const dyn = [{ name: "x", dims: [-1, 3, 224, 224] }];
const flags = (f: Partial<Record<"shapes" | "minShapes" | "optShapes" | "maxShapes", string>> & { batch?: number } = {}): ShapeFlags => ({
  shapes: f.shapes ? parseShapeSpec(f.shapes) : new Map(),
  minShapes: f.minShapes ? parseShapeSpec(f.minShapes) : new Map(),
  optShapes: f.optShapes ? parseShapeSpec(f.optShapes) : new Map(),
  maxShapes: f.maxShapes ? parseShapeSpec(f.maxShapes) : new Map(),
  batch: f.batch,
});

Deno.test("--shapes fixes min = opt = max; --batch sets a dynamic first dimension; static inputs need nothing", () => {
  const s = [8, 3, 224, 224];
  assertEquals(resolveProfile(dyn, flags({ shapes: "x:8x3x224x224" })), { x: { min: s, opt: s, max: s } });
  assertEquals(resolveProfile(dyn, flags({ batch: 8 })), { x: { min: s, opt: s, max: s } });
  const one = [1, 3, 224, 224];
  assertEquals(resolveProfile(dyn, flags()), { x: { min: one, opt: one, max: one } });
  assertEquals(resolveProfile([{ name: "x", dims: [1, 3, 8, 8] }], flags({ batch: 4 })), undefined);
});

Deno.test("min/opt/max: missing ones come from the others, and the order is checked", () => {
  const r = resolveProfile(dyn, flags({ minShapes: "x:1x3x224x224", maxShapes: "x:32x3x224x224" }))!;
  assertEquals(r.x, { min: [1, 3, 224, 224], opt: [32, 3, 224, 224], max: [32, 3, 224, 224] });
  const o = resolveProfile(dyn, flags({ optShapes: "x:4x3x224x224" }))!;
  assertEquals(o.x.min, [4, 3, 224, 224]);
  assertThrows(() => resolveProfile(dyn, flags({ minShapes: "x:8x3x224x224", maxShapes: "x:4x3x224x224" })), ShapeError, /min <= opt <= max/);
  assertThrows(
    () => resolveProfile(dyn, flags({ minShapes: "x:1x3x224x224", maxShapes: "x:4x3x224x224", shapes: "x:8x3x224x224" })),
    ShapeError,
    /outside its profile/,
  );
});

Deno.test("shapes that cannot fit the model are refused with the model's dims", () => {
  assertThrows(() => resolveProfile(dyn, flags({ shapes: "x:1x3x224" })), ShapeError, /'x' is \[\?, 3, 224, 224\] in the model, got 1x3x224/);
  assertThrows(() => resolveProfile(dyn, flags({ shapes: "x:1x4x224x224" })), ShapeError, /got 1x4x224x224/);
  assertThrows(() => resolveProfile(dyn, flags({ shapes: "y:1x3" })), InvalidArgumentError, /names 'y', which is not an input; the model's inputs are: x/);
  const hw = [{ name: "img", dims: [-1, 3, -1, -1] }];
  assertThrows(() => resolveProfile(hw, flags({ batch: 2 })), ShapeError, /dynamic dimensions \[\?, 3, \?, \?\]: give its shape, e.g. --shapes=img:2x3xNxN/);
  assertEquals(resolveProfile(hw, flags({ shapes: "img:2x3x64x96" }))!.img.opt, [2, 3, 64, 96]);
});

Deno.test("run shapes: --shapes, else the batch for a dynamic first dim, else the profile's opt", () => {
  const inputs = [{ name: "x", shape: [-1, 3, 8, 8], opt: [2, 3, 8, 8] }, { name: "k", shape: [4], opt: [4] }];
  assertEquals([...resolveRunShapes(inputs, { shapes: new Map() })], [["x", [2, 3, 8, 8]], ["k", [4]]]);
  assertEquals(resolveRunShapes(inputs, { shapes: new Map(), batch: 5 }).get("x"), [5, 3, 8, 8]);
  assertEquals(resolveRunShapes(inputs, { shapes: parseShapeSpec("x:3x3x8x8") }).get("x"), [3, 3, 8, 8]);
  assertThrows(() => resolveRunShapes(inputs, { shapes: parseShapeSpec("z:1") }), InvalidArgumentError, /the engine's inputs are: x, k/);
});
