/**
 * Bilinear resize of an 8-bit RGBA image with OpenCV's INTER_LINEAR geometry, which both YOLOX's and PaddleOCR's
 * preprocessing use (cv2.resize): pixel centres aligned (src = (dst + 0.5) * in/out - 0.5), samples outside the
 * image clamped to the edge, no antialiasing when shrinking, results rounded to 8 bits. OpenCV computes the weights
 * in 11-bit fixed point, so a channel can differ from it by one level; everything else is the same.
 */
import type { Rgba } from "./image.ts";

/** Per destination index: the first source index and the weight of the second (the second is index + 1, clamped). */
export function linearTaps(src: number, dst: number): { index: Int32Array; weight: Float64Array } {
  const index = new Int32Array(dst), weight = new Float64Array(dst);
  const scale = src / dst;
  for (let d = 0; d < dst; d++) {
    const f = (d + 0.5) * scale - 0.5;
    let i = Math.floor(f), w = f - i;
    if (i < 0) [i, w] = [0, 0];
    if (i >= src - 1) [i, w] = [src - 1, 0];
    index[d] = i;
    weight[d] = w;
  }
  return { index, weight };
}

export function resizeBilinear(img: Rgba, width: number, height: number): Rgba {
  if (!(width >= 1 && height >= 1)) throw new RangeError(`resize target must be at least 1x1, got ${width}x${height}`);
  const out = new Uint8ClampedArray(width * height * 4);
  const xs = linearTaps(img.width, width), ys = linearTaps(img.height, height);
  const s = img.data, sw = img.width;
  for (let y = 0; y < height; y++) {
    const y0 = ys.index[y], y1 = Math.min(y0 + 1, img.height - 1), b = ys.weight[y];
    for (let x = 0; x < width; x++) {
      const x0 = xs.index[x], x1 = Math.min(x0 + 1, sw - 1), a = xs.weight[x];
      const p00 = (y0 * sw + x0) * 4, p01 = (y0 * sw + x1) * 4, p10 = (y1 * sw + x0) * 4, p11 = (y1 * sw + x1) * 4;
      const o = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) {
        const top = s[p00 + c] + a * (s[p01 + c] - s[p00 + c]);
        const bottom = s[p10 + c] + a * (s[p11 + c] - s[p10 + c]);
        out[o + c] = Math.round(top + b * (bottom - top)); // Uint8ClampedArray clamps to 0..255
      }
    }
  }
  return { width, height, data: out };
}
