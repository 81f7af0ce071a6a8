/** Checking that a model looks like a YOLOX detector, and turning its output into detections. */
import { type InferenceEngine, ShapeError, type TensorInfo } from "../../mod.ts";
import { classwiseNms } from "./nms.ts";
import { anchorCount, candidates, clipBox, decodeRaw, type Detection, looksDecoded } from "./yolox_decode.ts";

export interface YoloxIo {
  input: string;
  output: string;
  width: number;
  height: number;
}

const fmt = (t: TensorInfo) => `'${t.name}' ${t.dtype} [${t.shape.map((d) => (d < 0 ? "?" : d)).join(", ")}]`;

/** The input and output a YOLOX example can use, or a ShapeError saying why this model does not fit. */
export function yoloxIo(inputs: readonly TensorInfo[], outputs: readonly TensorInfo[]): YoloxIo {
  const need = "a YOLOX model takes one image input float32 [1, 3, H, W] (H, W fixed) and gives [1, anchors, 5 + classes]";
  if (inputs.length !== 1) throw new ShapeError(`the model has ${inputs.length} inputs (${inputs.map(fmt).join(", ")}); ${need}`);
  const x = inputs[0];
  if (x.dtype !== "float32" || x.shape.length !== 4 || (x.shape[1] !== 3 && x.shape[1] !== -1)) {
    throw new ShapeError(`the model's input is ${fmt(x)}; ${need}`);
  }
  const [height, width] = [x.shape[2], x.shape[3]];
  if (height <= 0 || width <= 0) throw new ShapeError(`the model's input ${fmt(x)} has a dynamic height or width; export YOLOX with a fixed input size (e.g. 640x640)`);
  const y = outputs.find((o) => o.name === "output") ?? outputs[0];
  const anchors = anchorCount(height, width);
  if (!y || y.shape.length !== 3 || (y.shape[1] !== anchors && y.shape[1] !== -1) || (y.shape[2] !== -1 && y.shape[2] < 6)) {
    throw new ShapeError(`the model's output is ${y ? fmt(y) : "missing"}; for a ${width}x${height} input ${need.replace("anchors", String(anchors))}`);
  }
  return { input: x.name, output: y.name, width, height };
}

export interface PostprocessOptions {
  scoreThreshold: number;
  nmsThreshold: number;
  /** "auto" tells raw from decoded outputs by their values (looksDecoded). */
  head: "auto" | "raw" | "decoded";
  maxDetections: number;
}

/**
 * Detections in image pixels from the first image of a YOLOX output: decoded (unless the model did it), scored,
 * clipped to the image (boxes wholly in the letterbox padding are dropped: nothing is there), class-wise NMS.
 */
export function postprocess(
  out: Float32Array,
  shape: readonly number[],
  io: YoloxIo,
  ratio: number,
  imageSize: { width: number; height: number },
  o: PostprocessOptions,
): { detections: Detection[]; decodedByModel: boolean; candidates: number; outside: number } {
  const anchors = anchorCount(io.height, io.width);
  if (shape.length !== 3 || shape[1] !== anchors || shape[2] < 6) {
    throw new ShapeError(`the model's output has shape [${shape.join(", ")}]; expected [N, ${anchors}, 5 + classes]`);
  }
  const first = out.subarray(0, anchors * shape[2]);
  const decodedByModel = o.head === "decoded" || (o.head === "auto" && looksDecoded(first, io.height, io.width));
  const rows = decodedByModel ? first : decodeRaw(first, io.height, io.width);
  const cands = candidates(rows, anchors, o.scoreThreshold, ratio);
  const inside: Detection[] = [];
  for (const d of cands) {
    const box = clipBox(d.box, imageSize.width, imageSize.height);
    if (box) inside.push({ ...d, box });
  }
  const detections = classwiseNms(inside, o.nmsThreshold, o.maxDetections);
  return { detections, decodedByModel, candidates: cands.length, outside: cands.length - inside.length };
}

/** Runs one letterboxed image through the engine; returns the output tensor. */
export async function runYolox(engine: InferenceEngine, io: YoloxIo, data: Float32Array<ArrayBuffer>): Promise<{ data: Float32Array; shape: number[] }> {
  const out = await engine.infer({ [io.input]: { data, shape: [1, 3, io.height, io.width] } });
  const y = out[io.output];
  return { data: y.data as Float32Array, shape: y.shape };
}
