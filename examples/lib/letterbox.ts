/**
 * YOLOX's preprocessing (yolox/data/data_augment.py `preproc`, used by its ONNX demo): scale the image to fit the
 * network input keeping its aspect ratio (r = min(H/h, W/w), sizes truncated), place it at the top-left of a canvas
 * filled with 114, and hand the network BGR planes (NCHW) of float32 values 0..255, no mean or scale: what the
 * official ONNX export expects. Boxes come back in image pixels by dividing by r.
 */
import type { Rgba } from "./image.ts";
import { resizeBilinear } from "./resize.ts";

export interface Letterboxed {
  /** [1, 3, height, width], planes B, G, R, values 0..255. */
  data: Float32Array<ArrayBuffer>;
  width: number;
  height: number;
  /** Network pixels per image pixel. */
  ratio: number;
  /** The size of the resized image inside the canvas. */
  resizedWidth: number;
  resizedHeight: number;
}

export const PAD_VALUE = 114;

export function letterbox(img: Rgba, width: number, height: number, pad = PAD_VALUE): Letterboxed {
  const ratio = Math.min(height / img.height, width / img.width);
  // int(w * r) in YOLOX; at least one pixel
  const rw = Math.max(1, Math.min(width, Math.floor(img.width * ratio)));
  const rh = Math.max(1, Math.min(height, Math.floor(img.height * ratio)));
  const small = rw === img.width && rh === img.height ? img : resizeBilinear(img, rw, rh);
  const plane = width * height;
  const data = new Float32Array(3 * plane).fill(pad);
  const s = small.data;
  for (let y = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++) {
      const i = (y * rw + x) * 4, o = y * width + x;
      data[o] = s[i + 2]; // B
      data[plane + o] = s[i + 1]; // G
      data[2 * plane + o] = s[i]; // R
    }
  }
  return { data, width, height, ratio, resizedWidth: rw, resizedHeight: rh };
}
