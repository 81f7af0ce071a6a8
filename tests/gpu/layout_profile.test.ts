/**
 * NHWC plans on the GPU (choose_layout + the CUDA executor's native and generic NHWC paths) against onnxruntime, and
 * per-layer profiling (ExecutionContext.profile).
 */
import { createEngine } from "../../lib/engine/session.ts";
import { assert } from "../_assert.ts";
import { buildAndCheck } from "./_fixture_engine.ts";
import { gpuTest } from "../_gpu.ts";
import { FIXTURES, fixturesPresent, loadReference, relativeL2 } from "../engine/_models.ts";
import { Stream } from "../../lib/cuda/stream.ts";

/** A conv kernel that build-time timing chooses: cuDNN's, or in fp16 the own split-K kernel. */
const timedConv = (kernel: string, precision: string) =>
  kernel.startsWith("cudnn") || (precision === "fp16" && kernel.startsWith("dtops_splitk_conv_"));

interface Layer { name: string; op: string; kernel: string; precision: string }

if (fixturesPresent()) {
  for (const [precision, tol] of [["fp32", 1e-4], ["tf32", 5e-3], ["fp16", 2e-2]] as const) {
    gpuTest(`NHWC ${precision}: layout_mix and layout_dynamic match onnxruntime, convs on cuDNN`, async () => {
      for (const name of ["layout_mix", "layout_dynamic"]) {
        const ref = loadReference(name);
        await using engine = await buildAndCheck(name, ref, { precision, layout: "nhwc" }, ref.inputs, ref.outputs, tol);
        const layers = (engine.inspect() as { layers: Layer[] }).layers;
        // Depthwise convs run on the own NHWC kernel, the others on cuDNN or, in fp16 where timing found it faster,
        // the own split-K kernel (layout_mix has one depthwise conv).
        const convs = layers.filter((l) => l.op === "Conv");
        const own = convs.filter((l) => l.kernel === "dtops_depthwise_nhwc");
        assert(convs.length >= 5 && own.length === 1, JSON.stringify(convs));
        assert(convs.every((l) => timedConv(l.kernel, precision) || own.includes(l)), JSON.stringify(convs));
        assert(layers.some((l) => l.op === "Transpose"), "NHWC plans convert at the boundary");
        if (precision === "fp16") {
          // The fp32 input's Cast and its NHWC Transpose run as one converting transpose (the results above
          // cover it against onnxruntime).
          const at = layers.findIndex((l) => l.kernel === "dtops_cast_transpose");
          assert(at >= 0 && layers[at].op === "Cast", `${name}: no fused input cast: ${JSON.stringify(layers)}`);
          assert(layers[at + 1].op === "Transpose" && layers[at + 1].kernel === "fused_into_previous_layer",
            JSON.stringify(layers[at + 1]));
        }
      }
    });
  }

  gpuTest("profile() times every device layer of a built-in CUDA engine", async () => {
    const ref = loadReference("layout_mix");
    await using engine = await createEngine({
      onnx: `${FIXTURES}layout_mix.onnx`,
      device: "cuda",
      provider: "builtin",
      precision: "fp16",
    });
    await engine.infer(ref.inputs); // binds addresses and shapes
    using stream = new Stream();
    const prof = engine.context.profile(stream, 5);
    const layers = (engine.inspect() as { layers: Layer[] }).layers;
    assert(prof.length === layers.length, `${prof.length} timings for ${layers.length} layers`);
    const convs = prof.filter((p) => p.op === "Conv");
    assert(convs.length > 0 && convs.every((p) => p.ms > 0 && p.ms < 100), JSON.stringify(convs));
    assert(convs.every((p) => timedConv(p.kernel, "fp16") || p.kernel === "dtops_depthwise_nhwc"), JSON.stringify(convs));
    // The engine still infers correctly afterwards (profiling ran outside any graph).
    const got = await engine.infer(ref.inputs);
    for (const [k, w] of Object.entries(ref.outputs)) {
      assert(relativeL2(got[k].data as ArrayLike<number>, w.data as ArrayLike<number>) <= 2e-2, k);
    }
  });
}
