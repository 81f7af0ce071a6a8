/** The TensorRT-shaped build path: Builder → network → OnnxParser → BuilderConfig → plan → Runtime → Engine. */
import { Builder, BuilderFlag, OnnxParser, Runtime } from "../../lib/engine/builder_api.ts";
import { HostBuffer } from "../../lib/cuda/host_buffer.ts";
import { DenotrtError, InvalidArgumentError, UnsupportedError } from "../../lib/core/errors.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { assertNoLiveHandles } from "../_gpu.ts";
import { FIXTURES, fixturesPresent, loadReference, relativeL2 } from "./_models.ts";

Deno.test({
  name: "a plan built the TensorRT way runs and matches onnxruntime",
  ignore: !fixturesPresent(),
  async fn() {
    const builder = new Builder();
    const network = builder.createNetwork();
    assert(await new OnnxParser(network).parseFromFile(`${FIXTURES}dynamic_batch.onnx`));
    const config = builder.createBuilderConfig();
    config.device = "cpu";
    const ref = loadReference("dynamic_batch");
    const [name] = Object.keys(ref.inputs);
    const shape = ref.inputs[name].shape;
    const profile = builder.createOptimizationProfile();
    profile.setShape(name, [1, ...shape.slice(1)], shape, [8, ...shape.slice(1)]);
    assertEquals(config.addOptimizationProfile(profile), 0);
    const plan = await builder.buildSerializedNetwork(network, config);
    {
      using engine = new Runtime("cpu").deserializeCudaEngine(plan);
      assertEquals(engine.getProfileShape(name, 0).max[0], 8);
      using ctx = engine.createExecutionContext();
      ctx.setInputShape(name, shape);
      const [oname] = Object.keys(ref.outputs);
      assertEquals(ctx.getTensorShape(oname), ref.outputs[oname].shape);
      using hin = new HostBuffer(ref.inputs[name].data.byteLength, { pinned: false });
      using hout = HostBuffer.of("float32", ref.outputs[oname].data.length, { pinned: false });
      hin.view("float32").set(ref.inputs[name].data as Float32Array);
      ctx.setTensorAddress(name, hin);
      ctx.setTensorAddress(oname, hout);
      await ctx.execute();
      assert(relativeL2(hout.view("float32"), ref.outputs[oname].data) < 1e-5);
    }
    assertNoLiveHandles("builder api");
  },
});

Deno.test({
  name: "a memory pool limit below the plan's activation memory fails the build with the sizes",
  ignore: !fixturesPresent(),
  async fn() {
    const builder = new Builder();
    const network = builder.createNetwork();
    await new OnnxParser(network).parseFromFile(`${FIXTURES}conv_chain.onnx`);
    const config = builder.createBuilderConfig();
    config.device = "cpu";
    config.setMemoryPoolLimit(64);
    await assertRejects(() => builder.buildSerializedNetwork(network, config), DenotrtError, /MiB of activation memory.*memory limit/);
    assertThrows(() => config.setMemoryPoolLimit(0), InvalidArgumentError);
  },
});

Deno.test("the builder refuses an empty network and fp16 for the CPU", async () => {
  const builder = new Builder();
  const config = builder.createBuilderConfig();
  await assertRejects(() => builder.buildSerializedNetwork(builder.createNetwork(), config), InvalidArgumentError, /empty/);
  if (fixturesPresent()) {
    const network = builder.createNetwork();
    await new OnnxParser(network).parseFromFile(`${FIXTURES}conv_basic.onnx`);
    config.device = "cpu";
    config.setFlag(BuilderFlag.FP16);
    await assertRejects(() => builder.buildSerializedNetwork(network, config), UnsupportedError, /fp16/);
  }
});
