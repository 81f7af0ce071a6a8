/**
 * Greedy non-maximum suppression, class by class (boxes of different classes never suppress each other), as
 * YOLOX's postprocess does with torchvision's batched_nms: continuous coordinates, area = w * h (no +1).
 */
import type { Box, Detection } from "./yolox_decode.ts";

export function area(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (area(a) + area(b) - inter);
}

/** Indices kept, best score first: a box goes when its IoU with a kept, higher-scoring box exceeds the threshold. */
export function nms(boxes: readonly Box[], scores: readonly number[], iouThreshold: number): number[] {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const keep: number[] = [];
  for (const i of order) {
    if (keep.every((j) => iou(boxes[i], boxes[j]) <= iouThreshold)) keep.push(i);
  }
  return keep;
}

/** NMS within each class; the result is sorted by score, best first, and capped at `maxDetections`. */
export function classwiseNms(dets: readonly Detection[], iouThreshold: number, maxDetections = Infinity): Detection[] {
  const byClass = new Map<number, Detection[]>();
  for (const d of dets) {
    const list = byClass.get(d.classIndex);
    if (list) list.push(d);
    else byClass.set(d.classIndex, [d]);
  }
  const kept: Detection[] = [];
  for (const list of byClass.values()) {
    for (const i of nms(list.map((d) => d.box), list.map((d) => d.score), iouThreshold)) kept.push(list[i]);
  }
  kept.sort((a, b) => b.score - a.score);
  return kept.slice(0, maxDetections);
}
