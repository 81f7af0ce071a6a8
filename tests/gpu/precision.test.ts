// Reduced precision on the CUDA executor against onnxruntime: every fixture (and ResNet-50 / MobileNetV3-Large when
// `make_fixtures.py --big` made them, MobileNetV3-Large with calibrated BatchNorm when make_precision_fixtures.py
// did) in fp16 within relative L2 2e-2, tf32 within 5e-3 and fp32 (TF32 off) within 1e-4 (an fp16 reference that
// lies wholly below float16's normal range is noted instead: random-weight MobileNetV3's ~1e-9 outputs); inspect()
// naming each layer's precision; TF32 shown to be on for "tf32" and off for "fp32" by the error of a
// large GEMM and conv against float64; shape-valued inputs bound to host memory on CUDA engines.
import { createEngine } from "../../lib/engine/session.ts";
import type { Precision } from "../../lib/engine/types.ts";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { DeviceBuffer } from "../../lib/cuda/device_buffer.ts";
import { optimize } from "../../lib/builder/optimize.ts";
import { serializePlan } from "../../lib/builder/plan.ts";
import { FP16_OPS } from "../../lib/builder/passes/precision.ts";
import { inferShapes } from "../../lib/builder/shape_inference.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { gpuTest, uniform } from "../_gpu.ts";
import { belowFloat16Range, FLOAT16_MIN_NORMAL } from "./_precision.ts";
import { GraphBuilder, int, ints } from "../engine/_graph.ts";
import { FIXTURES, fixturesPresent, loadReference, referenceModels, relativeL2 } from "../engine/_models.ts";

interface Inspect {
  layers: { name: string; op: string; precision: string; host: boolean }[];
  io: { name: string; mode: string; location: string }[];
}

const TOLERANCE: Record<Precision, number> = { fp32: 1e-4, tf32: 5e-3, fp16: 2e-2 };
const BUILD_ONLY = new Set(["unsupported"]);
const models = fixturesPresent() ? referenceModels().filter((n) => !BUILD_ONLY.has(n)) : [];

for (const name of models) {
  gpuTest(
    `precision ${name}: fp16 <= 2e-2, tf32 <= 5e-3, fp32 <= 1e-4 of onnxruntime; inspect names each layer's precision`,
    async () => {
      const ref = loadReference(name);
      const profiles = [
        Object.fromEntries(
          Object.entries(ref.inputs).map(([k, v]) => [k, { min: v.shape, opt: v.shape, max: v.shape }]),
        ),
      ];
      const worst: string[] = [];
      for (const precision of ["fp32", "tf32", "fp16"] as Precision[]) {
        await using engine = await createEngine({
          onnx: `${FIXTURES}${name}.onnx`,
          device: "cuda",
          provider: "builtin",
          precision,
          profiles,
        });
        for (const l of (engine.inspect() as Inspect).layers.filter((l) => !l.host)) {
          const what = `${precision}: ${l.name} (${l.op}) is ${l.precision}`;
          if (["Conv", "ConvTranspose", "MatMul", "Gemm"].includes(l.op)) {
            const want =
              { fp32: "float32", tf32: l.op === "ConvTranspose" ? "float32" : "tf32", fp16: "float16" }[precision];
            assertEquals(l.precision, want, what);
          } else if (precision === "fp16") {
            // float16 only where the CUDA executor has a float16 kernel (the pass's list); Casts convert at the I/O
            assert(l.precision !== "float16" || FP16_OPS.has(l.op) || l.op === "Cast", what);
          } else {
            assert(l.precision !== "float16" && l.precision !== "tf32", what);
          }
        }
        const out = await engine.infer(ref.inputs);
        for (const [k, w] of Object.entries(ref.outputs)) {
          assert(out[k], `missing output ${k}`);
          assertEquals(out[k].shape, w.shape, `${k} shape`);
          assertEquals(out[k].dtype, engine.outputs.find((t) => t.name === k)!.dtype, `${k} dtype`);
          if (precision === "fp16" && belowFloat16Range(w.data)) {
            console.log(
              `[note] ${name}/${k}: the reference peaks below float16's normal range (${FLOAT16_MIN_NORMAL}); fp16 not compared`,
            );
            continue;
          }
          const err = relativeL2(out[k].data, w.data);
          worst.push(`${precision} ${err.toExponential(1)}`);
          if (err > TOLERANCE[precision]) {
            // What ran, for the record: tf32 ResNet-50 (the same seeded fixture) measured 1.3e-2 with one build's
            // timed engines and 5e-4 with another's, so a failure names each conv's kernel.
            const kernels = (engine.inspect() as { layers: { name: string; op: string; kernel?: string }[] }).layers
              .filter((l) => l.op === "Conv").map((l) => `${l.name}:${l.kernel}`);
            console.log(`[precision] ${name} ${precision} over its bound; convs: ${kernels.join(" ")}`);
          }
          assert(
            err <= TOLERANCE[precision],
            `${name}/${k} ${precision}: relative L2 ${err.toExponential(2)} > ${TOLERANCE[precision]}`,
          );
        }
      }
      if (name.startsWith("resnet50") || name.startsWith("mobilenet")) {
        console.log(`[precision] ${name}: ${worst.join(", ")}`);
      }
    },
  );
}


