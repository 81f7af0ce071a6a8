/** Checking that a model looks like a DB text detector (PP-OCR det), and the profile its dynamic input needs. */
import { ShapeError, type TensorInfo } from "../../mod.ts";
import { roundHalfEven } from "./ocr_preprocess.ts";

export interface OcrIo {
  input: string;
  output: string;
  /** Set when the model's height and width are fixed: the image is resized to exactly this. */
  fixed?: { width: number; height: number };
}

/** PaddleOCR's exported detectors name their input "x". */
export const DEFAULT_INPUT_NAME = "x";

const fmt = (t: TensorInfo) => `'${t.name}' ${t.dtype} [${t.shape.map((d) => (d < 0 ? "?" : d)).join(", ")}]`;

export function ocrIo(inputs: readonly TensorInfo[], outputs: readonly TensorInfo[]): OcrIo {
  const need = "a DB text detector takes one image input float32 [1, 3, H, W] and gives a probability map [1, 1, H, W]";
  if (inputs.length !== 1) throw new ShapeError(`the model has ${inputs.length} inputs (${inputs.map(fmt).join(", ")}); ${need}`);
  const x = inputs[0];
  if (x.dtype !== "float32" || x.shape.length !== 4 || (x.shape[1] !== 3 && x.shape[1] !== -1)) {
    throw new ShapeError(`the model's input is ${fmt(x)}; ${need}`);
  }
  if (outputs.length < 1) throw new ShapeError(`the model has no outputs; ${need}`);
  const y = outputs[0];
  if (y.shape.length !== 4 || (y.shape[1] !== 1 && y.shape[1] !== -1)) throw new ShapeError(`the model's output is ${fmt(y)}; ${need}`);
  const [h, w] = [x.shape[2], x.shape[3]];
  return { input: x.name, output: y.name, fixed: h > 0 && w > 0 ? { width: w, height: h } : undefined };
}

/**
 * The largest side DetResizeForTest can make under a limit: a longer side over the limit shrinks to it, and
 * rounding to a multiple of 32 is monotonic, so no side exceeds the limit's own rounding.
 */
export function maxSideFor(limitSide: number): number {
  return Math.max(32, roundHalfEven(limitSide / 32) * 32);
}

/** One profile covering every image DetResizeForTest can make with this limit. */
export function ocrProfile(input: string, limitSide: number) {
  const m = maxSideFor(limitSide), o = Math.min(m, 640);
  return [{ [input]: { min: [1, 3, 32, 32], opt: [1, 3, o, o], max: [1, 3, m, m] } }];
}
