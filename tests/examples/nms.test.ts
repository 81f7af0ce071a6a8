// IoU and class-wise greedy NMS against hand-worked cases.
import { assert, assertEquals } from "../_assert.ts";
import { classwiseNms, iou, nms } from "../../examples/lib/nms.ts";
import type { Box, Detection } from "../../examples/lib/yolox_decode.ts";

Deno.test("iou: overlap / union with continuous coordinates", () => {
  assertEquals(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
  assertEquals(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  assertEquals(iou([0, 0, 10, 10], [10, 0, 20, 10]), 0); // touching edges
  assertEquals(iou([0, 0, 10, 10], [20, 20, 30, 30]), 0);
  assertEquals(iou([0, 0, 4, 4], [1, 1, 3, 3]), 4 / 16); // one inside the other
});

Deno.test("nms: keeps the best, drops overlaps above the threshold, keeps overlaps at or below it", () => {
  const boxes: Box[] = [[0, 0, 10, 10], [1, 0, 11, 10], [5, 0, 15, 10], [50, 50, 60, 60]];
  const scores = [0.8, 0.9, 0.7, 0.6];
  // 1 (0.9) first; 0 overlaps it by 90/110 > 0.45: dropped; 2 overlaps 1 by 60/140 = 0.43: kept; 3 alone: kept
  assertEquals(nms(boxes, scores, 0.45), [1, 2, 3]);
  assertEquals(nms(boxes, scores, 0.3), [1, 3]);
  assertEquals(nms(boxes, scores, 1), [1, 0, 2, 3]);
  assertEquals(nms([], [], 0.5), []);
  // an overlap exactly at the threshold is kept (dropped only when above it)
  assertEquals(nms([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], 50 / 150), [0, 1]);
});

Deno.test("classwiseNms: classes never suppress each other; sorted by score; capped", () => {
  const d = (box: Box, score: number, classIndex: number): Detection => ({ box, score, classIndex });
  const dets = [d([0, 0, 10, 10], 0.9, 0), d([0, 0, 10, 10], 0.8, 1), d([1, 1, 10, 10], 0.7, 0), d([30, 30, 40, 40], 0.95, 0)];
  const kept = classwiseNms(dets, 0.45);
  assertEquals(kept.map((k) => [k.score, k.classIndex]), [[0.95, 0], [0.9, 0], [0.8, 1]]);
  assertEquals(classwiseNms(dets, 0.45, 2).length, 2);
  assert(classwiseNms([], 0.5).length === 0);
});
