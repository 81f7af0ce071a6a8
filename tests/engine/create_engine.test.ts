/** createEngine + infer on every fixture model, against onnxruntime, on the CPU (and on the GPU where present). */
import type { DeviceKind } from "../../lib/engine/types.ts";
import { createEngine } from "../../lib/engine/session.ts";
import { Engine } from "../../lib/engine/engine.ts";
import { DenotrtError, InvalidArgumentError, PlanError, ShapeError, UnsupportedError } from "../../lib/core/errors.ts";
import { UnsupportedOpError } from "../../lib/builder/errors.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { assertNoLiveHandles, gpu } from "../_gpu.ts";
import { FIXTURES, fixturesPresent, loadReference, referenceModels, relativeL2 } from "./_models.ts";

const noFixtures = !fixturesPresent();
if (noFixtures) console.log(`[skip] engine model tests skipped: ${FIXTURES} not generated (make fixtures)`);

// Models whose fixture exercises the builder only (an op the builder rejects on purpose).
const BUILD_ONLY = new Set(["unsupported"]);

const devices: DeviceKind[] = gpu.ok ? ["cpu", "cuda"] : ["cpu"];
const TOLERANCE: Record<DeviceKind, number> = { cpu: 1e-5, cuda: 1e-4 };

for (const device of devices) {
  // Shape-valued inputs (constantofshape, range) included: CUDA engines bind them to host memory.
  for (const name of referenceModels().filter((n) => !BUILD_ONLY.has(n))) {
    Deno.test(`${name} runs on the ${device} and matches onnxruntime`, async () => {
      const ref = loadReference(name);
      {
        // One profile fixed at the reference's shapes: dynamic dimensions need a range, static ones must match it.
        const profiles = [
          Object.fromEntries(
            Object.entries(ref.inputs).map(([k, v]) => [k, { min: v.shape, opt: v.shape, max: v.shape }]),
          ),
        ];
        await using engine = await createEngine({
          onnx: `${FIXTURES}${name}.onnx`,
          device,
          provider: "builtin",
          profiles,
        });
        assertEquals(engine.device, device);
        const out = await engine.infer(ref.inputs);
        for (const [oname, expected] of Object.entries(ref.outputs)) {
          const got = out[oname];
          assert(got, `missing output ${oname}`);
          assertEquals(got.shape, expected.shape, `${oname} shape`);
          const err = relativeL2(got.data, expected.data);
          assert(
            err <= TOLERANCE[device],
            `${name}/${oname}: relative L2 ${err.toExponential(2)} > ${TOLERANCE[device]}`,
          );
        }
      }
      assertNoLiveHandles(name);
    });
  }
}

Deno.test({
  name: "infer rejects unknown, missing, mistyped and misshapen inputs with clear errors",
  ignore: noFixtures,
  async fn() {
    const ref = loadReference("conv_basic");
    const [inName] = Object.keys(ref.inputs);
    const x = ref.inputs[inName];
    await using engine = await createEngine({ onnx: `${FIXTURES}conv_basic.onnx`, device: "cpu" });
    await assertRejects(
      () => engine.infer({ ...ref.inputs, nope: x.data }),
      InvalidArgumentError,
      /unknown input 'nope'/,
    );
    await assertRejects(() => engine.infer({}), InvalidArgumentError, new RegExp(`missing input '${inName}'`));
    await assertRejects(
      () => engine.infer({ [inName]: new Int32Array(x.data.length) }),
      InvalidArgumentError,
      /float32/,
    );
    await assertRejects(() => engine.infer({ [inName]: { data: x.data, shape: [1, 2, 3] } }), ShapeError, /rank/);
    await assertRejects(
      () => engine.infer({ [inName]: (x.data as Float32Array<ArrayBuffer>).slice(1) }),
      ShapeError,
      /elements/,
    );
    // still usable after the errors
    const out = await engine.infer(ref.inputs);
    assert(Object.keys(out).length > 0);
  },
});

