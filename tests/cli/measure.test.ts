/**
 * The timing loop's outputs are the engine's outputs: after measure(), the output buffers hold what infer() gives for
 * the last iteration's input set (on the CPU here; on the GPU with and without transfers and CUDA graphs), and every
 * handle is released.
 */
import { Bindings } from "../../cli/bindings.ts";
import { measure } from "../../cli/measure.ts";
import { timeEngine } from "../../cli/run.ts";
import { createEngine, type DeviceKind } from "../../mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { assertNoLiveHandles, gpuTest } from "../_gpu.ts";
import { FIXTURES, fixturesPresent, relativeL2 } from "../engine/_models.ts";

const present = fixturesPresent();
if (!present) console.log(`[skip] timing-loop tests skipped: ${FIXTURES} not generated (make fixtures)`);
const MODEL = `${FIXTURES}residual_block.onnx`;
const SHAPE = [1, 8, 8, 8];

async function checkLoop(device: DeviceKind, transfers: boolean, useCudaGraph: boolean): Promise<void> {
  {
    await using ie = await createEngine({ onnx: MODEL, device, provider: "builtin" });
    using b = new Bindings(ie.context, new Map([["x", SHAPE]]), ie.stream, 3, transfers);
    const r = await measure(ie.context, ie.stream, b, { iterations: 7, durationS: 0, warmUpMs: 0, useCudaGraph, dataTransfers: transfers });
    assertEquals(r.trace.length, 7);
    assert(r.outputsWritten, "outputs written");
    assert(r.trace.every((t) => t.latencyMs > 0 && t.computeMs > 0 && t.latencyMs + 1e-6 >= t.computeMs));
    assert(r.trace.every((t, i) => i === 0 || t.startH2dMs >= r.trace[i - 1].startH2dMs), "iterations in order");
    const set = (r.trace.length - 1) % 3; // the last iteration's input set
    const input = new Float32Array(b.inputs[0].host[set].arrayBuffer, 0, 512).slice();
    const got = new Float32Array(b.outputs[0].host.arrayBuffer, 0, 512).slice();
    // infer() on the same engine is the reference; it uses its own buffers, so the loop's are left as they are.
    const want = (await ie.infer({ x: input })).y.data as Float32Array;
    assert(relativeL2(got, want) < 1e-6, `outputs match infer(): ${relativeL2(got, want)}`);
  }
  assertNoLiveHandles(`the timing loop on ${device}`);
}

Deno.test({ name: "timing loop on the CPU: outputs are the engine's, no leaks", ignore: !present, fn: () => checkLoop("cpu", false, false) });

for (const [transfers, graph] of [[true, false], [false, false], [true, true], [false, true]]) {
  if (!present) break;
  gpuTest(`timing loop on CUDA (transfers ${transfers}, CUDA graph ${graph}): outputs are the engine's`, () => checkLoop("cuda", transfers, graph));
}

Deno.test({
  name: "timeEngine honours the least iteration count, the cap and the duration",
  ignore: !present,
  fn: async () => {
    await using ie = await createEngine({ onnx: MODEL, device: "cpu", provider: "builtin" });
    const base = { warmUpMs: 0, useCudaGraph: false, dataTransfers: false, inputSets: 2 };
    assertEquals((await timeEngine(ie, new Map([["x", SHAPE]]), { ...base, iterations: 5, durationS: 0 })).summary.iterations, 5);
    assertEquals((await timeEngine(ie, new Map([["x", SHAPE]]), { ...base, iterations: 5, durationS: 10, maxIterations: 9 })).summary.iterations, 9);
    const t0 = performance.now();
    const long = await timeEngine(ie, new Map([["x", SHAPE]]), { ...base, iterations: 1, durationS: 0.3 });
    assert(performance.now() - t0 >= 300 && long.summary.iterations > 1);
    assertEquals(long.summary.batch, 1);
  },
});
