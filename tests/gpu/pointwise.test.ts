/**
 * The own 1x1 conv kernel (dtops::pointwise_conv) as the CUDA executor runs it: an fp16 channels-last Conv 1x1
 * 64 -> 256 + bias + residual Add + Relu (ResNet's expanding conv) runs on it at every batch, a 1x1 conv without a
 * residual stays on cuDNN's timed choice (exec_cuda_conv.cu, runs_own_pointwise). Checked against float64 at sampled
 * outputs and against the cuDNN path (DENOTRT_NO_OWN_POINTWISE=1) on the same fresh inputs.
 * (tests/gpu/native/pointwise_conv_test.cu checks the kernel itself at every shape it takes.)
 */
import { createEngine } from "../../lib/engine/session.ts";
import { optimize } from "../../lib/builder/optimize.ts";
import { serializePlan } from "../../lib/builder/plan.ts";
import { inferShapes } from "../../lib/builder/shape_inference.ts";
import { assert, assertEquals } from "../_assert.ts";
import { assertNoLiveHandles, gpuTest, uniform } from "../_gpu.ts";
import { GraphBuilder, int, ints } from "../engine/_graph.ts";
import { relativeL2 } from "../engine/_models.ts";

const C = 64, K = 256;


/** y = Relu(Conv1x1(v, w) + b [+ r]) over [N, C, H, W] -> [N, K, H, W], as an fp16 plan. */
function plan(n: number, h: number, w: Float32Array, b: Float32Array, residual = true): Uint8Array {
  const g = new GraphBuilder();
  g.input("v", [n, C, h, h]);
  if (residual) g.input("r", [n, K, h, h]);
  const [conv] = g.node("Conv", ["v", g.constF32("W", [K, C, 1, 1], w), g.constF32("B", [K], b)], [[n, K, h, h]], {
    kernel_shape: ints([1, 1]),
    strides: ints([1, 1]),
    pads: ints([0, 0, 0, 0]),
    group: int(1),
  });
  const [sum] = residual ? g.node("Add", [conv, "r"], [[n, K, h, h]]) : [conv];
  const [y] = g.node("Relu", [sum], [[n, K, h, h]]);
  g.output(y);
  inferShapes(g.g);
  optimize(g.g, { precision: "fp16", layout: "nhwc" });
  return serializePlan(g.g, { device: "cuda" });
}

function convKernel(engine: { inspect(): unknown }): string {
  const layers = (engine.inspect() as { layers: { op: string; kernel: string }[] }).layers;
  return layers.find((l) => l.op === "Conv")!.kernel;
}

gpuTest("pointwise: a large 1x1 conv + bias + residual + Relu runs on the own kernel; float64 and cuDNN agree", async () => {
  // 2 x 188 x 188 pixels x 256 channels: 1106 blocks of 128 x 128, over 8 per SM of an H200.
  const n = 2, h = 188, hw = h * h;
  const w = uniform(K * C, 1 / 8), b = uniform(K, 0.5), v = uniform(n * C * hw), r = uniform(n * K * hw);
  const bytes = plan(n, h, w, b);
  let got: Float32Array;
  {
    await using engine = await createEngine({ plan: bytes, device: "cuda" });
    got = (await engine.infer({ v, r }))[engine.outputs[0].name].data as Float32Array;
    assertEquals(convKernel(engine), "dtops_pointwise_conv"); // chosen when the shapes are set (the plan is untimed)
    const again = (await engine.infer({ v, r }))[engine.outputs[0].name].data as Float32Array; // graph replay
    assertEquals(relativeL2(again, got), 0);
  }
  // float64 at 4000 random outputs (the inputs as fp16 would round them contribute ~1e-3).
  let num = 0, den = 0;
  for (let s = 0; s < 4000; s++) {
    const img = Math.floor(Math.random() * n), k = Math.floor(Math.random() * K), p = Math.floor(Math.random() * hw);
    let acc = b[k] + r[(img * K + k) * hw + p];
    for (let c = 0; c < C; c++) acc += w[k * C + c] * v[(img * C + c) * hw + p];
    const want = Math.max(acc, 0), d = got[(img * K + k) * hw + p] - want;
    num += d * d;
    den += want * want;
  }
  const err64 = Math.sqrt(num / den);
  Deno.env.set("DENOTRT_NO_OWN_POINTWISE", "1");
  Deno.env.set("DENOTRT_NO_SPLITK", "1"); // cuDNN alone, not the split-K kernel timing might prefer at this size
  let cudnn: Float32Array;
  try {
    await using engine = await createEngine({ plan: bytes, device: "cuda" });
    cudnn = (await engine.infer({ v, r }))[engine.outputs[0].name].data as Float32Array;
    assert(convKernel(engine).startsWith("cudnn"), convKernel(engine));
  } finally {
    Deno.env.delete("DENOTRT_NO_OWN_POINTWISE");
    Deno.env.delete("DENOTRT_NO_SPLITK");
  }
  const errCudnn = relativeL2(got, cudnn);
  console.log(`pointwise 1x1 64->256 + residual, fp16: relative L2 ${err64.toExponential(2)} vs float64 (sampled), ` +
    `${errCudnn.toExponential(2)} vs cuDNN`);
  assert(err64 <= 1e-2, `relative L2 ${err64} vs float64`);
  assert(errCudnn <= 1e-2, `relative L2 ${errCudnn} vs the cuDNN path`);
  assertNoLiveHandles("pointwise");
});

gpuTest("pointwise: batch 1 takes the own kernel too; a 1x1 conv without a residual stays on the timed choice", async () => {
  for (const residual of [true, false]) {
    const bytes = plan(1, 56, uniform(K * C, 1 / 8), uniform(K, 0.5), residual);
    await using engine = await createEngine({ plan: bytes, device: "cuda" });
    const feeds: Record<string, Float32Array<ArrayBuffer>> = { v: uniform(C * 56 * 56) };
    if (residual) feeds.r = uniform(K * 56 * 56);
    await engine.infer(feeds);
    const kernel = convKernel(engine);
    // Without a residual: cuDNN's choice or, where timing found it faster, the split-K kernel (3136 pixels here).
    const timed = kernel.startsWith("cudnn") || kernel.startsWith("dtops_splitk_conv_");
    assert(residual ? kernel === "dtops_pointwise_conv" : timed, `residual ${residual}: ${kernel}`);
  }
});