/** y = x[M,K] @ W[K,N] and z = conv (k x k, "same" pads) of v[1,C,H,H] with F[C,C,k,k], in float64. */
function reference(
  x: Float32Array,
  w: Float32Array,
  M: number,
  K: number,
  N: number,
  v: Float32Array,
  f: Float32Array,
  C: number,
  H: number,
  k = 3,
) {
  const y = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const a = x[i * K + k];
      for (let j = 0; j < N; j++) y[i * N + j] += a * w[k * N + j];
    }
  }
  const z = new Float64Array(C * H * H), p = (k - 1) / 2;
  for (let o = 0; o < C; o++) {
    for (let c = 0; c < C; c++) {
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const wt = f[((o * C + c) * k + ky) * k + kx];
          for (let yy = 0; yy < H; yy++) {
            const iy = yy + ky - p;
            if (iy < 0 || iy >= H) continue;
            for (let xx = 0; xx < H; xx++) {
              const ix = xx + kx - p;
              if (ix >= 0 && ix < H) z[(o * H + yy) * H + xx] += wt * v[(c * H + iy) * H + ix];
            }
          }
        }
      }
    }
  }
  return { y, z };
}

gpuTest(
  "precision: TF32 is on for 'tf32' and off for 'fp32' (a 256x1024x256 GEMM and 3x3 / 1x1 convs vs float64)",
  async () => {
    const M = 256, K = 1024, N = 256, C = 64, H = 32, C1 = 256, H1 = 28;
    const x = uniform(M * K), w = uniform(K * N), v = uniform(C * H * H), f = uniform(C * C * 9, 0.1);
    const v1 = uniform(C1 * H1 * H1), f1 = uniform(C1 * C1, 0.1);
    const want = reference(x, w, M, K, N, v, f, C, H), want1 = reference(x, w, 0, 0, 0, v1, f1, C1, H1, 1);
    const errors: Record<string, number[]> = {};
    const conv = (b: GraphBuilder, input: string, weight: string, c: number, h: number, k: number) =>
      b.node("Conv", [input, weight], [[1, c, h, h]], {
        kernel_shape: ints([k, k]),
        strides: ints([1, 1]),
        dilations: ints([1, 1]),
        pads: ints(Array(4).fill((k - 1) / 2)),
        group: int(1),
      })[0];
    for (const precision of ["fp32", "tf32", "fp16"] as Precision[]) {
      const b = new GraphBuilder();
      b.input("x", [M, K]);
      b.input("v", [1, C, H, H]);
      b.input("v1", [1, C1, H1, H1]);
      const [y] = b.node("MatMul", ["x", b.constF32("W", [K, N], w)], [[M, N]]);
      const z = conv(b, "v", b.constF32("F", [C, C, 3, 3], f), C, H, 3);
      const z1 = conv(b, "v1", b.constF32("F1", [C1, C1, 1, 1], f1), C1, H1, 1);
      b.output(y, z, z1);
      inferShapes(b.g);
      optimize(b.g, { precision });
      await using engine = await createEngine({ plan: serializePlan(b.g, { device: "cuda" }), device: "cuda" });
      const out = await engine.infer({ x, v, v1 });
      errors[precision] = [
        relativeL2(out[y].data, want.y),
        relativeL2(out[z].data, want.z),
        relativeL2(out[z1].data, want1.z),
      ];
    }
    console.log(`[precision] GEMM / conv3x3 / conv1x1 relative L2 vs float64: ${JSON.stringify(errors)}`);
    // fp32 rounds only in accumulation (~1e-7 per step); TF32 rounds every input to 10 mantissa bits (~1e-4).
    for (const e of errors.fp32) assert(e < 2e-5, `fp32 error ${e}: TF32 (or worse) is on`);
    for (const e of errors.fp16) assert(e > 1e-4 && e <= 2e-2, `fp16 error ${e}`);
    // cuBLASLt's FAST_TF32 compute type takes tensor cores for a GEMM this size. For cuDNN, TF32 is a permission that
    // its measurement decides: on an H200 (cuDNN 9.14) both batch-1 convs here ran the same FMA algorithm as fp32
    // (bit-identical errors), while ResNet-50 at batch 32 ran 2.4x faster in tf32 than in fp32. So only the convs'
    // accuracy is asserted.
    const [gemm, conv3, conv1] = errors.tf32;
    assert(gemm > 3e-5 && gemm <= 5e-3, `tf32 GEMM error ${gemm}: TF32 is off, or too inaccurate`);
    assert(conv3 <= 5e-3 && conv1 <= 5e-3, `tf32 conv errors ${conv3}, ${conv1}`);
  },
);

