// FusedElementwise on the CUDA executor: the models of tests/engine/_fused_models.ts built by createEngine in fp32
// and fp16, against the float64 evaluation of the unfused graph (fp32 within 1e-5, fp16 within 5e-3) and against a
// CUDA engine built from the same model with the pass skipped: fused fp16 must be at least as accurate as unfused
// fp16 (the fused kernel keeps intermediates in float32). inspect() shows the fused layers, their kernel and precision.
import { createEngine } from "../../lib/engine/session.ts";
import { Engine } from "../../lib/engine/engine.ts";
import { DeviceBuffer } from "../../lib/cuda/device_buffer.ts";
import { copyFromArray } from "../../lib/cuda/copy.ts";
import { Stream } from "../../lib/cuda/stream.ts";
import type { Precision } from "../../lib/engine/types.ts";
import { loadOnnx } from "../../lib/builder/onnx.ts";
import { optimize } from "../../lib/builder/optimize.ts";
import { serializePlan } from "../../lib/builder/plan.ts";
import { assert, assertEquals } from "../_assert.ts";
import { gpuTest } from "../_gpu.ts";
import {
  inferInputs,
  makeFeeds,
  MODELS,
  onnxOf,
  outputValues,
  randomValues,
  reference,
  relL2,
} from "../engine/_fused_models.ts";
import { onnxModel } from "../engine/_onnx_writer.ts";

interface Layer {
  name: string;
  op: string;
  kernel: string;
  precision: string;
  host: boolean;
}

const TOLERANCE: Record<"fp32" | "fp16", number> = { fp32: 1e-5, fp16: 5e-3 };

for (const m of MODELS) {
  gpuTest(
    `cuda FusedElementwise ${m.name}: fp32 and fp16 match the unfused float64 graph and the unfused engine`,
    async () => {
      const onnx = onnxOf(m);
      for (const precision of ["fp32", "fp16"] as const satisfies readonly Precision[]) {
        const unfusedGraph = await loadOnnx(onnx, m.profiles ? { profiles: m.profiles } : {});
        optimize(unfusedGraph, { skip: ["fuse_elementwise"], precision });
        await using fused = await createEngine({
          onnx,
          device: "cuda",
          provider: "builtin",
          precision,
          profiles: m.profiles,
        });
        await using unfused = await createEngine({
          plan: serializePlan(unfusedGraph, { device: "cuda" }),
          device: "cuda",
        });
        const worst: string[] = [];
        for (const shapes of m.runs) {
          const feeds = makeFeeds(m, shapes);
          const got = await fused.infer(inferInputs(feeds));
          const base = await unfused.infer(inferInputs(feeds));
          const want = await reference(m, feeds);
          for (const out of m.graph.outputs) {
            const w = [...want[out.name].data];
            assertEquals(got[out.name].shape, want[out.name].shape, `${out.name} shape`);
            assertEquals(got[out.name].dtype, out.dtype, `${out.name} dtype`);
            const err = relL2(outputValues(got[out.name]), w), errBase = relL2(outputValues(base[out.name]), w);
            worst.push(`${out.name} ${err.toExponential(1)} (unfused ${errBase.toExponential(1)})`);
            const tol = out.dtype === "float16" ? TOLERANCE.fp16 : TOLERANCE[precision];
            assert(
              err <= tol,
              `${m.name}/${out.name} ${precision} ${JSON.stringify(shapes)}: relative L2 ${err} > ${tol}`,
            );
            // No worse than the unfused engine, up to rounding: in fp16 the two round different intermediates, and
            // on one draw of dynamic_batch's inputs fused measured 1.76e-4 against 1.63e-4 (1.08x). A fused kernel
            // that lost precision (an fp16 accumulation, a dropped term) would be several times worse.
            const slack = precision === "fp16" ? 1.25 : 1.05;
            assert(
              err <= errBase * slack + 1e-6,
              `${m.name}/${out.name} ${precision}: fused ${err} > unfused ${errBase} x ${slack}`,
            );
          }
        }
        const layers = (fused.inspect() as { layers: Layer[] }).layers.filter((l) => !l.host);
        const fusedLayers = layers.filter((l) => l.op === "FusedElementwise");
        assertEquals(fusedLayers.length, m.fused, `${precision}: fused layers in ${JSON.stringify(layers)}`);
        for (const l of fusedLayers) {
          assertEquals(l.kernel, "dtops_fused_elementwise", `${l.name} kernel`);
          const half = precision === "fp16" || m.graph.inputs.some((v) => v.dtype === "float16");
          assertEquals(l.precision, half ? "float16" : "float32", `${l.name} precision`);
        }
        console.log(`[fused ${m.name} ${precision}] ${worst.join(", ")}`);
      }
    },
  );
}

