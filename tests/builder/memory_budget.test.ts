/**
 * Memory planning on a real network: ResNet-50 at batch 32 in fp16 must fit its activations in less than half of
 * their summed sizes. Needs the big fixtures (`python3 tests/fixtures/make_fixtures.py --big`; the device run makes
 * them); skipped with a printed reason otherwise.
 */
import { loadOnnx } from "../../lib/builder/onnx.ts";
import { optimize } from "../../lib/builder/optimize.ts";
import { assert } from "../_assert.ts";

const path = new URL("../fixtures/out/resnet50.onnx", import.meta.url).pathname;
let present = true;
try {
  Deno.statSync(path);
} catch {
  present = false;
  console.log("[skip] ResNet-50 memory budget: no tests/fixtures/out/resnet50.onnx (make_fixtures.py --big)");
}

Deno.test({
  name: "ResNet-50 b32 fp16 plans its activations into less than half of their summed size",
  ignore: !present,
  async fn() {
    const g = await loadOnnx(await Deno.readFile(path), { profiles: [{ x: { min: [32, 3, 224, 224], opt: [32, 3, 224, 224], max: [32, 3, 224, 224] } }] });
    const { memory } = optimize(g, { precision: "fp16" });
    console.log(`  arena ${(memory.arenaBytes / 2 ** 20).toFixed(1)} MiB of ${(memory.activationBytes / 2 ** 20).toFixed(1)} MiB of activations`);
    assert(memory.arenaBytes < memory.activationBytes / 2, JSON.stringify(memory));
  },
});
