// Drawing: rectangles, lines, polygons and bitmap-font labels land on the pixels they should, clipped at the edges.
import { assert, assertEquals } from "../_assert.ts";
import { drawLabel, drawLine, drawText, palette, strokePolygon, strokeRect, textSize } from "../../examples/lib/draw.ts";
import { glyph } from "../../examples/lib/font5x7.ts";
import { newImage, type Rgba } from "../../examples/lib/image.ts";
import { yoloxIo } from "../../examples/lib/yolox_io.ts";
import { COCO_CLASSES, className } from "../../examples/lib/coco.ts";
import { ShapeError, TensorIOMode } from "../../mod.ts";
import { assertThrows } from "../_assert.ts";

const set = (img: Rgba, x: number, y: number) => img.data[(y * img.width + x) * 4 + 3] === 255;

Deno.test("strokeRect draws the outline inside the box and leaves the inside alone", () => {
  const img = newImage(10, 10);
  strokeRect(img, [2, 2, 8, 8], [255, 0, 0], 1);
  for (let i = 2; i < 8; i++) assert(set(img, i, 2) && set(img, i, 7) && set(img, 2, i) && set(img, 7, i), `edge ${i}`);
  assert(!set(img, 4, 4) && !set(img, 1, 1) && !set(img, 8, 8));
  assertEquals(Array.from(img.data.subarray((2 * 10 + 2) * 4, (2 * 10 + 2) * 4 + 4)), [255, 0, 0, 255]);
});

Deno.test("drawLine and strokePolygon: Bresenham, clipped", () => {
  const img = newImage(6, 6);
  drawLine(img, 0, 0, 4, 4, [0, 255, 0], 1);
  for (let i = 0; i <= 4; i++) assert(set(img, i, i));
  assert(!set(img, 1, 0) && !set(img, 5, 5));
  const p = newImage(6, 6);
  strokePolygon(p, [[-3, 1], [8, 1], [8, 4], [-3, 4]], [0, 0, 255], 1); // mostly outside: no throw
  assert(set(p, 0, 1) && set(p, 5, 1) && set(p, 0, 4) && !set(p, 2, 2));
});

Deno.test("drawText renders glyph rows; labels sit above a box, or below at the top edge", () => {
  assertEquals(textSize("ab", 2), { width: 22, height: 14 });
  const img = newImage(8, 8);
  drawText(img, 0, 0, "1", [255, 255, 255], 1);
  const rows = glyph("1");
  for (let y = 0; y < 7; y++) for (let x = 0; x < 5; x++) assertEquals(set(img, x, y), Boolean(rows[y] & (16 >> x)), `(${x}, ${y})`);
  assertEquals(glyph("Z"), glyph("z"));
  assertEquals(glyph("\u00e9"), glyph("?"));
  const pic = newImage(100, 60);
  drawLabel(pic, 10, 40, "dog", [200, 0, 0]);
  assert(set(pic, 10, 40 - 18) && !set(pic, 10, 41), "above the box");
  const top = newImage(100, 60);
  drawLabel(top, 10, 2, "dog", [200, 0, 0]);
  assert(set(top, 10, 2) && set(top, 10, 19), "below the top edge");
  assert(palette(0).join() !== palette(1).join() && palette(1).join() !== palette(2).join());
});

Deno.test("COCO names and yoloxIo's checks of a model's inputs and outputs", () => {
  assertEquals([COCO_CLASSES.length, className(0), className(79), className(80)], [80, "person", "toothbrush", "class 80"]);
  const t = (name: string, shape: number[], mode = TensorIOMode.INPUT) => ({ name, dtype: "float32" as const, shape, mode });
  const out = (shape: number[]) => [t("output", shape, TensorIOMode.OUTPUT)];
  assertEquals(yoloxIo([t("images", [1, 3, 640, 640])], out([1, 8400, 85])), { input: "images", output: "output", width: 640, height: 640 });
  assertEquals(yoloxIo([t("images", [-1, 3, 416, 416])], out([-1, 3549, 85])).width, 416);
  assertThrows(() => yoloxIo([t("x", [-1, 3, -1, -1])], out([-1, 1, -1, -1])), ShapeError, /dynamic height or width/);
  assertThrows(() => yoloxIo([t("x", [1, 1, 28, 28])], out([1, 10])), ShapeError, /input is 'x' float32 \[1, 1, 28, 28\]/);
  assertThrows(() => yoloxIo([t("images", [1, 3, 640, 640])], out([1, 8400])), ShapeError, /output is 'output'/);
  assertThrows(() => yoloxIo([t("images", [1, 3, 640, 640])], out([1, 100, 85])), ShapeError, /8400/);
});
