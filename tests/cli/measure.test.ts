/**
 * The timing loop's outputs are the engine's outputs: after measure(), every lane's output buffers hold what infer()
 * gives for that lane's last input set (on the CPU here; on the GPU with and without transfers and CUDA graphs, on
 * one stream and on several at once), the lanes ran round-robin on inputs of their own, and every handle is released.
 */
import { Lanes } from "../../cli/lanes.ts";
import { measure, type MeasureOptions } from "../../cli/measure.ts";
import { timeEngine } from "../../cli/run.ts";
import { createEngine, type DeviceKind, type InferenceEngine, InvalidArgumentError } from "../../mod.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { assertNoLiveHandles, gpuTest } from "../_gpu.ts";
import { FIXTURES, fixturesPresent, relativeL2 } from "../engine/_models.ts";

const present = fixturesPresent();
if (!present) console.log(`[skip] timing-loop tests skipped: ${FIXTURES} not generated (make fixtures)`);
interface Model {
  path: string;
  shape: number[];
  tolerance: number;
  /** The batch is dynamic: build for this shape only (min = opt = max). */
  dynamic: boolean;
}
const SMALL: Model = { path: `${FIXTURES}residual_block.onnx`, shape: [1, 8, 8, 8], tolerance: 1e-6, dynamic: false };
// Big enough that the streams' kernels and copies really run at the same time on a GPU.
const MOBILENET: Model = { path: `${FIXTURES}mobilenet_v3_large.onnx`, shape: [16, 3, 224, 224], tolerance: 1e-4, dynamic: true };
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Times `model` on each count of lanes in `streamCounts` (one engine), then checks each lane against infer() (the
 * one-stream path, its own buffers) on that lane's last input set. Lanes draw their own random inputs, so their
 * outputs must differ from each other's.
 */
async function checkLoop(model: Model, device: DeviceKind, streamCounts: number[], transfers: boolean, useCudaGraph: boolean): Promise<void> {
  {
    const s = model.shape;
    const profiles = model.dynamic ? [{ x: { min: s, opt: s, max: s } }] : undefined;
    await using ie = await createEngine({ onnx: model.path, device, provider: "builtin", profiles });
    for (const streams of streamCounts) await checkLanes(ie, model, streams, transfers, useCudaGraph);
  }
  assertNoLiveHandles(`the timing loop on ${device}, ${streamCounts.join(" and ")} stream(s)`);
}

async function checkLanes(ie: InferenceEngine, model: Model, streams: number, transfers: boolean, useCudaGraph: boolean): Promise<void> {
  {
    const sets = 3, iterations = 7;
    await using lanes = new Lanes(ie, new Map([["x", model.shape]]), streams, sets, transfers);
    const o: MeasureOptions = { iterations, durationS: 0, warmUpMs: 0, useCudaGraph, dataTransfers: transfers };
    const r = await measure(lanes.lanes, o);
    const rounded = Math.ceil(iterations / streams) * streams;
    assertEquals([r.streams, r.trace.length], [streams, rounded]);
    assert(r.outputsWritten, "outputs written");
    assert(r.trace.every((t) => t.latencyMs > 0 && t.computeMs > 0 && t.latencyMs + 1e-6 >= t.computeMs));
    assertEquals(r.trace.map((t) => t.stream), streams > 1 ? r.trace.map((_, i) => i % streams) : r.trace.map(() => undefined));
    for (let l = 0; l < streams; l++) {
      const mine = r.trace.filter((t) => (t.stream ?? 0) === l);
      assert(mine.every((t, i) => i === 0 || t.startH2dMs >= mine[i - 1].startH2dMs), `lane ${l}: iterations in order`);
    }
    const outs: Float32Array[] = [];
    const n = count(model.shape);
    for (const [l, { bindings: b }] of lanes.lanes.entries()) {
      const set = (rounded / streams - 1) % sets; // this lane's last iteration's input set
      const input = new Float32Array(b.inputs[0].host[set].arrayBuffer, 0, n).slice();
      assert(input.some((v) => v !== 0), "random inputs, never zeros");
      const out = b.outputs[0];
      const got = new Float32Array(out.host.arrayBuffer, 0, out.bytes / 4).slice();
      // infer() on the same engine is the reference; it uses its own buffers, so the lanes' are left as they are.
      const want = Object.values(await ie.infer({ x: { data: input, shape: model.shape } }))[0].data as Float32Array;
      const err = relativeL2(got, want);
      assert(err < model.tolerance, `lane ${l} of ${streams} matches infer(): ${err}`);
      outs.push(got);
    }
    for (let l = 1; l < streams; l++) assert(relativeL2(outs[l], outs[0]) > 1e-3, `lanes 0 and ${l} ran on different inputs`);
  }
}

