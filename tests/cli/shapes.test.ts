/** trtexec's shape specs. */
import { formatShape, parseShapeSpec } from "../../cli/shapes.ts";
import { InvalidArgumentError } from "../../mod.ts";
import { assertEquals, assertThrows } from "../_assert.ts";

Deno.test("shape specs: several tensors, quoted names with colons, scalars", () => {
  const s = parseShapeSpec("x:1x3x224x224, 'in:0':8x16,\"b\":4,s:scalar,t:");
  assertEquals([...s], [["x", [1, 3, 224, 224]], ["in:0", [8, 16]], ["b", [4]], ["s", []], ["t", []]]);
  assertEquals(formatShape([1, 3, 8, 8]), "1x3x8x8");
  assertEquals(formatShape([]), "scalar");
});

Deno.test("bad shape specs name the flag and the part", () => {
  assertThrows(() => parseShapeSpec("x1x3x224x224", "--shapes"), InvalidArgumentError, /--shapes: "x1x3x224x224" is not name:dims/);
  assertThrows(() => parseShapeSpec("x:1x3xax224"), InvalidArgumentError, /dimension "a" of 'x'/);
  assertThrows(() => parseShapeSpec("x:1x-3"), InvalidArgumentError, /dimension "-3"/);
  assertThrows(() => parseShapeSpec("x:1x3,x:2x3", "--optShapes"), InvalidArgumentError, /--optShapes: tensor 'x' is given twice/);
  assertThrows(() => parseShapeSpec(":1x3"), InvalidArgumentError, /no tensor name/);
  assertThrows(() => parseShapeSpec(""), InvalidArgumentError, /empty/);
  assertThrows(() => parseShapeSpec("'x:1x3"), InvalidArgumentError, /unterminated quote/);
  assertThrows(() => parseShapeSpec("x:1x3x"), InvalidArgumentError, /dimension ""/);
});
