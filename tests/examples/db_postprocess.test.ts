// DB post-processing pieces (regions, hull, minimum-area rectangle, score, unclip) and the whole, on synthetic maps.
import { assert, assertEquals } from "../_assert.ts";
import { boxScore, connectedRegions, dbPostprocess, unclip } from "../../examples/lib/db_postprocess.ts";
import { convexHull, insideConvex, minAreaRect, orderCorners, type Point, polygonArea, rectCorners } from "../../examples/lib/geometry.ts";

const close = (a: number, b: number, eps = 1e-6) => Math.abs(a - b) <= eps;

Deno.test("connectedRegions: 8-connected (diagonals join), numbered in raster order", () => {
  const m = new Uint8Array([
    1, 0, 0, 1,
    0, 1, 0, 1,
    0, 0, 0, 0,
    1, 1, 0, 0,
  ]);
  const r = connectedRegions(m, 4, 4);
  assertEquals(r.count, 3);
  assertEquals(Array.from(r.labels), [1, 0, 0, 2, 0, 1, 0, 2, 0, 0, 0, 0, 3, 3, 0, 0]);
  // an anti-diagonal step and a U shape (joined only from below) are each one region
  assertEquals(connectedRegions(new Uint8Array([0, 1, 1, 0]), 2, 2).count, 1);
  const u = connectedRegions(new Uint8Array([1, 0, 1, 1, 0, 1, 1, 1, 1]), 3, 3);
  assertEquals([u.count, u.labels[2]], [1, 1]);
});

Deno.test("convexHull drops interior and collinear points", () => {
  const h = convexHull([[0, 0], [2, 0], [4, 0], [4, 4], [0, 4], [2, 2], [1, 3], [0, 2]]);
  assertEquals(h.length, 4);
  assertEquals(polygonArea(h), 16);
});

Deno.test("minAreaRect: an axis-aligned block, and a rotated rectangle against a brute-force search", () => {
  const block: Point[] = [];
  for (let y = 20; y < 30; y++) for (let x = 10; x < 50; x++) block.push([x, y]);
  const r = minAreaRect(block);
  const [w, h] = [Math.max(r.width, r.height), Math.min(r.width, r.height)];
  assert(close(w, 39) && close(h, 9) && close(r.cx, 29.5) && close(r.cy, 24.5), JSON.stringify(r));

  // pixel centres inside a 60 x 12 rectangle turned by 10 degrees
  const th = (10 * Math.PI) / 180, pts: Point[] = [];
  for (let y = 0; y < 80; y++) {
    for (let x = 0; x < 120; x++) {
      const u = (x - 60) * Math.cos(th) + (y - 40) * Math.sin(th), v = -(x - 60) * Math.sin(th) + (y - 40) * Math.cos(th);
      if (Math.abs(u) <= 30 && Math.abs(v) <= 6) pts.push([x, y]);
    }
  }
  const rot = minAreaRect(pts);
  let best = Infinity;
  for (let a = 0; a < 180; a += 0.02) {
    const c = Math.cos((a * Math.PI) / 180), s = Math.sin((a * Math.PI) / 180);
    const us = pts.map(([x, y]) => x * c + y * s), vs = pts.map(([x, y]) => -x * s + y * c);
    best = Math.min(best, (Math.max(...us) - Math.min(...us)) * (Math.max(...vs) - Math.min(...vs)));
  }
  assert(rot.width * rot.height <= best + 1e-6, `calipers ${rot.width * rot.height} vs brute force ${best}`);
  const long = rot.width >= rot.height ? rot.angle : rot.angle + Math.PI / 2;
  const deg = ((((long * 180) / Math.PI) % 180) + 180) % 180;
  assert(Math.abs(deg - 10) < 2 || Math.abs(deg - 190) < 2, `angle ${deg}`);
  assert(Math.abs(Math.max(rot.width, rot.height) - 60) < 2 && Math.abs(Math.min(rot.width, rot.height) - 12) < 2, JSON.stringify(rot));
});

Deno.test("orderCorners: top-left, top-right, bottom-right, bottom-left (PaddleOCR's get_mini_boxes)", () => {
  const tl: Point = [10, 20], tr: Point = [100, 5], br: Point = [103, 25], bl: Point = [13, 40];
  assertEquals(orderCorners([br, tl, bl, tr]), [tl, tr, br, bl]);
  assertEquals(orderCorners(rectCorners({ cx: 5, cy: 5, width: 4, height: 2, angle: Math.PI / 2 })), [[4, 3], [6, 3], [6, 7], [4, 7]]);
});