for (const streams of [1, 3]) {
  Deno.test({
    name: `timing loop on the CPU, ${streams} lane(s): outputs are the engine's, no leaks`,
    ignore: !present,
    fn: () => checkLoop(SMALL, "cpu", [streams], false, false),
  });
}

for (const [transfers, graph] of [[true, false], [false, false], [true, true], [false, true]]) {
  if (!present) break;
  gpuTest(`timing loop on CUDA (transfers ${transfers}, CUDA graph ${graph}): outputs are the engine's`, () => checkLoop(SMALL, "cuda", [1], transfers, graph));
  gpuTest(
    `timing loop on CUDA, 2 and 3 streams of MobileNetV3 b16 (transfers ${transfers}, CUDA graph ${graph}): each stream's outputs match one-stream infer()`,
    () => checkLoop(MOBILENET, "cuda", [2, 3], transfers, graph),
  );
}

Deno.test({
  name: "timeEngine honours the least iteration count, the cap and the duration",
  ignore: !present,
  fn: async () => {
    await using ie = await createEngine({ onnx: SMALL.path, device: "cpu", provider: "builtin" });
    const shapes = new Map([["x", SMALL.shape]]);
    const base = { warmUpMs: 0, useCudaGraph: false, dataTransfers: false, inputSets: 2 };
    assertEquals((await timeEngine(ie, shapes, { ...base, iterations: 5, durationS: 0 })).summary.iterations, 5);
    assertEquals((await timeEngine(ie, shapes, { ...base, iterations: 5, durationS: 10, maxIterations: 9 })).summary.iterations, 9);
    const t0 = performance.now();
    const long = await timeEngine(ie, shapes, { ...base, iterations: 1, durationS: 0.3 });
    assert(performance.now() - t0 >= 300 && long.summary.iterations > 1);
    assertEquals([long.summary.batch, long.summary.streams, long.summary.perStream], [1, 1, undefined]);
    // Several streams: whole rounds, within the cap, a summary per stream.
    const two = (await timeEngine(ie, shapes, { ...base, iterations: 5, durationS: 0, streams: 2 })).summary;
    assertEquals([two.iterations, two.streams, two.perStream!.map((p) => p.queries)], [6, 2, [3, 3]]);
    assertEquals((await timeEngine(ie, shapes, { ...base, iterations: 5, durationS: 10, maxIterations: 9, streams: 2 })).summary.iterations, 8);
    assertEquals(two.latency.count, 6);
    assert(two.perStream!.every((p) => p.latency.median > 0 && p.latency.count === 3));
  },
});

Deno.test({
  name: "a bad number of streams is refused before anything is allocated",
  ignore: !present,
  fn: async () => {
    {
      await using ie = await createEngine({ onnx: SMALL.path, device: "cpu", provider: "builtin" });
      for (const n of [0, -1, 1.5, 65, NaN]) {
        assertThrows(() => new Lanes(ie, new Map([["x", SMALL.shape]]), n, 1, false), InvalidArgumentError, /number of streams must be an integer from 1 to 64/);
      }
      await assertRejects(() => measure([], { iterations: 1, durationS: 0, warmUpMs: 0, useCudaGraph: false, dataTransfers: false }), RangeError);
    }
    assertNoLiveHandles("refused lanes");
  },
});
