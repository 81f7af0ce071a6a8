/** inspect() on a CUDA engine names the kernel each layer really runs with once shapes are set. */
import { createEngine } from "../../lib/engine/session.ts";
import { assert } from "../_assert.ts";
import { gpuTest } from "../_gpu.ts";
import { FIXTURES, fixturesPresent, loadReference } from "../engine/_models.ts";

interface Layer {
  op: string;
  kernel: string;
  precision: string;
}

if (fixturesPresent()) {
  gpuTest("inspect names cuDNN for convolutions and cuBLASLt for MatMul after the first inference", async () => {
    for (const [name, op, pattern] of [["conv_bn_relu", "Conv", /^cudnn_/], ["matmul", "MatMul", /^cublaslt$/]] as const) {
      const ref = loadReference(name);
      await using engine = await createEngine({ onnx: `${FIXTURES}${name}.onnx`, device: "cuda" });
      await engine.infer(ref.inputs);
      const layers = (engine.inspect() as { layers: Layer[] }).layers;
      const hits = layers.filter((l) => l.op === op);
      assert(hits.length > 0, `${name}: no ${op} layer in ${JSON.stringify(layers)}`);
      for (const l of hits) assert(pattern.test(l.kernel), `${name}: ${op} ran with '${l.kernel}'`);
    }
  });
}
