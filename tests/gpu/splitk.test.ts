/**
 * The own split-K conv kernel (c_shim/src/cuda_ops/splitk_conv.cu) inside a whole network. Timing gives it the fp16
 * NHWC convs of at most 4096 output pixels where it beats cuDNN's choice (on the H200: ResNet-50's 3x3 512 convs at
 * batch 1); DENOTRT_FORCE_SPLITK=1 gives it every one it can run, so ResNet-50 at batch 2 runs its 1x1, 3x3 and
 * strided convs from layer2 on through it, with bias, residual and Relu epilogues. It must match onnxruntime within
 * the fp16 bound, run twice (the second a CUDA graph replay), as the default build does; DENOTRT_NO_SPLITK=1 must
 * leave no conv on it. (MobileNetV3's fixture output is below fp16's normal range, so it is not compared in fp16;
 * tests/gpu/native/splitk_conv_test.cu checks the kernel itself against float64, other activations included.)
 */
import { assert } from "../_assert.ts";
import { buildAndCheck } from "./_fixture_engine.ts";
import { gpuTest } from "../_gpu.ts";
import { fixturesPresent, loadReference } from "../engine/_models.ts";

interface Layer { name: string; op: string; kernel: string }

const SPLITK = /^dtops_splitk_conv/;

async function convKernels(name: string, env: Record<string, string>): Promise<string[]> {
  const ref = loadReference(name);
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    await using engine = await buildAndCheck(name, ref, { precision: "fp16", layout: "nhwc" }, ref.inputs, ref.outputs, 2e-2);
    return (engine.inspect() as { layers: Layer[] }).layers.filter((l) => l.op === "Conv").map((l) => l.kernel);
  } finally {
    for (const k of Object.keys(env)) Deno.env.delete(k);
  }
}

const count = (kernels: string[]) => kernels.filter((k) => SPLITK.test(k)).length;

if (fixturesPresent()) {
  gpuTest("split-K convs: forced onto every conv they take, ResNet-50 fp16 still matches onnxruntime; off, none runs", async () => {
    for (const [name, atLeast] of [["resnet50", 30]] as const) {
      const forced = await convKernels(name, { DENOTRT_FORCE_SPLITK: "1" });
      const timed = await convKernels(name, {});
      const off = await convKernels(name, { DENOTRT_NO_SPLITK: "1" });
      console.log(`[splitk] ${name} b2: ${count(forced)} of ${forced.length} convs on split-K when forced, ` +
        `${count(timed)} when timed: ${[...new Set(timed.filter((k) => SPLITK.test(k)))].join(", ")}`);
      // ResNet-50 has 41 convs with at most 4096 output pixels at batch 2 (layer2 on; H200: all 41 ran split-K forced).
      assert(count(forced) >= atLeast, `${name}: only ${count(forced)} convs on split-K when forced`);
      assert(count(off) === 0, `${name}: split-K ran with DENOTRT_NO_SPLITK=1`);
    }
  });
}
