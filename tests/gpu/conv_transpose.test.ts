/**
 * ConvTranspose on the CUDA executor as NHWC plans run it: folded (bias Add, BatchNormalization) and fused
 * (activation), channels-last between the convs with no transposes around it, on the tile kernel where every output
 * pixel reads one input pixel and the generic one elsewhere. The ConvTranspose fixtures against onnxruntime in fp32
 * and fp16, then PP-OCRv4 detection at 960x960: its head must run as ConvTranspose(+bias+Relu) ->
 * ConvTranspose(+bias+Sigmoid) on the tile kernel, the fp16 NHWC engine's probability map on the sample image must
 * agree with onnxruntime's fp32 one (as the example's fp32 engine must), and the head's layer times are printed.
 * (tests/gpu/exec_cuda.test.ts also runs the fixtures against the CPU executor on fresh inputs, NCHW and NHWC;
 * tests/gpu/native/conv_transpose_test.cu checks the kernels themselves.)
 */
import { createEngine } from "../../lib/engine/session.ts";
import { assert, assertEquals } from "../_assert.ts";
import { buildAndCheck } from "./_fixture_engine.ts";
import { gpuTest } from "../_gpu.ts";
import { fixturesPresent, loadReference, relativeL2 } from "../engine/_models.ts";
import { OCR_MODEL, OCR_REF, present, readF32 } from "../examples/_helpers.ts";
import { Stream } from "../../lib/cuda/stream.ts";

interface Layer { name: string; op: string; kernel: string; precision: string }

const TILE = "dtops_conv_transpose_nhwc_tile", GENERIC = "dtops_conv_transpose_nhwc_generic";

// Per fixture: the kernel each ConvTranspose (by node name) must run in NHWC plans.
const FIXTURE_KERNELS: Record<string, Record<string, string>> = {
  // 2x2/2 (16 channels), 3x3/2 pad 1 output_padding 1, 2x2/2 to one channel.
  convtranspose_head: { ct1: TILE, ct2: GENERIC, ct3: TILE },
  // group 2 2x2/2 (groups of 8 channels), group 2 3x3/2 dilation 2 with pads and output_padding.
  convtranspose_grouped: { ct1: TILE, ct2: GENERIC },
};

if (fixturesPresent()) {
  for (const [precision, tol] of [["fp32", 1e-4], ["fp16", 2e-2]] as const) {
    gpuTest(`ConvTranspose NHWC ${precision}: the fixtures fold, fuse, run channels-last and match onnxruntime`, async () => {
      for (const [name, kernels] of Object.entries(FIXTURE_KERNELS)) {
        const ref = loadReference(name);
        await using engine = await buildAndCheck(name, ref, { precision, layout: "nhwc" }, ref.inputs, ref.outputs, tol);
        const layers = (engine.inspect() as { layers: Layer[] }).layers;
        const ops = layers.map((l) => l.op);
        // Everything but the convs folded or fused away; one transpose in, one out (plus the fp16 casts).
        assertEquals(ops.filter((o) => !["Conv", "ConvTranspose", "Transpose", "Cast"].includes(o)), [], ops.join());
        assertEquals(ops.filter((o) => o === "Transpose").length, 2, ops.join());
        const cts = layers.filter((l) => l.op === "ConvTranspose");
        assertEquals(Object.fromEntries(cts.map((l) => [l.name, l.kernel])), kernels, `${name} (${precision})`);
      }
    });
  }
}

if (present("PP-OCRv4 detection", OCR_MODEL, `${OCR_REF}ocr.json`)) {
  gpuTest("PP-OCRv4 det in fp16 NHWC on the sample image: the head runs as two fused ConvTransposes on the tile kernel; onnxruntime's map", async () => {
    // The reference script's preprocessed sample image and onnxruntime's fp32 probability map (make_ocr_reference.py).
    const meta = JSON.parse(await Deno.readTextFile(`${OCR_REF}ocr.json`));
    const c = meta.cases.native as { input: { shape: number[]; file: string }; output: { name: string; file: string } };
    const shape = c.input.shape;
    const profiles = [{ x: { min: shape, opt: shape, max: shape } }];
    await using fast = await createEngine({ onnx: OCR_MODEL, device: "cuda", provider: "builtin", precision: "fp16", profiles });
    const got = (await fast.infer({ x: { data: readF32(`${OCR_REF}${c.input.file}`), shape } }))[c.output.name].data as Float32Array;
    const want = readF32(`${OCR_REF}${c.output.file}`);
    let agree = 0;
    for (let i = 0; i < want.length; i++) if ((got[i] > 0.3) === (want[i] > 0.3)) agree++;
    const err = relativeL2(got, want), frac = agree / want.length;
    console.log(`PP-OCRv4 det ${shape.slice(2).join("x")} fp16 NHWC vs onnxruntime fp32: relative L2 ${err.toExponential(2)}, ` +
      `${(100 * frac).toFixed(3)}% of pixels agree at 0.3`);
    // The example's bar for the fp32 engine (tests/examples/ocr_model.test.ts), and fp16's relative error bound.
    assert(frac >= 0.995, `only ${(100 * frac).toFixed(2)}% of pixels agree with onnxruntime`);
    assert(err <= 2e-2, `relative L2 ${err}`);

    const layers = (fast.inspect() as { layers: Layer[] }).layers;
    const at = layers.findIndex((l) => l.op === "ConvTranspose");
    // Straight after the last Conv (no transpose between), two ConvTransposes, then only the output's fp32 cast and
    // its transpose to NCHW.
    assertEquals(layers[at - 1].op, "Conv");
    assertEquals(layers.slice(at).map((l) => [l.op, l.kernel]).filter(([op]) => op !== "Cast" && op !== "Transpose"), [
      ["ConvTranspose", TILE],
      ["ConvTranspose", TILE],
    ]);
    assert(!layers.some((l) => l.op === "BatchNormalization"), "every BatchNormalization folded");

    using stream = new Stream();
    for (const [what, engine] of [["fp16 NHWC", fast]] as const) {
      const prof = engine.context.profile(stream, 20);
      const rows = prof.filter((p) => p.op === "ConvTranspose" || p.op === "BatchNormalization" || p.op === "Relu");
      for (const p of rows) console.log(`  ${what} ${p.name} (${p.op}, ${p.kernel}): ${(p.ms * 1e3).toFixed(1)} us`);
      assert(rows.length >= 2 && rows.every((p) => p.ms > 0), JSON.stringify(rows));
    }
  });
}
