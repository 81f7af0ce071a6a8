/**
 * Turning YOLOX's head output [N, anchors, 5 + classes] into scored boxes.
 *
 * The official ONNX export (decode_in_inference off) leaves each anchor's box raw: (x, y) are offsets in grid cells
 * and (w, h) log sizes, anchors listed stride 8, 16, 32, each grid row-major. Decoding, as the official ONNX demo's
 * demo_postprocess does: cx = (x + gx) * s, cy = (y + gy) * s, w = exp(w) * s, h = exp(h) * s. A model exported with
 * decoding already holds cx, cy, w, h in input pixels. Objectness and class scores are probabilities either way.
 */
import { ShapeError } from "../../mod.ts";

export const YOLOX_STRIDES: readonly number[] = [8, 16, 32];

/** A box in image pixels, corners (x0, y0) top-left and (x1, y1) bottom-right. */
export type Box = [number, number, number, number];

export interface Detection {
  box: Box;
  score: number;
  classIndex: number;
}

/** The number of anchors a YOLOX head has for an input of height x width (one per cell of each stride's grid). */
export function anchorCount(height: number, width: number, strides: readonly number[] = YOLOX_STRIDES): number {
  return strides.reduce((n, s) => n + Math.floor(height / s) * Math.floor(width / s), 0);
}

/** Grid cell (gx, gy) and stride of every anchor, in the head's order. */
export function anchorGrid(height: number, width: number, strides: readonly number[] = YOLOX_STRIDES) {
  const n = anchorCount(height, width, strides);
  const gx = new Float32Array(n), gy = new Float32Array(n), stride = new Float32Array(n);
  let i = 0;
  for (const s of strides) {
    const hs = Math.floor(height / s), ws = Math.floor(width / s);
    for (let y = 0; y < hs; y++) {
      for (let x = 0; x < ws; x++, i++) [gx[i], gy[i], stride[i]] = [x, y, s];
    }
  }
  return { gx, gy, stride };
}

/** Decodes raw boxes in place of a copy: returns [anchors, 5 + classes] with cx, cy, w, h in input pixels. */
export function decodeRaw(out: Float32Array, height: number, width: number, strides: readonly number[] = YOLOX_STRIDES): Float32Array {
  const { gx, gy, stride } = anchorGrid(height, width, strides);
  const n = gx.length, k = out.length / n;
  if (!Number.isInteger(k) || k < 6) throw new ShapeError(`a YOLOX head for ${width}x${height} has ${n} anchors; an output of ${out.length} values does not fit`);
  const d = out.slice();
  for (let i = 0; i < n; i++) {
    const o = i * k, s = stride[i];
    d[o] = (out[o] + gx[i]) * s;
    d[o + 1] = (out[o + 1] + gy[i]) * s;
    d[o + 2] = Math.exp(out[o + 2]) * s;
    d[o + 3] = Math.exp(out[o + 3]) * s;
  }
  return d;
}

/**
 * Whether an output already holds decoded boxes. Decoded centres lie near their anchor's cell centre
 * ((g + 0.5) * stride, in input pixels); raw ones are offsets of about a cell, near 0. So the centres are decoded
 * when they are, in sum, closer to the cell centres than to 0.
 */
export function looksDecoded(out: Float32Array, height: number, width: number, strides: readonly number[] = YOLOX_STRIDES): boolean {
  const { gx, gy, stride } = anchorGrid(height, width, strides);
  const k = out.length / gx.length;
  let toCells = 0, toZero = 0;
  for (let i = 0; i < gx.length; i++) {
    const x = out[i * k], y = out[i * k + 1];
    toCells += Math.abs(x - (gx[i] + 0.5) * stride[i]) + Math.abs(y - (gy[i] + 0.5) * stride[i]);
    toZero += Math.abs(x) + Math.abs(y);
  }
  return toCells < toZero;
}

/**
 * Scored boxes of one image from decoded rows [anchors, 5 + classes]: each anchor's best class (score =
 * objectness x class probability, as YOLOX's postprocess does), kept when the score exceeds `scoreThreshold`,
 * boxes as corners divided by the letterbox ratio (image pixels).
 */
export function candidates(decoded: Float32Array, anchors: number, scoreThreshold: number, ratio: number): Detection[] {
  const k = decoded.length / anchors;
  const out: Detection[] = [];
  for (let i = 0; i < anchors; i++) {
    const o = i * k, obj = decoded[o + 4];
    let best = 0, bestP = -Infinity;
    for (let c = 5; c < k; c++) {
      if (decoded[o + c] > bestP) [best, bestP] = [c - 5, decoded[o + c]];
    }
    const score = obj * bestP;
    if (!(score > scoreThreshold)) continue;
    const [cx, cy, w, h] = [decoded[o], decoded[o + 1], decoded[o + 2], decoded[o + 3]];
    out.push({ box: [(cx - w / 2) / ratio, (cy - h / 2) / ratio, (cx + w / 2) / ratio, (cy + h / 2) / ratio], score, classIndex: best });
  }
  return out;
}

/** Clips a box to the image; returns null when nothing of it is left. */
export function clipBox(b: Box, width: number, height: number): Box | null {
  const c: Box = [Math.max(0, b[0]), Math.max(0, b[1]), Math.min(width, b[2]), Math.min(height, b[3])];
  return c[2] > c[0] && c[3] > c[1] ? c : null;
}
