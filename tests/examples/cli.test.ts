// The examples as a user runs them (subprocesses): --help, clear one-line errors for bad flags, missing files,
// undecodable images and models that do not fit; then end to end: build with progress, cache the plan beside the
// model, reuse it on the next run, load a plan file. On the GPU machine the same runs go to CUDA.
import { assert, assertEquals } from "../_assert.ts";
import { COCO_CLASSES } from "../../examples/lib/coco.ts";
import { decodeImage, encodePng, readImage } from "../../examples/lib/image.ts";
import { resolveDevice } from "../../examples/lib/engine.ts";
import { exists, OCR_MODEL, present, ROOT, runExample, SAMPLE_IMAGE, YOLOX_DIR } from "./_helpers.ts";
import { assertBoxesCoverLines, sampleLines } from "./_coverage.ts";

const haveOcr = present("PP-OCRv4 detection", OCR_MODEL);
const haveYolox = present("YOLOX model", `${YOLOX_DIR}yolox_m.onnx`);
const CONV = `${ROOT}tests/fixtures/out/conv_basic.onnx`; // a model that is neither (make fixtures)
const device = resolveDevice();

/** A temporary folder with links to the given files (so plans cached "beside the model" land in it). */
async function scratch(links: Record<string, string> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "denotrt-examples-" });
  for (const [name, target] of Object.entries(links)) await Deno.symlink(target, `${dir}/${name}`);
  return dir;
}

/** The run failed with exit code 1 and an "error: ..." message matching `pattern` (after any build progress lines),
 * not a stack trace. */
function assertFails(r: { code: number; stderr: string }, pattern: RegExp): void {
  assertEquals(r.code, 1, r.stderr);
  const msg = r.stderr.slice(r.stderr.indexOf("error: "));
  assert(r.stderr.includes("error: ") && pattern.test(msg), `stderr: ${r.stderr}`);
  assert(!/\n\s+at /.test(r.stderr), `a stack trace instead of a clear error: ${r.stderr}`);
}

Deno.test("--help on every example script", async () => {
  for (const script of ["yolox.ts", "ocr_detect.ts"]) {
    const r = await runExample(script, ["--help"]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.startsWith("usage: ") && r.stdout.includes("--device") && r.stdout.includes("--out"), r.stdout);
  }
  const r = await runExample("../tests/fixtures/make_ocr_image.ts", ["-h"]);
  assert(r.code === 0 && r.stdout.startsWith("usage: "), r.stderr);
});

