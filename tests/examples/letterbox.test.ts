// Resize (OpenCV INTER_LINEAR geometry) and YOLOX's letterbox, against values worked out by hand.
import { assert, assertEquals } from "../_assert.ts";
import type { Rgba } from "../../examples/lib/image.ts";
import { letterbox, PAD_VALUE } from "../../examples/lib/letterbox.ts";
import { linearTaps, resizeBilinear } from "../../examples/lib/resize.ts";

/** An RGBA image from per-pixel [r, g, b] rows. */
function image(rows: number[][][]): Rgba {
  const height = rows.length, width = rows[0].length;
  const data = new Uint8ClampedArray(width * height * 4);
  rows.flat().forEach(([r, g, b], i) => data.set([r, g, b, 255], i * 4));
  return { width, height, data };
}

Deno.test("linearTaps: pixel centres aligned, edges clamped (shrink 4 -> 2, grow 2 -> 4)", () => {
  // shrink: dst 0 -> src 0.5 (between 0 and 1), dst 1 -> src 2.5
  const s = linearTaps(4, 2);
  assertEquals(Array.from(s.index), [0, 2]);
  assertEquals(Array.from(s.weight), [0.5, 0.5]);
  // grow: src = (d + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (past the last pixel: clamped)
  const g = linearTaps(2, 4);
  assertEquals(Array.from(g.index), [0, 0, 0, 1]);
  assertEquals(Array.from(g.weight), [0, 0.25, 0.75, 0]);
});

Deno.test("resizeBilinear: a 2x1 ramp grown to 4x2, and a 4x1 row shrunk to 2x1", () => {
  const up = resizeBilinear(image([[[0, 100, 200], [100, 0, 40]]]), 4, 2);
  const red = Array.from({ length: 8 }, (_, i) => up.data[i * 4]);
  assertEquals(red, [0, 25, 75, 100, 0, 25, 75, 100]); // rows identical: one source row
  const blue = Array.from({ length: 4 }, (_, i) => up.data[i * 4 + 2]);
  assertEquals(blue, [200, 160, 80, 40]); // 200 - 0.25*160 = 160, 200 - 0.75*160 = 80
  const down = resizeBilinear(image([[[10, 0, 0], [20, 0, 0], [30, 0, 0], [41, 0, 0]]]), 2, 1);
  assertEquals([down.data[0], down.data[4]], [15, 36]); // (10+20)/2, (30+41)/2 = 35.5 rounds up
});

Deno.test("letterbox: top-left placement, pad 114, BGR planes, 0..255 values, ratio", () => {
  // 4 wide, 2 high into 8x8: r = min(8/2, 8/4) = 2, so the image fills 8x4 and rows 4..7 are padding
  const img = image([
    [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]],
    [[1, 2, 3], [4, 5, 6], [7, 8, 9], [11, 12, 13]],
  ]);
  const lb = letterbox(img, 8, 8);
  assertEquals([lb.ratio, lb.resizedWidth, lb.resizedHeight, lb.data.length], [2, 8, 4, 3 * 64]);
  const at = (c: number, y: number, x: number) => lb.data[c * 64 + y * 8 + x];
  // pixel (0, 0) is pure red: plane 0 (B) 0, plane 1 (G) 0, plane 2 (R) 255
  assertEquals([at(0, 0, 0), at(1, 0, 0), at(2, 0, 0)], [0, 0, 255]);
  // (0, 3) lies 1/4 of the way from source pixel 1 (green) to 2 (blue) horizontally: x = 3.5/2 - 0.5 = 1.25
  assertEquals([at(0, 0, 3), at(1, 0, 3), at(2, 0, 3)], [64, 191, 0]);
  for (let y = 4; y < 8; y++) for (let x = 0; x < 8; x++) for (let c = 0; c < 3; c++) assertEquals(at(c, y, x), PAD_VALUE);
});

Deno.test("letterbox: sizes are truncated as YOLOX does (int(w * r)), and an image that fits is not resized", () => {
  const big = { width: 1000, height: 600, data: new Uint8ClampedArray(1000 * 600 * 4).fill(7) };
  const lb = letterbox(big, 640, 640);
  assertEquals([lb.ratio, lb.resizedWidth, lb.resizedHeight], [0.64, 640, 384]);
  assert(lb.data[384 * 640 - 1] === 7 && lb.data[384 * 640] === PAD_VALUE, "row 383 is image, row 384 padding");
  const odd = letterbox({ width: 333, height: 500, data: new Uint8ClampedArray(333 * 500 * 4) }, 640, 640);
  assertEquals([odd.resizedWidth, odd.resizedHeight], [Math.floor(333 * 1.28), 640]); // 426.24 -> 426
  const same = letterbox(image([[[9, 8, 7]]]), 1, 1);
  assertEquals(Array.from(same.data), [7, 8, 9]);
});