Deno.test("boxScore: mean of the map inside the (truncated) quadrilateral", () => {
  const prob = new Float32Array(100).map((_, i) => i % 10); // value = column
  assertEquals(boxScore(prob, 10, 10, [[2, 3], [5.9, 3], [5.9, 4.5], [2, 4.5]]), 3.5); // columns 2..5
  assert(insideConvex([[0, 0], [4, 0], [4, 4], [0, 4]], 4, 2) && !insideConvex([[0, 0], [4, 0], [4, 4], [0, 4]], 4.1, 2));
});

Deno.test("unclip grows each side by area * ratio / perimeter", () => {
  const g = unclip({ cx: 0, cy: 0, width: 100, height: 10, angle: 0.3 }, 1.5);
  const d = (100 * 10 * 1.5) / 220;
  assert(close(g.width, 100 + 2 * d) && close(g.height, 10 + 2 * d) && g.angle === 0.3);
});

function map(w: number, h: number, fill: (x: number, y: number) => number): Float32Array {
  const m = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = fill(x, y);
  return m;
}

Deno.test("dbPostprocess: one block -> one box, worked by hand; scaled to the source image", () => {
  // pixels x 10..49, y 20..29 at 0.9: centres span 39 x 9, so d = 39*9*1.5/96 = 5.484 and the box is
  // x 29.5 +- 24.98 -> 4.52..54.48, y 24.5 +- 9.98 -> 14.52..34.48
  const prob = map(64, 48, (x, y) => (x >= 10 && x < 50 && y >= 20 && y < 30 ? 0.9 : 0.05));
  const boxes = dbPostprocess(prob, 64, 48, 64, 48);
  assertEquals(boxes.length, 1);
  assertEquals(boxes[0].points, [[5, 15], [54, 15], [54, 34], [5, 34]]);
  assert(close(boxes[0].score, 0.9, 1e-6));
  assertEquals(dbPostprocess(prob, 64, 48, 128, 96)[0].points, [[9, 29], [109, 29], [109, 69], [9, 69]]);
});

Deno.test("dbPostprocess: weak regions (box_thresh), thin ones (min_size) and background give nothing", () => {
  const weak = map(64, 48, (x, y) => (x >= 10 && x < 50 && y >= 20 && y < 30 ? 0.5 : 0));
  assertEquals(dbPostprocess(weak, 64, 48, 64, 48).length, 0);
  assertEquals(dbPostprocess(weak, 64, 48, 64, 48, { boxThresh: 0.4 }).length, 1);
  const thin = map(64, 48, (x, y) => (x >= 10 && x < 50 && y >= 20 && y < 22 ? 0.9 : 0));
  assertEquals(dbPostprocess(thin, 64, 48, 64, 48).length, 0);
  assertEquals(dbPostprocess(new Float32Array(64 * 48).fill(0.1), 64, 48, 64, 48).length, 0);
});

Deno.test("dbPostprocess: two lines, one turned by 10 degrees, give two boxes along them", () => {
  const th = (10 * Math.PI) / 180;
  const prob = map(160, 100, (x, y) => {
    if (y >= 10 && y < 22 && x >= 10 && x < 150) return 0.95;
    const u = (x - 80) * Math.cos(th) + (y - 65) * Math.sin(th), v = -(x - 80) * Math.sin(th) + (y - 65) * Math.cos(th);
    return Math.abs(u) <= 50 && Math.abs(v) <= 7 ? 0.9 : 0.02;
  });
  const boxes = dbPostprocess(prob, 160, 100, 160, 100);
  assertEquals(boxes.length, 2);
  const [top, turned] = boxes;
  assert(top.points[0][1] < 10 && top.points[2][1] > 21, `top ${JSON.stringify(top.points)}`);
  const slope = (turned.points[1][1] - turned.points[0][1]) / (turned.points[1][0] - turned.points[0][0]);
  assert(Math.abs(Math.atan(slope) - th) < 0.03, `slope ${slope}, want ${Math.tan(th)}`);
});
