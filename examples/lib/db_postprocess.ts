/**
 * DB (differentiable binarization) post-processing of a text-probability map into text boxes, following PaddleOCR's
 * DBPostProcess (ppocr/postprocess/db_postprocess.py, score_mode "fast"):
 *   1. bitmap = prob > thresh;
 *   2. each connected region (8-connected; PaddleOCR takes contours, whose outer ones bound the same regions) gives
 *      its minimum-area rectangle, dropped when its short side is under minSize;
 *   3. score = mean probability inside that rectangle, dropped under boxThresh;
 *   4. unclip: PaddleOCR offsets the rectangle outwards by d = area * unclipRatio / perimeter with round joins and
 *      takes the minimum-area rectangle of the result, which is the rectangle grown by d on every side; done directly;
 *   5. dropped when the grown short side is under minSize + 2; corners scaled to the source image and rounded.
 */
import { insideConvex, minAreaRect, orderCorners, type Point, rectCorners, type RotatedRect } from "./geometry.ts";

export interface DbOptions {
  thresh: number;
  boxThresh: number;
  unclipRatio: number;
  maxCandidates: number;
  minSize: number;
}

/** PaddleOCR's defaults for PP-OCRv4 detection. */
export const DB_DEFAULTS: DbOptions = { thresh: 0.3, boxThresh: 0.6, unclipRatio: 1.5, maxCandidates: 1000, minSize: 3 };

export interface TextBox {
  /** Corners in source-image pixels: top-left, top-right, bottom-right, bottom-left. */
  points: Point[];
  /** Mean probability inside the region's rectangle, before unclipping. */
  score: number;
}

export interface Regions {
  /** Per pixel: region number from 1, 0 for background. */
  labels: Int32Array;
  count: number;
}

/** 8-connected regions of `mask` (non-zero pixels), numbered in raster order of their first pixel. */
export function connectedRegions(mask: Uint8Array, width: number, height: number): Regions {
  const labels = new Int32Array(width * height);
  const stack: number[] = [];
  let count = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    labels[start] = ++count;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!, x = p % width, y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          if (mask[q] && !labels[q]) {
            labels[q] = count;
            stack.push(q);
          }
        }
      }
    }
  }
  return { labels, count };
}

/** Each region's pixel centres that can be on its convex hull: the leftmost and rightmost pixel of every row. */
export function regionOutlines(r: Regions, width: number, height: number): Point[][] {
  const out: Point[][] = Array.from({ length: r.count }, () => []);
  for (let y = 0; y < height; y++) {
    let x = 0;
    while (x < width) {
      const l = r.labels[y * width + x];
      if (!l) {
        x++;
        continue;
      }
      let e = x;
      while (e + 1 < width && r.labels[y * width + e + 1] === l) e++;
      out[l - 1].push([x, y], [e, y]);
      x = e + 1;
    }
  }
  return out;
}

/** Mean of `prob` over the pixels inside the quadrilateral (box_score_fast: vertices truncated to whole pixels). */
export function boxScore(prob: Float32Array, width: number, height: number, quad: readonly Point[]): number {
  const xs = quad.map((p) => p[0]), ys = quad.map((p) => p[1]);
  const clampX = (v: number) => Math.min(width - 1, Math.max(0, v)), clampY = (v: number) => Math.min(height - 1, Math.max(0, v));
  const x0 = clampX(Math.floor(Math.min(...xs))), x1 = clampX(Math.ceil(Math.max(...xs)));
  const y0 = clampY(Math.floor(Math.min(...ys))), y1 = clampY(Math.ceil(Math.max(...ys)));
  const poly = quad.map(([x, y]) => [Math.trunc(x), Math.trunc(y)] as Point);
  let sum = 0, n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (insideConvex(poly, x, y)) {
        sum += prob[y * width + x];
        n++;
      }
    }
  }
  return n ? sum / n : 0;
}

/** PaddleOCR's unclip of a rectangle: grown by area * ratio / perimeter on every side. */
export function unclip(r: RotatedRect, ratio: number): RotatedRect {
  const perimeter = 2 * (r.width + r.height);
  const d = perimeter > 0 ? (r.width * r.height * ratio) / perimeter : 0;
  return { ...r, width: r.width + 2 * d, height: r.height + 2 * d };
}

/**
 * Text boxes from a probability map of mapWidth x mapHeight (the network's output for a resized image), in the
 * coordinates of the source image of srcWidth x srcHeight.
 */
export function dbPostprocess(
  prob: Float32Array,
  mapWidth: number,
  mapHeight: number,
  srcWidth: number,
  srcHeight: number,
  options: Partial<DbOptions> = {},
): TextBox[] {
  const o = { ...DB_DEFAULTS, ...options };
  if (prob.length !== mapWidth * mapHeight) throw new RangeError(`the probability map has ${prob.length} values, not ${mapWidth}x${mapHeight}`);
  const mask = new Uint8Array(prob.length);
  for (let i = 0; i < prob.length; i++) mask[i] = prob[i] > o.thresh ? 1 : 0;
  const regions = connectedRegions(mask, mapWidth, mapHeight);
  const outlines = regionOutlines(regions, mapWidth, mapHeight).slice(0, o.maxCandidates);
  const boxes: TextBox[] = [];
  for (const pts of outlines) {
    const rect = minAreaRect(pts);
    if (Math.min(rect.width, rect.height) < o.minSize) continue;
    const score = boxScore(prob, mapWidth, mapHeight, orderCorners(rectCorners(rect)));
    if (score < o.boxThresh) continue;
    const grown = unclip(rect, o.unclipRatio);
    if (Math.min(grown.width, grown.height) < o.minSize + 2) continue;
    const points = orderCorners(rectCorners(grown)).map(([x, y]) => [
      Math.min(srcWidth, Math.max(0, Math.round((x / mapWidth) * srcWidth))),
      Math.min(srcHeight, Math.max(0, Math.round((y / mapHeight) * srcHeight))),
    ] as Point);
    // PaddleOCR's filter_tag_det_res: boxes 3 pixels or less across after clipping are dropped
    if (Math.hypot(points[1][0] - points[0][0], points[1][1] - points[0][1]) <= 3) continue;
    if (Math.hypot(points[3][0] - points[0][0], points[3][1] - points[0][1]) <= 3) continue;
    boxes.push({ points, score });
  }
  return boxes;
}
