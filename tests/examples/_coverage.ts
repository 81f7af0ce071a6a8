/** Whether detected text boxes are the text lines drawn into examples/data/ocr_sample.png. */
import { assert, assertEquals } from "../_assert.ts";
import type { TextBox } from "../../examples/lib/db_postprocess.ts";
import { insideConvex, type Point, polygonArea } from "../../examples/lib/geometry.ts";
import { SAMPLE_LINES } from "./_helpers.ts";

export interface Line {
  text: string;
  /** The ink's quadrilateral, pixel corners, clockwise from top-left (make_ocr_image.ts). */
  quad: Point[];
}

export function sampleLines(): Line[] {
  return JSON.parse(Deno.readTextFileSync(SAMPLE_LINES)).lines;
}

/**
 * The boxes are the text lines: as many boxes as lines; every line's ink quad, less a 2-pixel rim (where only the
 * tips of the tallest glyphs are), covered to at least 97% by the boxes (a grid of cell centres over it); every box's
 * centre on a line, and no box more than twice its line's area. (On straight lines the detected boxes lean by a
 * fraction of a degree and sit a pixel or two low at this size, so the full ink quad is covered to only ~90%.)
 */
export function assertBoxesCoverLines(boxes: readonly Pick<TextBox, "points">[], lines: readonly Line[]): void {
  assertEquals(boxes.length, lines.length, `${boxes.length} boxes for ${lines.length} lines: ${JSON.stringify(boxes.map((b) => b.points))}`);
  const quads = lines.map((l) => l.quad);
  lines.forEach((line, k) => {
    const [a, b, , d] = quads[k];
    const [lu, lv] = [Math.hypot(b[0] - a[0], b[1] - a[1]), Math.hypot(d[0] - a[0], d[1] - a[1])];
    const [mu, mv] = [2 / lu, 2 / lv]; // the rim, as fractions of the sides
    let inside = 0, total = 0;
    for (let i = 0; i < 40; i++) {
      for (let j = 0; j < 8; j++) {
        const [u, v] = [mu + ((1 - 2 * mu) * (i + 0.5)) / 40, mv + ((1 - 2 * mv) * (j + 0.5)) / 8];
        const p: Point = [a[0] + u * (b[0] - a[0]) + v * (d[0] - a[0]), a[1] + u * (b[1] - a[1]) + v * (d[1] - a[1])];
        total++;
        if (boxes.some((box) => insideConvex(box.points, p[0], p[1]))) inside++;
      }
    }
    assert(inside / total >= 0.97, `line "${line.text}": only ${((100 * inside) / total).toFixed(1)}% inside the boxes`);
  });
  for (const box of boxes) {
    const c: Point = [box.points.reduce((s, p) => s + p[0], 0) / 4, box.points.reduce((s, p) => s + p[1], 0) / 4];
    const k = quads.findIndex((q) => insideConvex(q, c[0], c[1]));
    assert(k >= 0, `box ${JSON.stringify(box.points)} is on no text line`);
    assert(polygonArea(box.points) <= 2 * polygonArea(quads[k]), `box ${JSON.stringify(box.points)} is far larger than "${lines[k].text}"`);
  }
}

