// ResNet's downsample block end to end on the CPU: the built-in builder merges conv3 and the shortcut's 1x1 conv into
// one conv over their inputs' channel concat (lib/builder/passes/merge_added_convs.ts), and the engine still matches
// onnxruntime; DENOTRT_SKIP_PASSES=merge_added_convs builds the block as exported, which matches too.
import { createEngine } from "../../lib/engine/session.ts";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { assertNoLiveHandles } from "../_gpu.ts";
import { FIXTURES, fixturesPresent, loadReference, relativeL2 } from "./_models.ts";

interface Inspect {
  layers: { name: string; op: string }[];
}

async function opsAndError(): Promise<{ ops: string[]; err: number }> {
  const ref = loadReference("downsample_block");
  await using engine = await createEngine({
    onnx: Deno.readFileSync(`${FIXTURES}downsample_block.onnx`),
    device: "cpu",
    provider: "builtin",
  });
  const out = await engine.infer(ref.inputs);
  return {
    ops: (engine.inspect() as Inspect).layers.map((l) => l.op),
    err: relativeL2(out.y.data, ref.outputs.y.data),
  };
}

Deno.test({
  name: "merge_added_convs: the downsample block builds as one conv over a Concat and matches onnxruntime; " +
    "DENOTRT_SKIP_PASSES=merge_added_convs keeps both convs and matches too",
  ignore: !fixturesPresent(),
  async fn() {
    const merged = await opsAndError();
    assertEquals(merged.ops.filter((op) => op === "Conv").length, 3, `ops: ${merged.ops.join(" ")}`);
    assertEquals(merged.ops.filter((op) => op === "Concat").length, 1);
    assert(!merged.ops.includes("Add"), "the Add became the merged conv (its Relu fused)");
    assert(merged.err <= 1e-5, `merged: relative L2 ${merged.err} against onnxruntime`);
    Deno.env.set("DENOTRT_SKIP_PASSES", "merge_added_convs");
    let skipped: Awaited<ReturnType<typeof opsAndError>>;
    try {
      skipped = await opsAndError();
    } finally {
      Deno.env.delete("DENOTRT_SKIP_PASSES");
    }
    assertEquals(skipped.ops.filter((op) => op === "Conv").length, 4, `ops: ${skipped.ops.join(" ")}`);
    assert(!skipped.ops.includes("Concat"));
    assert(skipped.err <= 1e-5, `unmerged: relative L2 ${skipped.err} against onnxruntime`);
    assertNoLiveHandles("merge_added_convs");
  },
});

Deno.test({
  name: "DENOTRT_SKIP_PASSES naming no pass is an argument error that lists the passes, not a silent no-op",
  ignore: !fixturesPresent(),
  async fn() {
    Deno.env.set("DENOTRT_SKIP_PASSES", "merge_added_convs, merge_added_conv");
    try {
      const e = await assertRejects(() => opsAndError(), InvalidArgumentError);
      assert(e.message.includes("'merge_added_conv'") && !e.message.includes("'merge_added_convs'"), e.message);
      assert(e.message.includes("fold_batchnorm, merge_added_convs"), e.message);
    } finally {
      Deno.env.delete("DENOTRT_SKIP_PASSES");
    }
    assertNoLiveHandles("DENOTRT_SKIP_PASSES");
  },
});
