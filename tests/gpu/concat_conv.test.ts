/**
 * ResNet's downsample block as the CUDA executor runs it: Relu(Conv1x1(v) + b_a + Conv1x1(x) + b_b), which the builder
 * rewrites as one 1x1 conv over Concat(v, x) (lib/builder/passes/merge_added_convs.ts), runs as one GEMM reading v and
 * x in place (dtops::pointwise_conv with x2; exec_cuda_concat_conv.cu), and the Concat runs nothing. Checked against
 * float64 at sampled outputs on the original (unmerged) formula, against the Concat + cuDNN path
 * (DENOTRT_NO_OWN_POINTWISE=1) on the same fresh inputs, and for bit-identical graph replays.
 * (tests/gpu/native/pointwise_conv_test.cu checks the kernel's two-input form at every split it takes.)
 */
import { createEngine } from "../../lib/engine/session.ts";
import { optimize } from "../../lib/builder/optimize.ts";
import { serializePlan } from "../../lib/builder/plan.ts";
import { inferShapes } from "../../lib/builder/shape_inference.ts";
import { assert, assertEquals } from "../_assert.ts";
import { assertNoLiveHandles, gpuTest, uniform } from "../_gpu.ts";
import { GraphBuilder, int, ints } from "../engine/_graph.ts";
import { relativeL2 } from "../engine/_models.ts";

const K = 256;
const CONV1X1 = { kernel_shape: ints([1, 1]), strides: ints([1, 1]), pads: ints([0, 0, 0, 0]), group: int(1) };


interface Block {
  n: number;
  h: number;
  ca: number;
  cb: number;
  wa: Float32Array;
  ba: Float32Array;
  wb: Float32Array;
  bb: Float32Array;
}

function block(n: number, h: number, ca: number, cb: number): Block {
  return { n, h, ca, cb, wa: uniform(K * ca, 1 / 8), ba: uniform(K, 0.5), wb: uniform(K * cb, 1 / 8), bb: uniform(K, 0.5) };
}

/** y = Relu(Conv1x1(v, wa) + ba + Conv1x1(x, wb) + bb), v [N, ca, H, W], x [N, cb, H, W], as an fp16 NHWC plan. */
function plan(b: Block): Uint8Array {
  const g = new GraphBuilder();
  const { n, h } = b;
  g.input("v", [n, b.ca, h, h]);
  g.input("x", [n, b.cb, h, h]);
  const [ya] = g.node("Conv", ["v", g.constF32("Wa", [K, b.ca, 1, 1], b.wa), g.constF32("Ba", [K], b.ba)],
    [[n, K, h, h]], CONV1X1);
  const [yb] = g.node("Conv", ["x", g.constF32("Wb", [K, b.cb, 1, 1], b.wb), g.constF32("Bb", [K], b.bb)],
    [[n, K, h, h]], CONV1X1);
  const [sum] = g.node("Add", [ya, yb], [[n, K, h, h]]);
  const [y] = g.node("Relu", [sum], [[n, K, h, h]]);
  g.output(y);
  inferShapes(g.g);
  optimize(g.g, { precision: "fp16", layout: "nhwc" });
  return serializePlan(g.g, { device: "cuda" });
}

type Layers = { name: string; op: string; kernel: string }[];
const layersOf = (engine: { inspect(): unknown }) => (engine.inspect() as { layers: Layers }).layers;

/** Relative L2 against float64 of the unmerged formula at 3000 random outputs. */
function errorVsFloat64(b: Block, v: Float32Array, x: Float32Array, got: Float32Array): number {
  const hw = b.h * b.h;
  let num = 0, den = 0;
  for (let s = 0; s < 3000; s++) {
    const img = Math.floor(Math.random() * b.n), k = Math.floor(Math.random() * K), p = Math.floor(Math.random() * hw);
    let acc = b.ba[k] + b.bb[k];
    for (let c = 0; c < b.ca; c++) acc += b.wa[k * b.ca + c] * v[(img * b.ca + c) * hw + p];
    for (let c = 0; c < b.cb; c++) acc += b.wb[k * b.cb + c] * x[(img * b.cb + c) * hw + p];
    const want = Math.max(acc, 0), d = got[(img * K + k) * hw + p] - want;
    num += d * d;
    den += want * want;
  }
  return Math.sqrt(num / den);
}

async function run(bytes: Uint8Array, v: Float32Array<ArrayBuffer>, x: Float32Array<ArrayBuffer>) {
  await using engine = await createEngine({ plan: bytes, device: "cuda" });
  const name = engine.outputs[0].name;
  const got = (await engine.infer({ v, x }))[name].data as Float32Array;
  const again = (await engine.infer({ v, x }))[name].data as Float32Array; // graph replay
  return { got, again, layers: layersOf(engine) };
}

gpuTest("concat conv: ResNet's layer1 downsample block (64 + 64 -> 256) is one GEMM reading both inputs", async () => {
  for (const n of [1, 6]) {
    const b = block(n, 56, 64, 64);
    const v = uniform(n * 64 * 56 * 56), x = uniform(n * 64 * 56 * 56);
    const bytes = plan(b);
    const { got, again, layers } = await run(bytes, v, x);
    const cat = layers.find((l) => l.op === "Concat"), conv = layers.find((l) => l.op === "Conv");
    assertEquals(layers.filter((l) => l.op === "Conv").length, 1, "the two convs are merged by the builder");
    assertEquals(cat?.kernel, "fused_into_next_layer", "the Concat is never written");
    assertEquals(conv?.kernel, "dtops_pointwise_conv_concat");
    assertEquals(relativeL2(again, got), 0, "graph replay");
    const err64 = errorVsFloat64(b, v, x, got);
    Deno.env.set("DENOTRT_NO_OWN_POINTWISE", "1"); // the Concat kernel, then cuDNN's (or split-K's) conv
    let other: Awaited<ReturnType<typeof run>>;
    try {
      other = await run(bytes, v, x);
    } finally {
      Deno.env.delete("DENOTRT_NO_OWN_POINTWISE");
    }
    assert(other.layers.find((l) => l.op === "Concat")?.kernel !== "fused_into_next_layer", "the Concat ran");
    const errOther = relativeL2(got, other.got);
    console.log(`concat conv b${n} 64+64->256: relative L2 ${err64.toExponential(2)} vs float64 (sampled), ` +
      `${errOther.toExponential(2)} vs Concat + ${other.layers.find((l) => l.op === "Conv")?.kernel}`);
    assert(err64 <= 1e-2, `relative L2 ${err64} vs float64`);
    assert(errOther <= 1e-2, `relative L2 ${errOther} vs the unfused path`);
  }
  assertNoLiveHandles("concat conv");
});

gpuTest("concat conv: channel counts off the kernel's 8-channel chunks run the Concat and stay right", async () => {
  const b = block(2, 20, 12, 20); // 12 + 20 = 32 channels: the split is not on a 16-byte chunk
  const v = uniform(2 * 12 * 400), x = uniform(2 * 20 * 400);
  const { got, layers } = await run(plan(b), v, x);
  assert(layers.find((l) => l.op === "Concat")?.kernel !== "fused_into_next_layer", "the Concat ran");
  assert(layers.find((l) => l.op === "Conv")?.kernel !== "dtops_pointwise_conv_concat");
  const err64 = errorVsFloat64(b, v, x, got);
  assert(err64 <= 1e-2, `relative L2 ${err64} vs float64`);
  assertNoLiveHandles("concat conv");
});
