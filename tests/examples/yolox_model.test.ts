// The YOLOX-m-shaped fixture (tests/fixtures/make_yolox.py: random weights, official export layout) built by
// denotrt and compared with onnxruntime's output on the same fresh random input: static (opset 11, batch 1) and
// dynamic batch (opset 13, batch 2), on the CPU reference executor (relative L2 <= 1e-5) and on CUDA (<= 1e-4, fp32;
// run twice: the second run replays the captured CUDA graph). CPU time per 640x640 inference is printed and bounded.
import { createEngine } from "../../mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { gpuTest } from "../_gpu.ts";
import { present, readF32, relL2, YOLOX_DIR } from "./_helpers.ts";

interface Meta {
  opset: number;
  ort_rel_l2_vs_float64: number | null;
  inputs: { images: { shape: number[]; file: string } };
  outputs: { output: { shape: number[]; file: string } };
}

const MODELS = ["yolox_m", "yolox_m_dyn"];
const ok = present("YOLOX model", ...MODELS.map((m) => `${YOLOX_DIR}${m}.json`));

async function check(name: string, device: "cpu" | "cuda", tolerance: number): Promise<void> {
  const meta: Meta = JSON.parse(await Deno.readTextFile(`${YOLOX_DIR}${name}.json`));
  const x = readF32(`${YOLOX_DIR}${meta.inputs.images.file}`), want = readF32(`${YOLOX_DIR}${meta.outputs.output.file}`);
  const shape = meta.inputs.images.shape;
  const dynamic = name.endsWith("_dyn");
  const t0 = performance.now();
  // the dynamic model gets a batch range 1..4 around the reference's batch of 2
  const profiles = dynamic ? [{ images: { min: [1, 3, 640, 640], opt: shape, max: [4, 3, 640, 640] } }] : undefined;
  await using engine = await createEngine({ onnx: `${YOLOX_DIR}${name}.onnx`, device, provider: "builtin", profiles });
  const buildMs = performance.now() - t0;
  assertEquals(engine.inputs.map((t) => [t.name, t.shape]), [["images", [dynamic ? -1 : 1, 3, 640, 640]]]);
  for (let run = 0; run < (device === "cuda" ? 2 : 1); run++) {
    const t1 = performance.now();
    const out = await engine.infer({ images: { data: x, shape } });
    const ms = performance.now() - t1;
    assertEquals(out.output.shape, meta.outputs.output.shape);
    const err = relL2(out.output.data as Float32Array, want);
    console.log(`${name} on ${device}: build ${buildMs.toFixed(0)} ms, infer (batch ${shape[0]}, run ${run}) ${ms.toFixed(0)} ms, ` +
      `relative L2 vs onnxruntime ${err.toExponential(2)}` +
      (meta.ort_rel_l2_vs_float64 === null ? "" : ` (onnxruntime vs float64: ${meta.ort_rel_l2_vs_float64.toExponential(2)})`));
    assert(err <= tolerance, `${name} on ${device}: relative L2 ${err} > ${tolerance}`);
    // "seconds, not minutes" on 2 cores: about 1.5-2.5 s per image here; a slow GEMM path once took 23 s
    if (device === "cpu") assert(ms < 15000 * shape[0], `${name}: one CPU inference took ${ms.toFixed(0)} ms`);
  }
}

for (const name of MODELS) {
  Deno.test({ name: `${name} on the CPU executor matches onnxruntime (rel L2 <= 1e-5)`, ignore: !ok, fn: () => check(name, "cpu", 1e-5) });
  if (ok) gpuTest(`${name} on CUDA matches onnxruntime (rel L2 <= 1e-4), twice`, () => check(name, "cuda", 1e-4));
}
