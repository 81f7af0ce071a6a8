/**
 * The benchmark's own pieces on the CPU: denotrt's runs on a small fixture (rows, refusals reported once per
 * configuration), the model-input rules, and `deno task bench` end to end where there is no GPU (it still writes
 * results.json, results.md and the chart, saying what it skipped).
 */
import { modelInput, runDenotrt } from "../../bench/denotrt_runs.ts";
import { quickPlan } from "../../bench/config.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { gpu } from "../_gpu.ts";
import { FIXTURES, fixturesPresent } from "../engine/_models.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

Deno.test("model input: static dims from the model, the spec's defaults where dynamic", () => {
  assertEquals(modelInput([{ name: "x", dims: [-1, 3, 224, 224] }], { name: "r", sampleDims: [3, 1, 1] }), { name: "x", sample: [3, 224, 224] });
  assertEquals(modelInput([{ name: "img", dims: [-1, 3, -1, -1] }], { name: "d", sampleDims: [3, 640, 640] }), { name: "img", sample: [3, 640, 640] });
  assertThrows(() => modelInput([{ name: "a", dims: [1] }, { name: "b", dims: [1] }], { name: "m", sampleDims: [] }), Error, /single-input models; this one has 2/);
  assertThrows(() => modelInput([{ name: "a", dims: [1, 3] }], { name: "m", sampleDims: [3, 8, 8] }), Error, /rank 2, expected 4/);
});

Deno.test({
  name: "denotrt runs on the CPU: a row per batch and transfers setting; refusals reported with the engine's reason",
  ignore: !fixturesPresent(),
  fn: async () => {
    const plan = quickPlan();
    plan.precisions = ["fp32", "fp16"];
    plan.timing = { warmUpMs: 0, minIters: 5, minS: 0, maxIters: 10, inputSets: 2 };
    const spec = { name: "dyn", label: "dyn", file: "dynamic_batch.onnx", sampleDims: [3, 8, 8], batches: [1, 4], torch: "onnx" };
    const lines: string[] = [];
    const rows = await runDenotrt(spec, `${FIXTURES}dynamic_batch.onnx`, { name: "x", sample: [3, 8, 8] }, plan, Date.now() + 60_000, (l) => lines.push(l), "cpu");
    const ok = rows.filter((r) => r.status === "ok");
    assertEquals(ok.map((r) => [r.runtime, r.precision, r.batch]), [["denotrt", "fp32", 1], ["denotrt", "fp32", 1], ["denotrt", "fp32", 4], ["denotrt", "fp32", 4]]);
    assert(ok.every((r) => r.throughput! > 0 && r.iterations === 5 && r.latencyMs!.p99 >= r.latencyMs!.median));
    const refused = rows.filter((r) => r.status === "n/a");
    // fp16 (while the builder refuses it) and TensorRT (while this build lacks it), each at both batches, both settings.
    for (const r of refused) assert(r.reason && r.reason.length > 10, JSON.stringify(r));
    assertEquals(new Set(refused.map((r) => `${r.runtime} ${r.precision}`)).size * 4, refused.length);
    const expired = await runDenotrt(spec, `${FIXTURES}dynamic_batch.onnx`, { name: "x", sample: [3, 8, 8] }, { ...plan, providers: ["builtin"] }, 0, () => {}, "cpu");
    assert(expired.every((r) => r.status === "n/a" && r.reason === "skipped: the bench's time budget ran out"));
  },
});

Deno.test({
  name: "denotrt runs: the multi-stream row where the plan asks for it, through the CLI's --streams loop",
  ignore: !fixturesPresent(),
  fn: async () => {
    const plan = { ...quickPlan(), providers: ["builtin" as const], precisions: ["fp32" as const] };
    plan.timing = { warmUpMs: 0, minIters: 5, minS: 0, maxIters: 10, inputSets: 2 };
    plan.streams = { count: 2, batches: { dyn: [4] }, precisions: ["fp32"] };
    const spec = { name: "dyn", label: "dyn", file: "dynamic_batch.onnx", sampleDims: [3, 8, 8], batches: [1, 4], torch: "onnx" };
    const rows = await runDenotrt(spec, `${FIXTURES}dynamic_batch.onnx`, { name: "x", sample: [3, 8, 8] }, plan, Date.now() + 60_000, () => {}, "cpu");
    assertEquals(rows.map((r) => [r.batch, r.transfers, r.variant, r.status]), [
      [1, false, undefined, "ok"], [1, true, undefined, "ok"],
      [4, false, undefined, "ok"], [4, true, undefined, "ok"], [4, true, "2 streams", "ok"],
    ]);
    const multi = rows[4];
    assertEquals([multi.iterations, multi.extra?.streams, (multi.extra?.perStreamMedianMs as number[]).length], [6, 2, 2]);
    assert(multi.throughput! > 0);
    // Out of time: every setting, the multi-stream one included, is reported n/a with the reason.
    const expired = await runDenotrt(spec, `${FIXTURES}dynamic_batch.onnx`, { name: "x", sample: [3, 8, 8] }, plan, 0, () => {}, "cpu");
    assertEquals(expired.map((r) => [r.batch, r.variant, r.status]), [[1, undefined, "n/a"], [1, undefined, "n/a"], [4, undefined, "n/a"], [4, undefined, "n/a"], [4, "2 streams", "n/a"]]);
  },
});

Deno.test({
  name: "deno task bench without a GPU writes its reports and says what it skipped",
  ignore: gpu.ok,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const o = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}bench/bench.ts`, "--quick", "--no-append", "--out", dir],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert(o.success, new TextDecoder().decode(o.stderr));
      const rep = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
      assertEquals(rep.gpu, null);
      assert(rep.skipped.some((s: { what: string }) => s.what === "everything on the GPU"));
      assert(rep.ffi.syncNs > 0);
      assert((await Deno.readTextFile(`${dir}/results.md`)).includes("## Sections skipped"));
      assert((await Deno.readTextFile(`${dir}/chart.svg`)).includes("no measurements"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
