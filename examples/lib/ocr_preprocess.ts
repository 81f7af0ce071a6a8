/**
 * PaddleOCR's detection preprocessing (tools/infer/predict_det.py with PP-OCRv4's defaults): DetResizeForTest with
 * limit_type "max" (shrink so the longer side is at most limitSide, never enlarge, then round each side to a
 * multiple of 32, at least 32), then NormalizeImage (x / 255 - mean) / std in float32 and HWC -> CHW. PaddleOCR reads
 * images with OpenCV, so the planes are B, G, R, and its mean/std lists apply to them in that order.
 */
import type { Rgba } from "./image.ts";
import { resizeBilinear } from "./resize.ts";

const MEAN = [0.485, 0.456, 0.406].map(Math.fround);
const STD = [0.229, 0.224, 0.225].map(Math.fround);
const SCALE = Math.fround(1 / 255);

/** Python's round(): halves go to the even neighbour (DetResizeForTest uses it). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x), d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The network input size DetResizeForTest picks for an image of width x height. */
export function detInputSize(width: number, height: number, limitSide = 960): { width: number; height: number } {
  const ratio = Math.max(width, height) > limitSide ? limitSide / Math.max(width, height) : 1;
  return {
    width: Math.max(roundHalfEven((width * ratio) / 32) * 32, 32),
    height: Math.max(roundHalfEven((height * ratio) / 32) * 32, 32),
  };
}

export interface DetInput {
  /** [1, 3, height, width] float32, planes B, G, R, normalized. */
  data: Float32Array<ArrayBuffer>;
  width: number;
  height: number;
}

/** `fixed`: a model with a fixed input size gets the image resized to exactly that instead. */
export function preprocessDet(img: Rgba, limitSide = 960, fixed?: { width: number; height: number }): DetInput {
  const { width, height } = fixed ?? detInputSize(img.width, img.height, limitSide);
  const src = width === img.width && height === img.height ? img : resizeBilinear(img, width, height);
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = src.data[i * 4 + 2 - c]; // plane c is B, G, R
      data[c * plane + i] = Math.fround(Math.fround(Math.fround(v * SCALE) - MEAN[c]) / STD[c]);
    }
  }
  return { data, width, height };
}