/** s (a float32 scalar) starts a Range and is also added to v on the GPU; dims reaches ConstantOfShape via Concat. */
function hostInputModel() {
  const b = new GraphBuilder();
  b.input("s", []);
  b.input("v", [5]);
  b.input("dims", [2], "int64");
  const [r] = b.node("Range", ["s", b.constF32("limit", [], [12]), b.constF32("delta", [], [0.5])], [["n"]]);
  const [a] = b.node("Add", ["v", "s"], [[5]]);
  const [full] = b.node("Concat", ["dims", b.constI64("three", [3])], [[3]], { axis: int(0) }, "int64");
  const [c] = b.node("ConstantOfShape", [full], [["p", "q", "r"]], { value: { type: "floats", value: [1.5] } });
  b.output(r, a, c);
  inferShapes(b.g);
  b.g.profiles.push({
    s: { min: [], opt: [], max: [] },
    v: { min: [5], opt: [5], max: [5] },
    dims: { min: [2], opt: [2], max: [2] },
  });
  optimize(b.g, { precision: "fp16" });
  return { plan: serializePlan(b.g, { device: "cuda" }), r, a, c };
}

gpuTest(
  "precision: shape-valued inputs live in host memory on CUDA; new values each run, same shapes included",
  async () => {
    const m = hostInputModel();
    await using engine = await createEngine({ plan: m.plan, device: "cuda" });
    const io = (engine.inspect() as Inspect).io;
    assertEquals(io.filter((t) => t.location === "host").map((t) => t.name).sort(), ["dims", "s"]);
    // Same Range length (12 - s) / 0.5 rounded up for s = 2 and 2.25: a replayed graph would keep the old start.
    for (const [s, dims] of [[2, [2, 3]], [2.25, [2, 3]], [-1, [1, 4]], [2, [2, 3]]] as const) {
      const v = uniform(5);
      const out = await engine.infer({ s: Float32Array.of(s), v, dims: BigInt64Array.from(dims, BigInt) });
      const n = Math.ceil((12 - s) / 0.5);
      assertEquals(out[m.r].shape, [n]);
      assert(relativeL2(out[m.r].data, Array.from({ length: n }, (_, i) => s + 0.5 * i)) < 1e-6, `Range from ${s}`);
      assert(
        relativeL2(out[m.a].data, Array.from(v, (e) => e + s)) < 2e-3,
        `v + s with s = ${s} (the Add reads the staged device copy of s)`,
      );
      assertEquals(out[m.c].shape, [...dims, 3]);
      assert((out[m.c].data as Float32Array).every((e) => e === 1.5), "ConstantOfShape fills 1.5");
    }
  },
);

gpuTest("precision: binding device memory to a host-placed input is refused, naming the input", async () => {
  const m = hostInputModel();
  await using engine = await createEngine({ plan: m.plan, device: "cuda" });
  using dev = new DeviceBuffer(256);
  assertThrows(() => engine.context.setTensorAddress("dims", dev), InvalidArgumentError, /'dims'.*host memory/);
  // still usable after the refusal
  const out = await engine.infer({ s: Float32Array.of(1), v: uniform(5), dims: BigInt64Array.of(2n, 2n) });
  assertEquals(out[m.c].shape, [2, 2, 3]);
});