// A BatchNorm-shaped chain with a residual on 8M elements: one fused kernel moves 3 tensors through memory where the
// six separate layers move 13; the fused plan must be faster (times are printed for the record).
gpuTest(
  "cuda FusedElementwise: a 6-op chain on [8,64,128,128] runs faster fused than unfused (fp32 and fp16)",
  async () => {
    const shape = [8, 64, 128, 128];
    const n = shape.reduce((a, b) => a * b, 1);
    const onnx = onnxModel({
      inputs: [{ name: "x", dtype: "float32", shape }, { name: "r", dtype: "float32", shape }],
      outputs: [{ name: "y", dtype: "float32", shape }],
      initializers: [
        { name: "s", dtype: "float32", shape: [1, 64, 1, 1], values: randomValues(64) },
        { name: "b", dtype: "float32", shape: [1, 64, 1, 1], values: randomValues(64) },
        { name: "h", dtype: "float32", shape: [], values: [0.5] },
      ],
      nodes: [
        { op: "Mul", inputs: ["x", "s"], outputs: ["xs"] },
        { op: "Add", inputs: ["xs", "b"], outputs: ["xb"] },
        { op: "HardSwish", inputs: ["xb"], outputs: ["hs"] },
        { op: "Mul", inputs: ["hs", "h"], outputs: ["hh"] },
        { op: "Add", inputs: ["hh", "r"], outputs: ["a"] },
        { op: "Relu", inputs: ["a"], outputs: ["y"] },
      ],
    });
    await using stream = new Stream();
    using x = new DeviceBuffer(4 * n), r = new DeviceBuffer(4 * n), y = new DeviceBuffer(4 * n);
    const host = Float32Array.from(randomValues(n));
    copyFromArray(x, host, stream);
    copyFromArray(r, host, stream);
    for (const precision of ["fp32", "fp16"] as const) {
      const ms: Record<string, number> = {};
      for (const fuse of [true, false]) {
        const g = await loadOnnx(onnx);
        optimize(g, { precision, skip: fuse ? [] : ["fuse_elementwise"] });
        using engine = new Engine(serializePlan(g, { device: "cuda" }), "cuda");
        using ctx = engine.createExecutionContext();
        ctx.setInputShape("x", shape);
        ctx.setInputShape("r", shape);
        ctx.setTensorAddress("x", x);
        ctx.setTensorAddress("r", r);
        ctx.setTensorAddress("y", y);
        for (let i = 0; i < 3; i++) ctx.enqueueV3(stream); // warm-up and CUDA graph capture
        await stream.synchronize();
        const runs = 50, t0 = performance.now();
        for (let i = 0; i < runs; i++) ctx.enqueueV3(stream);
        await stream.synchronize();
        ms[fuse ? "fused" : "unfused"] = (performance.now() - t0) / runs;
      }
      console.log(
        `[fused chain ${precision}] ${n} elements: fused ${ms.fused.toFixed(3)} ms, unfused ${
          ms.unfused.toFixed(3)
        } ms ` +
          `(${(ms.unfused / ms.fused).toFixed(2)}x)`,
      );
      assert(ms.fused < ms.unfused, `${precision}: fused ${ms.fused} ms is not faster than unfused ${ms.unfused} ms`);
    }
  },
);
