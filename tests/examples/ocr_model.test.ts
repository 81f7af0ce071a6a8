// PP-OCRv4 text detection (the published weights, `make models`) on the project's test image, against onnxruntime
// (tests/fixtures/make_ocr_reference.py): one engine with a dynamic height/width profile runs both reference cases
// (640x416 and 480x320). The example's preprocessing must give onnxruntime's input bit for bit, the probability maps
// must agree on >= 99.5% of pixels at threshold 0.3, and the boxes DB post-processing finds must cover every text
// line drawn into the image (examples/data/ocr_sample.json) and nothing else. CPU executor, and CUDA where present.
import { createEngine, type DeviceKind } from "../../mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { gpuTest } from "../_gpu.ts";
import { dbPostprocess } from "../../examples/lib/db_postprocess.ts";
import { readImage } from "../../examples/lib/image.ts";
import { ocrProfile } from "../../examples/lib/ocr_io.ts";
import { preprocessDet } from "../../examples/lib/ocr_preprocess.ts";
import { OCR_MODEL, OCR_REF, present, readF32, relL2, SAMPLE_IMAGE } from "./_helpers.ts";
import { assertBoxesCoverLines, sampleLines } from "./_coverage.ts";

interface Case {
  limit_side: number;
  input: { name: string; shape: number[]; file: string };
  output: { name: string; shape: number[]; file: string };
}

const ok = present("PP-OCRv4 detection", OCR_MODEL, `${OCR_REF}ocr.json`);

async function check(device: DeviceKind): Promise<void> {
  const meta: { cases: Record<string, Case> } = JSON.parse(await Deno.readTextFile(`${OCR_REF}ocr.json`));
  const img = await readImage(SAMPLE_IMAGE);
  const lines = sampleLines();
  await using engine = await createEngine({ onnx: OCR_MODEL, device, provider: "builtin", profiles: ocrProfile("x", 960) });
  assertEquals(engine.inputs.map((t) => [t.name, t.shape]), [["x", [-1, 3, -1, -1]]]);
  for (const [name, c] of Object.entries(meta.cases)) {
    const x = preprocessDet(img, c.limit_side);
    assertEquals([1, 3, x.height, x.width], c.input.shape, `${name}: input size`);
    const ref = readF32(`${OCR_REF}${c.input.file}`);
    let differ = 0;
    for (let i = 0; i < ref.length; i++) if (ref[i] !== x.data[i]) differ++;
    assertEquals(differ, 0, `${name}: ${differ} input values differ from the reference script's`);
    const out = await engine.infer({ x: { data: x.data, shape: c.input.shape } });
    const got = out[c.output.name];
    assertEquals(got.shape, c.output.shape);
    const p = got.data as Float32Array, want = readF32(`${OCR_REF}${c.output.file}`);
    let agree = 0;
    for (let i = 0; i < want.length; i++) if ((p[i] > 0.3) === (want[i] > 0.3)) agree++;
    const frac = agree / want.length;
    console.log(`ocr ${name} on ${device}: ${c.input.shape.slice(2).join("x")}, ${(100 * frac).toFixed(3)}% of pixels agree at 0.3, ` +
      `relative L2 ${relL2(p, want).toExponential(2)}`);
    assert(frac >= 0.995, `${name}: only ${(100 * frac).toFixed(2)}% of pixels agree with onnxruntime`);
    assertBoxesCoverLines(dbPostprocess(p, x.width, x.height, img.width, img.height), lines);
  }
}

Deno.test({ name: "PP-OCRv4 det on the CPU executor: onnxruntime's maps, boxes on every text line", ignore: !ok, fn: () => check("cpu") });
if (ok) gpuTest("PP-OCRv4 det on CUDA: onnxruntime's maps, boxes on every text line", () => check("cuda"));