Deno.test({
  name: "a dynamic-batch model takes every batch inside its profile and refuses one outside",
  ignore: noFixtures,
  async fn() {
    const ref = loadReference("dynamic_batch");
    const [inName] = Object.keys(ref.inputs);
    const x = ref.inputs[inName];
    const feature = x.shape.slice(1);
    const profiles = [{ [inName]: { min: [1, ...feature], opt: [x.shape[0], ...feature], max: [8, ...feature] } }];
    await using engine = await createEngine({ onnx: `${FIXTURES}dynamic_batch.onnx`, device: "cpu", profiles });
    await assertRejects(() => engine.infer({ [inName]: x.data }), ShapeError, /dynamic/);
    const out = await engine.infer({ [inName]: x });
    const [oname] = Object.keys(ref.outputs);
    assert(relativeL2(out[oname].data, ref.outputs[oname].data) < 1e-5);
    const big = new Float32Array(9 * feature.reduce((a, b) => a * b, 1)).map(() => Math.random());
    await assertRejects(() => engine.infer({ [inName]: { data: big, shape: [9, ...feature] } }), ShapeError);
  },
});

Deno.test({
  name: "an unsupported op fails at build time naming the op and node",
  ignore: noFixtures,
  async fn() {
    const e = await assertRejects(
      () => createEngine({ onnx: `${FIXTURES}unsupported.onnx`, device: "cpu" }),
      UnsupportedOpError,
    );
    assert(e.message.length > 0);
    assertNoLiveHandles("unsupported op");
  },
});

Deno.test({
  name: "plans round-trip through the cache file, and a corrupt cache is rebuilt",
  ignore: noFixtures,
  async fn() {
    const dir = await Deno.makeTempDir();
    const cache = `${dir}/conv.plan`;
    const ref = loadReference("conv_basic");
    {
      await using e1 = await createEngine({ onnx: `${FIXTURES}conv_basic.onnx`, device: "cpu", cache });
      await e1.infer(ref.inputs);
    }
    const plan = await Deno.readFile(cache);
    assert(plan.byteLength > 128);
    {
      await using e2 = await createEngine({ plan: cache, device: "cpu" });
      const out = await e2.infer(ref.inputs);
      const [oname] = Object.keys(ref.outputs);
      assert(relativeL2(out[oname].data, ref.outputs[oname].data) < 1e-5);
    }
    plan[plan.length - 3] ^= 0xff;
    await Deno.writeFile(cache, plan);
    assertThrows(() => new Engine(plan, "cpu"), PlanError, /checksum|corrupt/i);
    {
      await using _e3 = await createEngine({ onnx: `${FIXTURES}conv_basic.onnx`, device: "cpu", cache });
    }
    assert(new Engine(await Deno.readFile(cache), "cpu")[Symbol.dispose]() === undefined);
    await Deno.remove(dir, { recursive: true });
    assertNoLiveHandles("cache");
  },
});

Deno.test("truncated and foreign plans are refused with a PlanError", () => {
  assertThrows(() => new Engine(new TextEncoder().encode("not a plan at all"), "cpu"), PlanError);
  assertThrows(() => new Engine(new TextEncoder().encode("DNRTPLAN"), "cpu"), PlanError);
  assertThrows(() => new Engine(new Uint8Array(0), "cpu"), InvalidArgumentError);
  assertNoLiveHandles("bad plans");
});

Deno.test({
  name: "a disposed engine refuses infer, and precision it cannot honour is refused",
  ignore: noFixtures,
  async fn() {
    const ref = loadReference("conv_basic");
    const engine = await createEngine({ onnx: `${FIXTURES}conv_basic.onnx`, device: "cpu" });
    await engine[Symbol.asyncDispose]();
    await engine[Symbol.asyncDispose]();
    await assertRejects(() => engine.infer(ref.inputs), DenotrtError, /disposed/);
    await assertRejects(
      () => createEngine({ onnx: `${FIXTURES}conv_basic.onnx`, device: "cpu", precision: "fp16" }),
      UnsupportedError,
    );
    assertNoLiveHandles("dispose");
  },
});
