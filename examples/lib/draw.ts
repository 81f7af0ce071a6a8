/** Drawing on RGBA images: rectangles, lines, polygons, and labels in the built-in 5x7 font. Everything is clipped. */
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from "./font5x7.ts";
import type { Rgba } from "./image.ts";

export type Rgb = [number, number, number];

export function setPixel(img: Rgba, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const i = (y * img.width + x) * 4;
  img.data[i] = c[0];
  img.data[i + 1] = c[1];
  img.data[i + 2] = c[2];
  img.data[i + 3] = 255;
}

/** Fills pixels x0 <= x < x1, y0 <= y < y1 (rounded to whole pixels). */
export function fillRect(img: Rgba, x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
  const xa = Math.max(0, Math.round(x0)), xb = Math.min(img.width, Math.round(x1));
  const ya = Math.max(0, Math.round(y0)), yb = Math.min(img.height, Math.round(y1));
  for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) setPixel(img, x, y, c);
}

/** The outline of [x0, y0, x1, y1], `thickness` pixels wide, drawn inside the box. */
export function strokeRect(img: Rgba, box: readonly number[], c: Rgb, thickness = 2): void {
  const [x0, y0, x1, y1] = box.map(Math.round);
  const t = Math.max(1, Math.min(thickness, Math.ceil((x1 - x0) / 2), Math.ceil((y1 - y0) / 2)));
  fillRect(img, x0, y0, x1, y0 + t, c);
  fillRect(img, x0, y1 - t, x1, y1, c);
  fillRect(img, x0, y0, x0 + t, y1, c);
  fillRect(img, x1 - t, y0, x1, y1, c);
}

/** A line from (x0, y0) to (x1, y1) with a square brush of `thickness` pixels (Bresenham). */
export function drawLine(img: Rgba, x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 2): void {
  let x = Math.round(x0), y = Math.round(y0);
  const xe = Math.round(x1), ye = Math.round(y1);
  const dx = Math.abs(xe - x), dy = -Math.abs(ye - y), sx = x < xe ? 1 : -1, sy = y < ye ? 1 : -1;
  const lo = -Math.floor((thickness - 1) / 2), hi = lo + thickness;
  let err = dx + dy;
  for (;;) {
    fillRect(img, x + lo, y + lo, x + hi, y + hi, c);
    if (x === xe && y === ye) break;
    const e2 = 2 * err;
    if (e2 >= dy) [err, x] = [err + dy, x + sx];
    if (e2 <= dx) [err, y] = [err + dx, y + sy];
  }
}

/** A closed polygon's outline. */
export function strokePolygon(img: Rgba, pts: readonly (readonly number[])[], c: Rgb, thickness = 2): void {
  for (let i = 0; i < pts.length; i++) {
    const [a, b] = [pts[i], pts[(i + 1) % pts.length]];
    drawLine(img, a[0], a[1], b[0], b[1], c, thickness);
  }
}

/** Size in pixels of `text` drawn at `scale`. */
export function textSize(text: string, scale = 2): { width: number; height: number } {
  return { width: Math.max(0, text.length * (GLYPH_WIDTH + 1) - 1) * scale, height: GLYPH_HEIGHT * scale };
}

/** Draws `text` with its top-left corner at (x, y), each font pixel a `scale` x `scale` square. */
export function drawText(img: Rgba, x: number, y: number, text: string, c: Rgb, scale = 2): void {
  let cx = Math.round(x);
  const top = Math.round(y);
  for (const ch of text) {
    const rows = glyph(ch);
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (rows[r] & (1 << (GLYPH_WIDTH - 1 - col))) fillRect(img, cx + col * scale, top + r * scale, cx + (col + 1) * scale, top + (r + 1) * scale, c);
      }
    }
    cx += (GLYPH_WIDTH + 1) * scale;
  }
}

/** A filled label with text, placed above (x, y) when there is room, else just below it. */
export function drawLabel(img: Rgba, x: number, y: number, text: string, bg: Rgb, fg: Rgb = contrast(bg), scale = 2): void {
  const { width, height } = textSize(text, scale);
  const pad = scale;
  const h = height + 2 * pad;
  const top = y - h >= 0 ? y - h : y;
  const left = Math.max(0, Math.min(x, img.width - width - 2 * pad));
  fillRect(img, left, top, left + width + 2 * pad, top + h, bg);
  drawText(img, left + pad, top + pad, text, fg, scale);
}

/** Black or white, whichever reads better on `c`. */
export function contrast(c: Rgb): Rgb {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 140 ? [0, 0, 0] : [255, 255, 255];
}

/** A distinct, saturated colour per index (hues spaced by the golden angle). */
export function palette(i: number): Rgb {
  const h = (i * 137.508) % 360, s = 0.85, v = 0.95;
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}
