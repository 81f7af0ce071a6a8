// FusedElementwise on the CPU executor through the public API: small ONNX models of elementwise chains
// (tests/engine/_fused_models.ts) built by createEngine({device: "cpu"}), compared on fresh random inputs with the
// float64 evaluation of the unfused graph, with onnxruntime, and with an engine built from the same model with the
// pass skipped; inspect() shows the fused layers. A malformed program is a PlanError naming the layer.
import { createEngine } from "../../lib/engine/session.ts";
import { loadOnnx } from "../../lib/builder/onnx.ts";
import { optimize } from "../../lib/builder/optimize.ts";
import { serializePlan } from "../../lib/builder/plan.ts";
import { inferShapes } from "../../lib/builder/shape_inference.ts";
import { instr, OP_INPUT } from "../../lib/builder/fused_program.ts";
import { PlanError } from "../../lib/core/errors.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { assertNoLiveHandles } from "../_gpu.ts";
import { GraphBuilder } from "./_graph.ts";
import { inferInputs, makeFeeds, MODELS, onnxOf, outputValues, reference, relL2 } from "./_fused_models.ts";
import { runOnnxruntime } from "./_ort.ts";

interface Layer {
  name: string;
  op: string;
  host: boolean;
}

/** Op counts of the layers an engine runs. */
function layerOps(info: unknown): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of (info as { layers: Layer[] }).layers) if (!l.host) counts[l.op] = (counts[l.op] ?? 0) + 1;
  return counts;
}

for (const m of MODELS) {
  Deno.test(`cpu FusedElementwise ${m.name}: matches the unfused float64 graph, onnxruntime and the unfused engine`, async () => {
    const onnx = onnxOf(m);
    const half = m.graph.inputs.some((v) => v.dtype === "float16");
    const unfusedGraph = await loadOnnx(onnx, m.profiles ? { profiles: m.profiles } : {});
    optimize(unfusedGraph, { skip: ["fuse_elementwise"] });
    {
      await using fused = await createEngine({ onnx, device: "cpu", profiles: m.profiles });
      await using unfused = await createEngine({ plan: serializePlan(unfusedGraph, { device: "cpu" }), device: "cpu" });
      assertEquals(layerOps(fused.inspect()), { FusedElementwise: m.fused, ...m.rest }, "layers after fusion");
      assert(
        Object.keys(layerOps(unfused.inspect())).every((op) => op !== "FusedElementwise"),
        "the unfused engine has no fused layer",
      );
      for (const shapes of m.runs) {
        const feeds = makeFeeds(m, shapes);
        const got = await fused.infer(inferInputs(feeds));
        const base = await unfused.infer(inferInputs(feeds));
        const want = await reference(m, feeds);
        // fp16 models: onnxruntime's CPU float16 kernels are not all there; the float64 reference decides.
        const ort = half ? undefined : await runOnnxruntime(onnx, feeds);
        for (const out of m.graph.outputs) {
          const g = outputValues(got[out.name]), w = [...want[out.name].data];
          assertEquals(got[out.name].shape, want[out.name].shape, `${out.name} shape`);
          assertEquals(got[out.name].dtype, out.dtype, `${out.name} dtype`);
          const err = relL2(g, w);
          // float32: rounding of float32 math; float16: one rounding of the output (2^-11 relative) at most.
          assert(err <= (half ? 1e-3 : 1e-6), `${m.name}/${out.name} ${JSON.stringify(shapes)}: vs float64 ${err}`);
          const errBase = relL2(outputValues(base[out.name]), w);
          assert(err <= errBase * 1.01 + 1e-7, `${out.name}: fused ${err} worse than unfused ${errBase}`);
          if (ort) {
            const e = relL2(g, ort[out.name].values);
            assert(e <= 1e-5, `${m.name}/${out.name}: vs onnxruntime ${e}`);
          }
        }
      }
    }
    assertNoLiveHandles(m.name);
  });
}

Deno.test("cpu FusedElementwise: a malformed program fails the run with a PlanError naming the layer and the reason", async () => {
  const b = new GraphBuilder();
  b.input("x", [2, 3]);
  const [y] = b.node("FusedElementwise", ["x"], [[2, 3]], {
    program: { type: "ints", value: [instr(OP_INPUT, 0), instr(48)] },
    constants: { type: "floats", value: [] },
  });
  b.output(y);
  inferShapes(b.g);
  {
    await using engine = await createEngine({ plan: serializePlan(b.g, { device: "cpu" }), device: "cpu" });
    await assertRejects(
      () => engine.infer({ x: new Float32Array([1, 2, 3, 4, 5, 6]) }),
      PlanError,
      /layer 'FusedElementwise_0' \(FusedElementwise\): instruction 1 pops an empty stack/,
    );
  }
  assertNoLiveHandles("malformed program");
});