Deno.test("bad flags, missing files and undecodable images are one-line errors", async () => {
  const dir = await scratch();
  try {
    await Deno.writeTextFile(`${dir}/notes.png`, "not an image at all");
    await Deno.writeTextFile(`${dir}/garbage.onnx`, "not a model at all, not even protobuf \u0001\u0002");
    assertFails(await runExample("yolox.ts", []), /--model and --image are required/);
    assertFails(await runExample("yolox.ts", ["--bogus"]), /Unknown option '--bogus'/);
    assertFails(await runExample("yolox.ts", ["--model", "m.onnx", "--image", SAMPLE_IMAGE, "--score", "2"]), /--score must be a number from 0 to 1/);
    assertFails(await runExample("yolox.ts", ["--model", `${dir}/m.onnx`, "--image", `${dir}/none.png`]), /no image at '.*none\.png': the file does not exist/);
    assertFails(await runExample("yolox.ts", ["--model", `${dir}/m.onnx`, "--image", `${dir}/notes.png`]), /cannot decode '.*notes\.png' as an image/);
    assertFails(await runExample("yolox.ts", ["--model", `${dir}/m.onnx`, "--image", SAMPLE_IMAGE]), /no model at '.*m\.onnx': the file does not exist/);
    assertFails(await runExample("yolox.ts", ["--model", `${dir}/garbage.onnx`, "--image", SAMPLE_IMAGE]), /not an ONNX model/);
    assertFails(await runExample("ocr_detect.ts", ["--image", `${dir}/notes.png`]), /cannot decode/);
    assertFails(await runExample("ocr_detect.ts", ["--model", dir]), /not a file/);
    assertFails(await runExample("ocr_detect.ts", ["--limit-side", "ten"]), /--limit-side must be a number/);
    assertFails(await runExample("yolox.ts", ["--model", SAMPLE_IMAGE, "--image", SAMPLE_IMAGE, "--head", "sideways"]), /--head must be auto, raw or decoded/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "models that do not fit an example are refused with what they take",
  ignore: !haveOcr || !exists(CONV),
  async fn() {
    const dir = await scratch({ "det.onnx": OCR_MODEL, "conv.onnx": CONV });
    try {
      assertFails(await runExample("yolox.ts", ["--model", `${dir}/det.onnx`, "--image", SAMPLE_IMAGE]), /input 'x' .* has a dynamic height or width/);
      assertFails(await runExample("yolox.ts", ["--model", `${dir}/conv.onnx`, "--image", SAMPLE_IMAGE]), /output is 'y0' float32 \[1, 4, 8, 8\]; for a 8x8 input a YOLOX model/);
      assertFails(await runExample("ocr_detect.ts", ["--model", `${dir}/conv.onnx`]), /output is 'y0' float32 \[1, 4, 8, 8\]; a DB text detector/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "ocr_detect.ts end to end: boxes on every text line; plan built with progress, cached, reused; a plan file",
  ignore: !haveOcr,
  async fn() {
    const dir = await scratch({ "det.onnx": OCR_MODEL });
    try {
      const first = await runExample("ocr_detect.ts", ["--model", `${dir}/det.onnx`, "--out", `${dir}/a.png`, "--json"]);
      assertEquals(first.code, 0, first.stderr);
      // 3 stages, and a 4th (kernel timing) when the plan is for CUDA.
      assert(/building plan \[#+\] (\d)\/\1 done/.test(first.stderr), `no build progress: ${first.stderr}`);
      const plan = `${dir}/det.${device}.max960.plan`;
      assert(exists(plan), "the plan is cached beside the model");
      assertBoxesCoverLines(JSON.parse(first.stdout), sampleLines());
      const pic = await readImage(`${dir}/a.png`), src = await readImage(SAMPLE_IMAGE);
      assertEquals([pic.width, pic.height], [src.width, src.height]);
      let changed = 0;
      for (let i = 0; i < pic.data.length; i++) if (pic.data[i] !== src.data[i]) changed++;
      assert(changed > 1000, `only ${changed} bytes differ: no boxes drawn`);

      const again = await runExample("ocr_detect.ts", ["--model", `${dir}/det.onnx`, "--out", `${dir}/b.png`]);
      assertEquals(again.code, 0, again.stderr);
      assert(!again.stderr.includes("building plan"), `rebuilt instead of loading the cache: ${again.stderr}`);
      for (const s of [`cached plan ${plan}`, `engine: builtin engine on ${device === "cuda" ? "CUDA" : "the CPU"}`, "found 7 text boxes", "time per stage", "infer (first run)", `wrote ${dir}/b.png`]) {
        assert(again.stdout.includes(s), `"${s}" missing from:\n${again.stdout}`);
      }

      const fromPlan = await runExample("ocr_detect.ts", ["--model", plan, "--out", `${dir}/c.png`, "--limit-side", "480", "--runs", "2"]);
      assertEquals(fromPlan.code, 0, fromPlan.stderr);
      for (const s of ["(plan file)", "network input 480x320", "found 7 text boxes", "infer (median of 1 more)"]) {
        assert(fromPlan.stdout.includes(s), `"${s}" missing from:\n${fromPlan.stdout}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "yolox.ts end to end on the YOLOX-m-shaped fixture: letterbox, raw head decoded, NMS, boxes drawn; cached plan reused",
  ignore: !haveYolox,
  async fn() {
    const dir = await scratch({ "m.onnx": `${YOLOX_DIR}yolox_m.onnx` });
    try {
      // an 800x500 picture: letterboxed with ratio 0.8 into 640x640 (resized, then padded below)
      const img = { width: 800, height: 500, data: new Uint8ClampedArray(800 * 500 * 4) };
      for (let y = 0; y < 500; y++) {
        for (let x = 0; x < 800; x++) img.data.set([(x * 255) / 800, (y * 255) / 500, ((x ^ y) & 64) * 3, 255], (y * 800 + x) * 4);
      }
      await Deno.writeFile(`${dir}/in.png`, await encodePng(img));
      // score 0: every anchor is a candidate, so some boxes survive whatever this random fixture's scores are
      // (its weights are redrawn each time it is made; on some draws only anchors in the padding score high)
      const args = ["--model", `${dir}/m.onnx`, "--image", `${dir}/in.png`, "--score", "0"];
      const first = await runExample("yolox.ts", [...args, "--out", `${dir}/out.png`]);
      assertEquals(first.code, 0, first.stderr);
      assert(/building plan \[#+\] (\d)\/\1 done/.test(first.stderr), `no build progress: ${first.stderr}`);
      assert(exists(`${dir}/m.${device}.plan`), "the plan is cached beside the model");
      for (const s of ["built, plan cached at", "-> 640x640 input, scale 0.8000", "head output raw (decoded here)", "time per stage", "postprocess (decode + NMS)", `wrote ${dir}/out.png`]) {
        assert(first.stdout.includes(s), `"${s}" missing from:\n${first.stdout}`);
      }
      const found = Number(/found (\d+) objects \(\d+ candidates over score 0/.exec(first.stdout)?.[1]);
      assert(found > 0 && found <= 100, first.stdout);
      const pic = await decodeImage(await Deno.readFile(`${dir}/out.png`));
      assertEquals([pic.width, pic.height], [800, 500]);
      assert(pic.data.some((v, i) => v !== img.data[i]), "no boxes drawn");

      const again = await runExample("yolox.ts", [...args, "--out", `${dir}/out2.png`, "--json"]);
      assertEquals(again.code, 0, again.stderr);
      assert(!again.stderr.includes("building plan"), `rebuilt instead of loading the cache: ${again.stderr}`);
      const dets: { class: string; classIndex: number; score: number; box: number[] }[] = JSON.parse(again.stdout);
      assertEquals(dets.length, found, "the same model on the same image finds the same boxes");
      for (const d of dets) {
        assertEquals(d.class, COCO_CLASSES[d.classIndex]);
        assert(d.score > 0 && d.score <= 1, `score ${d.score}`);
        const [x0, y0, x1, y1] = d.box;
        assert(x0 >= 0 && y0 >= 0 && x1 <= 800 && y1 <= 500 && x1 > x0 && y1 > y0, `box ${d.box}`);
      }
      for (let i = 1; i < dets.length; i++) assert(dets[i - 1].score >= dets[i].score, "sorted by score");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
