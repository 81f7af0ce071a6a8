/**
 * Object detection with YOLOX (the official ONNX export, e.g. yolox_m.onnx from Megvii-BaseDetection/YOLOX
 * releases): builds the model into a plan (cached next to it), letterboxes the image, runs it, decodes the head,
 * applies class-wise NMS and writes the image with labelled boxes.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-env examples/yolox.ts --model yolox_m.onnx --image in.png --out out.png
 */
import * as trt from "../mod.ts";
import { numberFlag, parseFlags, runMain, StageTimes } from "./lib/cli.ts";
import { className } from "./lib/coco.ts";
import { drawLabel, palette, strokeRect } from "./lib/draw.ts";
import { describeEngine, openEngine } from "./lib/engine.ts";
import { cloneImage, readImage, writePng } from "./lib/image.ts";
import { letterbox } from "./lib/letterbox.ts";
import { postprocess, runYolox, yoloxIo } from "./lib/yolox_io.ts";

const USAGE = `usage: deno run --allow-ffi --allow-read --allow-write --allow-env examples/yolox.ts \\
         --model MODEL --image IMAGE [--out OUT.png] [options]

Detects objects with a YOLOX model (COCO classes) and draws labelled boxes.

  --model PATH     YOLOX ONNX model (raw or decoded head), or a plan built from one; an ONNX model is built
                   once and its plan cached beside it as MODEL.<device>.plan
  --image PATH     PNG, JPEG, TIFF or GIF
  --out PATH       where to write the picture (default: yolox_out.png)
  --device D       cuda or cpu (default: cuda when a GPU is visible, else the CPU reference executor)
  --score X        minimum score, objectness x class probability (default 0.3)
  --nms X          IoU above which a lower-scoring box of the same class is dropped (default 0.45)
  --max-det N      at most N boxes (default 100)
  --head H         auto, raw or decoded: whether the model's output still needs the grid/stride decoding
                   (default auto: told from its values)
  --runs N         run the network N times and report the first and the median of the rest (default 1)
  --json           print the detections as JSON instead of a table
  -h, --help       this text`;

await runMain(async () => {
  const f = parseFlags(Deno.args, {
    model: { type: "string" },
    image: { type: "string" },
    out: { type: "string", default: "yolox_out.png" },
    device: { type: "string" },
    score: { type: "string" },
    nms: { type: "string" },
    "max-det": { type: "string" },
    head: { type: "string", default: "auto" },
    runs: { type: "string" },
    json: { type: "boolean", default: false },
  }, USAGE);
  if (!f.model || !f.image) throw new trt.InvalidArgumentError(`--model and --image are required\n\n${USAGE}`);
  if (!["auto", "raw", "decoded"].includes(f.head!)) throw new trt.InvalidArgumentError(`--head must be auto, raw or decoded, got '${f.head}'`);
  const opts = {
    scoreThreshold: numberFlag("score", f.score, 0.3, 0, 1),
    nmsThreshold: numberFlag("nms", f.nms, 0.45, 0, 1),
    maxDetections: numberFlag("max-det", f["max-det"], 100, 1, 100000),
    head: f.head as "auto" | "raw" | "decoded",
  };
  const runs = Math.round(numberFlag("runs", f.runs, 1, 1, 1000));
  const times = new StageTimes();

  const img = await times.time("read image", () => readImage(f.image!));
  const opened = await times.time("plan (build or load)", () => openEngine(f.model!, { device: f.device as trt.DeviceKind | undefined }));
  await using engine = opened.engine;
  const io = yoloxIo(engine.inputs, engine.outputs);
  const lb = await times.time("preprocess (letterbox)", () => letterbox(img, io.width, io.height));
  let out = await times.time("infer (first run)", () => runYolox(engine, io, lb.data));
  await times.repeat("infer", runs - 1, async () => void (out = await runYolox(engine, io, lb.data)));
  const res = await times.time("postprocess (decode + NMS)", () => postprocess(out.data, out.shape, io, lb.ratio, img, opts));
  await times.time("draw + write PNG", async () => {
    const pic = cloneImage(img);
    const thick = Math.max(2, Math.round(Math.min(img.width, img.height) / 300));
    for (const d of [...res.detections].reverse()) { // best last, so it is drawn on top
      const c = palette(d.classIndex);
      strokeRect(pic, d.box, c, thick);
      drawLabel(pic, Math.round(d.box[0]), Math.round(d.box[1]), `${className(d.classIndex)} ${(d.score * 100).toFixed(0)}%`, c);
    }
    await writePng(f.out!, pic);
  });

  if (f.json) {
    console.log(JSON.stringify(res.detections.map((d) => ({ class: className(d.classIndex), classIndex: d.classIndex, score: d.score, box: d.box }))));
    return;
  }
  console.log(`model: ${f.model} (${opened.source === "built" ? `built, plan cached at ${opened.planPath ?? "(not cached)"}` : opened.source === "cached" ? `cached plan ${opened.planPath}` : "plan file"})`);
  console.log(`engine: ${describeEngine(engine)}`);
  console.log(`image: ${f.image} (${img.width}x${img.height}) -> ${io.width}x${io.height} input, scale ${lb.ratio.toFixed(4)}; head output ${res.decodedByModel ? "already decoded" : "raw (decoded here)"}`);
  const outside = res.outside ? `, ${res.outside} of them wholly outside the image` : "";
  console.log(`found ${res.detections.length} objects (${res.candidates} candidates over score ${opts.scoreThreshold}${outside}):`);
  for (const d of res.detections.slice(0, 20)) {
    console.log(`  ${className(d.classIndex).padEnd(14)} ${(d.score * 100).toFixed(1).padStart(5)}%  [${d.box.map((v) => v.toFixed(0)).join(", ")}]`);
  }
  if (res.detections.length > 20) console.log(`  ... and ${res.detections.length - 20} more`);
  console.log(`time per stage:\n${times.report()}`);
  console.log(`wrote ${f.out}`);
});
