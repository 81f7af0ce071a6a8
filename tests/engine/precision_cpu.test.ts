// Precision and host-placed inputs on the CPU: what the builder accepts for device "cpu", fp16 plans (built for
// CUDA) on a CPU engine against onnxruntime, the inspect() precision and I/O locations, and shape-valued inputs.
import { buildBuiltinPlan } from "../../lib/engine/builtin_builder.ts";
import { createEngine } from "../../lib/engine/session.ts";
import { InvalidArgumentError, UnsupportedError } from "../../lib/core/errors.ts";
import type { Precision } from "../../lib/engine/types.ts";
import { optimize } from "../../lib/builder/optimize.ts";
import { serializePlan } from "../../lib/builder/plan.ts";
import { inferShapes } from "../../lib/builder/shape_inference.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { assertNoLiveHandles } from "../_gpu.ts";
import { GraphBuilder, int } from "./_graph.ts";
import { FIXTURES, fixturesPresent, loadReference, relativeL2 } from "./_models.ts";

interface Inspect {
  layers: { name: string; op: string; precision: string }[];
  io: { name: string; mode: string; dtype: string; location: string }[];
}

const noFixtures = !fixturesPresent();
const onnx = (name: string) => Deno.readFileSync(`${FIXTURES}${name}.onnx`);
const staticProfiles = (name: string) => {
  const ref = loadReference(name);
  return [
    Object.fromEntries(Object.entries(ref.inputs).map(([k, v]) => [k, { min: v.shape, opt: v.shape, max: v.shape }])),
  ];
};

Deno.test({
  name: "precision: fp16 for device cpu is refused clearly; an unknown precision is an argument error",
  ignore: noFixtures,
  async fn() {
    await assertRejects(
      () => buildBuiltinPlan(onnx("conv_basic"), { precision: "fp16", profiles: [], device: "cpu" }),
      UnsupportedError,
      /'fp16' needs the CUDA executor.*float32/,
    );
    await assertRejects(
      () => buildBuiltinPlan(onnx("conv_basic"), { precision: "int8" as Precision, profiles: [], device: "cuda" }),
      InvalidArgumentError,
      /precision must be one of 'fp32', 'tf32', 'fp16', got 'int8'/,
    );
  },
});

Deno.test({
  name: "precision: tf32 for device cpu runs as float32 (within 1e-5 of onnxruntime) and inspect says float32",
  ignore: noFixtures,
  async fn() {
    for (const name of ["conv_bn_relu", "gemm", "matmul"]) {
      const ref = loadReference(name);
      {
        await using engine = await createEngine({ onnx: `${FIXTURES}${name}.onnx`, device: "cpu", precision: "tf32" });
        const info = engine.inspect() as Inspect;
        assert(
          info.layers.length > 0 && info.layers.every((l) => l.precision === "float32"),
          JSON.stringify(info.layers),
        );
        const out = await engine.infer(ref.inputs);
        for (const [k, w] of Object.entries(ref.outputs)) {
          const err = relativeL2(out[k].data, w.data);
          assert(err <= 1e-5, `${name}/${k}: ${err}`);
        }
      }
    }
    assertNoLiveHandles("tf32 on cpu");
  },
});

// An fp16 plan (built for CUDA) still loads on a CPU engine, which computes its float16 tensors in float32.
for (const name of ["conv_bn_relu", "residual_block", "dynamic_batch", "silu_chain", "gemm", "concat", "where"]) {
  Deno.test({
    name: `precision: the fp16 plan of ${name} runs on a CPU engine within 2e-2 of onnxruntime`,
    ignore: noFixtures,
    async fn() {
      const ref = loadReference(name);
      const { plan } = await buildBuiltinPlan(onnx(name), {
        precision: "fp16",
        profiles: staticProfiles(name),
        device: "cuda",
      });
      {
        await using engine = await createEngine({ plan, device: "cpu" });
        const info = engine.inspect() as Inspect;
        assert(info.layers.some((l) => l.op === "Cast"), "the fp16 plan casts at its I/O");
        assert(info.layers.every((l) => l.precision !== "float16"), "the CPU reports what it computes in: float32");
        assertEquals(
          info.io.map((t) => [t.name, t.dtype]),
          engine.engine.ioTensors.map((t) => [t.name, t.dtype]),
          "the I/O list matches the engine's tensors",
        );
        assert(engine.inputs.every((t) => t.dtype !== "float16"), "graph I/O stays float32");
        const out = await engine.infer(ref.inputs);
        for (const [k, w] of Object.entries(ref.outputs)) {
          const err = relativeL2(out[k].data, w.data);
          assert(err <= 2e-2, `${name}/${k}: ${err}`);
        }
      }
      assertNoLiveHandles(name);
    },
  });
}

Deno.test({
  name: "precision: shape-valued inputs are listed as host in inspect().io (constantofshape, range)",
  ignore: noFixtures,
  async fn() {
    for (
      const [name, host] of [["constantofshape", ["x0"]], ["range", ["x0", "x1", "x2"]], ["conv_basic", []]] as const
    ) {
      await using engine = await createEngine({
        onnx: `${FIXTURES}${name}.onnx`,
        device: "cpu",
        profiles: staticProfiles(name),
      });
      const io = (engine.inspect() as Inspect).io;
      assertEquals(io.filter((t) => t.location === "host").map((t) => t.name), [...host], name);
      assert(io.filter((t) => t.mode === "output").every((t) => t.location === "device"), "outputs are device tensors");
    }
    assertNoLiveHandles("io locations");
  },
});

Deno.test("precision: an input reaching ConstantOfShape through Concat is read on the host, new values each run", async () => {
  const b = new GraphBuilder();
  b.input("dims", [2], "int64");
  const [full] = b.node("Concat", ["dims", b.constI64("two", [2])], [[3]], { axis: int(0) }, "int64");
  const [y] = b.node("ConstantOfShape", [full], [["a", "b", "c"]]);
  b.output(y);
  inferShapes(b.g);
  b.g.profiles.push({ dims: { min: [2], opt: [2], max: [2] } });
  optimize(b.g);
  {
    await using engine = await createEngine({ plan: serializePlan(b.g, { device: "cpu" }), device: "cpu" });
    for (const dims of [[3, 4], [1, 5], [2, 2]]) {
      const out = await engine.infer({ dims: BigInt64Array.from(dims, BigInt) });
      assertEquals(out[y].shape, [...dims, 2]);
      assertEquals(out[y].data.length, dims[0] * dims[1] * 2);
    }
  }
  assertNoLiveHandles("host chain");
});
