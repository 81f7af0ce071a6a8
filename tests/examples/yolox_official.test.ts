// YOLOX-m as YOLOX's own tools/export_onnx.py writes it (tests/fixtures/make_yolox_official.py: the official export
// code on the yolox-m Exp with random weights; `make fixtures-yolox-official` with a YOLOX checkout in .tools/yolox-src),
// built unchanged by the built-in engine and compared with onnxruntime on the same fresh random input; then the
// example's decode + scoring + NMS (examples/lib/yolox_io.ts) on it, checked against YOLOX's own demo_postprocess.
// CPU executor: relative L2 <= 1e-4. CUDA (built-in provider, run twice: the second replays the CUDA graph):
// fp32 (no tf32) <= 1e-4 with the detections checked too, fp16 <= 2e-2.
import { createEngine, type Precision } from "../../mod.ts";
import { decodeRaw, looksDecoded } from "../../examples/lib/yolox_decode.ts";
import { postprocess, yoloxIo } from "../../examples/lib/yolox_io.ts";
import { assert, assertEquals } from "../_assert.ts";
import { gpuTest } from "../_gpu.ts";
import { exists, readF32, relL2, ROOT } from "./_helpers.ts";

const DIR = `${ROOT}tests/fixtures/out/yolox_official/`;
const MODEL = `${DIR}yolox_m.onnx`, META = `${DIR}yolox_m.json`;

interface Tensor {
  shape: number[];
  file: string;
}
interface Meta {
  opset: number;
  onnxsim: boolean;
  torch: string;
  ops: Record<string, number>;
  inputs: { images: Tensor };
  outputs: { output: Tensor };
  /** YOLOX's demo_postprocess on onnxruntime's output: decoded rows (cx, cy, w, h, obj, cls0) of the best anchors. */
  postprocess: { anchors: number[]; rows: number[][]; score_threshold: number; candidates_over_threshold: number };
}

const ok = exists(MODEL) && exists(META);
if (!ok) {
  console.log("[skip] official YOLOX export tests skipped: tests/fixtures/out/yolox_official/ missing " +
    "(needs a YOLOX checkout in .tools/yolox-src, then `make fixtures-yolox-official`)");
}

const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

/** YOLOX's decoding of the best anchors, against the example's decodeRaw of `out`. */
function checkDecode(out: Float32Array, meta: Meta, rel: number, what: string): void {
  const d = decodeRaw(out, 640, 640), k = meta.outputs.output.shape[2];
  meta.postprocess.anchors.forEach((a, i) => {
    const got = Array.from(d.subarray(a * k, a * k + 6)), want = meta.postprocess.rows[i];
    got.forEach((v, j) => assert(close(v, want[j], rel), `${what}: anchor ${a} column ${j}: ${v} vs YOLOX's ${want[j]}`));
  });
}

async function check(device: "cpu" | "cuda", precision: Precision, tolerance: number): Promise<void> {
  const meta: Meta = JSON.parse(await Deno.readTextFile(META));
  const x = readF32(`${DIR}${meta.inputs.images.file}`), want = readF32(`${DIR}${meta.outputs.output.file}`);
  const shape = meta.inputs.images.shape;
  const t0 = performance.now();
  // the model file as exported, no profiles or other help: the official export is static 1x3x640x640
  await using engine = device === "cpu"
    ? await createEngine({ onnx: MODEL, device: "cpu" })
    : await createEngine({ onnx: MODEL, device, provider: "builtin", precision });
  const buildMs = performance.now() - t0;
  assertEquals(engine.provider, "builtin");
  assertEquals(engine.inputs.map((t) => [t.name, t.dtype, t.shape]), [["images", "float32", [1, 3, 640, 640]]]);
  assertEquals(engine.outputs.map((t) => [t.name, t.dtype, t.shape]), [["output", "float32", [1, 8400, 85]]]);
  const tag = `official YOLOX-m export (opset ${meta.opset}, onnxsim ${meta.onnxsim ? "on" : "off"}, torch ${meta.torch}) on ${device} ${precision}`;
  let out: Float32Array = new Float32Array(0);
  for (let run = 0; run < (device === "cuda" ? 2 : 1); run++) {
    const t1 = performance.now();
    const res = await engine.infer({ images: { data: x, shape } });
    const ms = performance.now() - t1;
    assertEquals(res.output.shape, meta.outputs.output.shape);
    out = res.output.data as Float32Array;
    const err = relL2(out, want);
    console.log(`${tag}: build ${buildMs.toFixed(0)} ms, infer (run ${run}) ${ms.toFixed(0)} ms, relative L2 vs onnxruntime ${err.toExponential(2)}`);
    assert(err <= tolerance, `${tag}: relative L2 ${err} > ${tolerance}`);
  }
  if (precision === "fp16") return; // fp16 moves scores by more than the threshold's gap; the values were checked

  // The example's post-processing on the official layout (raw head: decode_in_inference off), as examples/yolox.ts
  // runs it with --head auto, against YOLOX's own decoding and scoring of onnxruntime's output.
  const io = yoloxIo(engine.inputs, engine.outputs);
  assertEquals(io, { input: "images", output: "output", width: 640, height: 640 });
  assert(!looksDecoded(out, 640, 640), "the raw head was taken for a decoded one");
  checkDecode(want, meta, 1e-5, "decodeRaw of onnxruntime's output"); // the decoding itself
  checkDecode(out, meta, 1e-3, `decodeRaw of ${device}'s output`);
  const opts = { scoreThreshold: meta.postprocess.score_threshold, nmsThreshold: 0.45, head: "auto" as const, maxDetections: 1000 };
  const size = { width: 640, height: 640 };
  const outShape = meta.outputs.output.shape;
  const got = postprocess(out, outShape, io, 1, size, opts);
  const ref = postprocess(want, outShape, io, 1, size, opts);
  assertEquals(got.decodedByModel, false);
  // YOLOX scores objectness x best class the same way: the same anchors pass its threshold
  assertEquals(got.candidates, meta.postprocess.candidates_over_threshold);
  assertEquals(got.detections.map((d) => d.classIndex), ref.detections.map((d) => d.classIndex));
  got.detections.forEach((d, i) => {
    const r = ref.detections[i];
    assert(close(d.score, r.score, 1e-3), `detection ${i}: score ${d.score} vs ${r.score}`);
    d.box.forEach((v, j) => assert(close(v, r.box[j], 1e-3), `detection ${i}: box ${d.box} vs ${r.box}`));
  });
  console.log(`${tag}: ${got.candidates} candidates over ${opts.scoreThreshold.toExponential(2)} (as YOLOX's scoring), ` +
    `${got.detections.length} detections after class-wise NMS, the same as on onnxruntime's output`);
}

Deno.test({
  name: "official YOLOX-m export builds unchanged on the CPU executor and matches onnxruntime (rel L2 <= 1e-4); decode/NMS",
  ignore: !ok,
  fn: () => check("cpu", "fp32", 1e-4),
});
if (ok) {
  gpuTest("official YOLOX-m export on CUDA fp32 matches onnxruntime (rel L2 <= 1e-4), twice; decode/NMS", () => check("cuda", "fp32", 1e-4));
  gpuTest("official YOLOX-m export on CUDA fp16 matches onnxruntime (rel L2 <= 2e-2), twice", () => check("cuda", "fp16", 2e-2));
}
