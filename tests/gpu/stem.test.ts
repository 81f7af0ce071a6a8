/**
 * The ResNet stem fused by the CUDA executor (exec_cuda_stem.cu): in fp16 channels-last plans a Conv 7x7/2 + Relu
 * into 64 channels followed by a MaxPool 3x3/2 runs as one kernel (dtops_stem_conv_pool_*), the pool runs nothing,
 * and when the conv's input is the graph input's cast made for it alone, that cast runs nothing either. Checked
 * against onnxruntime's outputs (the fixtures' references) at sizes whose tiles do not divide the output, against
 * the unfused path (DENOTRT_NO_OWN_STEM=1: cuDNN and the pool kernel) on the same fresh inputs, and on ResNet-50
 * when its fixture is present. (exec_cuda.test.ts also runs the fixtures against the CPU executor;
 * tests/gpu/native/stem_conv_pool_test.cu checks the kernel itself against float64.)
 */
import { createEngine } from "../../lib/engine/session.ts";
import { assert, assertEquals } from "../_assert.ts";
import { assertNoLiveHandles, gpuTest } from "../_gpu.ts";
import { FIXTURES, fixturesPresent, loadReference, profilesOf, relativeL2 } from "../engine/_models.ts";

interface Layer { name: string; op: string; kernel: string }
type Feeds = Record<string, { data: Float32Array<ArrayBuffer>; shape: number[] }>;

const STEM = /^dtops_stem_conv_pool_(8x8|4x8|4x4)$/;

async function build(onnx: string, profiles: ReturnType<typeof profilesOf>) {
  return await createEngine({ onnx, device: "cuda", provider: "builtin", precision: "fp16", profiles });
}

function kernels(engine: { inspect(): unknown }): Layer[] {
  return (engine.inspect() as { layers: Layer[] }).layers;
}

/** Uniform in [-2, 2): never zeros, never the reference's inputs. */
function freshInputs(shapes: Record<string, number[]>): Feeds {
  return Object.fromEntries(Object.entries(shapes).map(([k, shape]) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.random() * 4 - 2;
    return [k, { data, shape }];
  }));
}

/** Outputs of the same model built with the stem left to cuDNN and the pool kernel. */
async function unfused(onnx: string, profiles: ReturnType<typeof profilesOf>, feeds: Feeds) {
  Deno.env.set("DENOTRT_NO_OWN_STEM", "1");
  try {
    await using engine = await build(onnx, profiles);
    assert(!kernels(engine).some((l) => STEM.test(l.kernel)), "DENOTRT_NO_OWN_STEM=1 still ran the stem kernel");
    return await engine.infer(feeds);
  } finally {
    Deno.env.delete("DENOTRT_NO_OWN_STEM");
  }
}

// Per fixture: whether the input's cast is fused into the stem (one reader) or runs (two readers).
const CASES: [string, boolean][] = [["resnet_stem", true], ["resnet_stem_shared_input", false]];

if (fixturesPresent()) {
  for (const [name, castFused] of CASES) {
    gpuTest(`stem ${name}: conv + relu + maxpool run as one kernel${castFused ? " reading the fp32 input" : ""}; onnxruntime's outputs, and the unfused path's`, async () => {
      const ref = loadReference(name);
      const onnx = `${FIXTURES}${name}.onnx`;
      const profiles = profilesOf(ref);
      {
        await using engine = await build(onnx, profiles);
        const layers = kernels(engine);
        const conv = layers.find((l) => l.name === "stem_conv");
        assert(conv && STEM.test(conv.kernel), `stem_conv runs ${conv?.kernel}`);
        assertEquals(layers.find((l) => l.name === "stem_pool")?.kernel, "fused_into_previous_layer");
        const cast = layers.find((l) => l.op === "Cast" && l.name.startsWith("x/"));
        assert(cast, layers.map((l) => `${l.name}:${l.kernel}`).join());
        assertEquals(cast.kernel === "fused_into_next_layer", castFused, `input cast runs ${cast.kernel}`);
        for (let run = 0; run < 2; run++) { // the second run replays the CUDA graph
          const got = await engine.infer(ref.inputs);
          for (const [k, w] of Object.entries(ref.outputs)) {
            const err = relativeL2(got[k].data as ArrayLike<number>, w.data as ArrayLike<number>);
            assert(err <= 1e-2, `${name}/${k} run ${run}: relative L2 ${err} vs onnxruntime`);
          }
        }
        const feeds = freshInputs(Object.fromEntries(Object.entries(ref.inputs).map(([k, v]) => [k, v.shape])));
        const got = await engine.infer(feeds);
        const want = await unfused(onnx, profiles, feeds);
        for (const k of Object.keys(ref.outputs)) {
          const err = relativeL2(got[k].data as ArrayLike<number>, want[k].data as ArrayLike<number>);
          assert(err <= 1e-2, `${name}/${k} fresh inputs: relative L2 ${err} vs the unfused path`);
        }
      }
      assertNoLiveHandles(name);
    });
  }
}

const RESNET50 = `${FIXTURES}resnet50.onnx`;
let haveResnet = false;
try {
  haveResnet = Deno.statSync(RESNET50).isFile;
} catch { /* the big fixtures are made on the device only */ }

if (haveResnet) {
  gpuTest("stem ResNet-50 fp16 b4: the stem is one kernel reading the fp32 input; same classes as the unfused path", async () => {
    const shape = [4, 3, 224, 224];
    const profiles = [{ x: { min: shape, opt: shape, max: shape } }];
    const feeds = freshInputs({ x: shape });
    {
      await using engine = await build(RESNET50, profiles);
      const layers = kernels(engine);
      assert(STEM.test(layers.find((l) => l.name === "/conv1/Conv")?.kernel ?? ""), "conv1 is not the stem kernel");
      assertEquals(layers.find((l) => l.name === "/maxpool/MaxPool")?.kernel, "fused_into_previous_layer");
      const fusedIntoNext = layers.filter((l) => l.kernel === "fused_into_next_layer" && l.op !== "Concat");
      assertEquals(fusedIntoNext.map((l) => l.op), ["Cast", "Transpose"], "the input's cast + transpose");
      const got = (await engine.infer(feeds)).y.data as Float32Array;
      const want = (await unfused(RESNET50, profiles, feeds)).y.data as Float32Array;
      const err = relativeL2(got, want);
      let same = 0;
      for (let b = 0; b < 4; b++) {
        const arg = (a: Float32Array) => a.subarray(b * 1000, (b + 1) * 1000).reduce((m, v, i, s) => (v > s[m] ? i : m), 0);
        if (arg(got) === arg(want)) same++;
      }
      console.log(`ResNet-50 b4 fp16, fused stem vs unfused: relative L2 ${err.toExponential(2)}, top-1 agrees ${same}/4`);
      assert(err <= 2e-2, `relative L2 ${err} vs the unfused path`);
      assert(same >= 3, `top-1 agrees on ${same} of 4 images`);
    }
    assertNoLiveHandles("resnet50");
  });
}
