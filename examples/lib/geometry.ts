/** Plane geometry for text boxes: convex hull, minimum-area rectangle, corner order, point in polygon. */
export type Point = [number, number];

/** A rotated rectangle: centre, side lengths, and the direction of the `width` side (radians). */
export interface RotatedRect {
  cx: number;
  cy: number;
  width: number;
  height: number;
  angle: number;
}

function cross(o: Point, a: Point, b: Point): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** Convex hull (Andrew's monotone chain), counter-clockwise in y-up terms, no collinear points. */
export function convexHull(points: readonly Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const lower: Point[] = [], upper: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/**
 * The smallest-area rectangle holding the points (what cv2.minAreaRect computes): one of its sides lies along an
 * edge of the convex hull, so each hull edge's direction is tried (rotating calipers, done plainly: hulls of text
 * regions have few points).
 */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  const hull = convexHull(points);
  if (hull.length === 0) return { cx: 0, cy: 0, width: 0, height: 0, angle: 0 };
  if (hull.length === 1) return { cx: hull[0][0], cy: hull[0][1], width: 0, height: 0, angle: 0 };
  let best: RotatedRect | null = null, bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i], b = hull[(i + 1) % hull.length];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len, uy = (b[1] - a[1]) / len; // along the edge; (-uy, ux) across it
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const q of hull) {
      const u = q[0] * ux + q[1] * uy, v = -q[0] * uy + q[1] * ux;
      minU = Math.min(minU, u), maxU = Math.max(maxU, u), minV = Math.min(minV, v), maxV = Math.max(maxV, v);
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      const mu = (minU + maxU) / 2, mv = (minV + maxV) / 2;
      best = { cx: mu * ux - mv * uy, cy: mu * uy + mv * ux, width: maxU - minU, height: maxV - minV, angle: Math.atan2(uy, ux) };
    }
  }
  return best!;
}

/** The rectangle's four corners (in no particular order; see orderCorners). */
export function rectCorners(r: RotatedRect): Point[] {
  const ux = Math.cos(r.angle), uy = Math.sin(r.angle), w = r.width / 2, h = r.height / 2;
  return [[-w, -h], [w, -h], [w, h], [-w, h]].map(([u, v]) => [r.cx + u * ux - v * uy, r.cy + u * uy + v * ux] as Point);
}

/**
 * PaddleOCR's corner order (get_mini_boxes): of the two leftmost corners the upper is first (top-left) and the lower
 * last (bottom-left); of the two rightmost the upper is second (top-right), the lower third (bottom-right).
 */
export function orderCorners(pts: readonly Point[]): Point[] {
  const p = [...pts].sort((a, b) => a[0] - b[0]);
  const [tl, bl] = p[1][1] > p[0][1] ? [p[0], p[1]] : [p[1], p[0]];
  const [tr, br] = p[3][1] > p[2][1] ? [p[2], p[3]] : [p[3], p[2]];
  return [tl, tr, br, bl];
}

export function polygonArea(pts: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < pts.length; i++) {
    const [a, b] = [pts[i], pts[(i + 1) % pts.length]];
    s += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(s) / 2;
}

/** Whether (x, y) is inside or on the boundary of a convex polygon (either winding). */
export function insideConvex(pts: readonly Point[], x: number, y: number): boolean {
  let pos = false, neg = false;
  for (let i = 0; i < pts.length; i++) {
    const c = cross(pts[i], pts[(i + 1) % pts.length], [x, y]);
    if (c > 1e-9) pos = true;
    if (c < -1e-9) neg = true;
    if (pos && neg) return false;
  }
  return true;
}
