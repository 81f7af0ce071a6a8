/**
 * The command line as users run it (a subprocess): bad flags and shapes give one clear line and a non-zero exit;
 * a whole run on a small fixture on the CPU prints trtexec's summary, writes --exportTimes, --exportLayerInfo and
 * --saveEngine, and the saved plan loads back with --loadEngine.
 */
import { assert, assertEquals } from "../_assert.ts";
import { gpuTest } from "../_gpu.ts";
import { FIXTURES, fixturesPresent } from "../engine/_models.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const present = fixturesPresent();
if (!present) console.log(`[skip] CLI end-to-end tests skipped: ${FIXTURES} not generated (make fixtures)`);

/** Deno's own notes on stderr (a package fetch on a machine with an empty cache) are not the CLI's output. */
function withoutDenoNotes(text: string): string {
  const ESC = String.fromCharCode(27); // Deno colours its notes
  return text.split("\n").filter((l) => !/^(Download|Initialize|Warning) /.test(l.split(ESC).map((p) => p.replace(/^\[[0-9;]*m/, "")).join(""))).join("\n");
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-read", "--allow-write", "--allow-env", `${ROOT}cli.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
    cwd: ROOT,
  }).output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout), err: withoutDenoNotes(new TextDecoder().decode(o.stderr)) };
}

Deno.test("bad flags and shapes: exit 2 and exactly one line on stderr", async () => {
  const cases: [string[], RegExp][] = [
    [["--onnx=m.onnx", "--fp7"], /^denotrt: error: unknown flag --fp7 \(see --help\)$/],
    [[], /^denotrt: error: give a model/],
    [["--onnx=m.onnx", "--shapes=x:1x3xbig"], /^denotrt: error: --shapes: dimension "big" of 'x'/],
    [["--onnx=m.onnx", "--iterations=-1"], /^denotrt: error: --iterations must be an integer/],
    [["--onnx=m.onnx", "--device=tpu"], /^denotrt: error: --device must be cuda, cpu/],
    [["--onnx=m.onnx", "--streams=0"], /^denotrt: error: --streams must be an integer from 1 to 64, got "0"$/],
    [["--onnx=m.onnx", "--streams=many"], /^denotrt: error: --streams must be an integer from 1 to 64, got "many"$/],
  ];
  for (const [args, pattern] of cases) {
    const r = await cli(...args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.err}`);
    const lines = r.err.trimEnd().split("\n");
    assertEquals(lines.length, 1, r.err);
    assert(pattern.test(lines[0]), lines[0]);
    assertEquals(r.out, "");
  }
});

Deno.test("--help prints the usage and exits 0", async () => {
  const r = await cli("--help");
  assertEquals(r.code, 0);
  assert(r.out.startsWith("usage: denotrt") && r.out.includes("--noDataTransfers"));
});

Deno.test({
  name: "problems found after parsing (a missing file, a shape the model cannot take) fail with one error line",
  ignore: !present,
  fn: async () => {
    const missing = await cli("--onnx=/nonexistent/m.onnx", "--device=cpu");
    assertEquals(missing.code, 2);
    assertEquals(missing.err.trimEnd().split("\n"), ["denotrt: error: InvalidArgumentError: cannot read the ONNX file '/nonexistent/m.onnx': No such file or directory (os error 2): readfile '/nonexistent/m.onnx'"]);
    assert(missing.out.includes("&&&& FAILED"));
    const shape = await cli(`--onnx=${FIXTURES}residual_block.onnx`, "--device=cpu", "--shapes=x:1x3x8x8");
    assertEquals(shape.code, 1);
    const errLines = shape.err.split("\n").filter((l) => l.startsWith("denotrt: error"));
    assertEquals(errLines.length, 1);
    assert(/ShapeError: --shapes: 'x' is \[1, 8, 8, 8\] in the model, got 1x3x8x8/.test(errLines[0]), errLines[0]);
  },
});

Deno.test({
  name: "end to end on the CPU: summary, exports, save and load",
  ignore: !present,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const common = ["--device=cpu", "--iterations=20", "--duration=0", "--warmUp=0"];
      const r = await cli(`--onnx=${FIXTURES}dynamic_batch.onnx`, "--minShapes=x:1x3x8x8", "--optShapes=x:3x3x8x8", "--maxShapes=x:4x3x8x8", `--saveEngine=${dir}/m.plan`, `--exportTimes=${dir}/t.json`, `--exportLayerInfo=${dir}/l.json`, ...common);
      assertEquals(r.code, 0, r.err);
      for (const k of ["&&&& RUNNING denotrt", "[I] Shapes: x:3x3x8x8", "[I] Throughput: ", "[I] Latency: min = ", "percentile(99%) = ", "[I] Enqueue Time: ", "[I] Compute Time (CPU): ", "[I] Total Host Walltime: ", "&&&& PASSED"]) {
        assert(r.out.includes(k), `missing "${k}" in:\n${r.out}`);
      }
      assert(/building: \[#+\] (\d)\/\1 done/.test(r.err), `progress bar on stderr: ${r.err}`);
      const times = JSON.parse(await Deno.readTextFile(`${dir}/t.json`));
      assertEquals(times.length, 20);
      assert(times.every((t: { latencyMs: number }) => t.latencyMs > 0));
      assert(JSON.parse(await Deno.readTextFile(`${dir}/l.json`)) !== null);
      assert((await Deno.stat(`${dir}/m.plan`)).size > 0);

      const j = await cli(`--loadEngine=${dir}/m.plan`, "--batch=2", "--json", ...common);
      assertEquals(j.code, 0, j.err);
      const s = JSON.parse(j.out);
      assertEquals([s.device, s.iterations, s.batch, s.outputsWritten], ["cpu", 20, 2, true]);
      assertEquals(s.shapes, { x: [2, 3, 8, 8] });
      assert(s.throughputQps > 0 && s.latency.p99 >= s.latency.median && s.h2d === null);
      assert(j.err.includes("&&&& PASSED"), "with --json the human lines go to stderr");

      const big = await cli(`--loadEngine=${dir}/m.plan`, "--batch=8", ...common);
      assertEquals(big.code, 1);
      assertEquals(big.err.trimEnd().split("\n"), ["denotrt: error: ShapeError: input 'x' dimension 0 is 8, outside the range [1, 4] of optimization profile 0"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "--streams on the CPU: concurrent contexts, the queries of all streams, a latency line per stream",
  ignore: !present,
  fn: async () => {
    const common = [`--onnx=${FIXTURES}dynamic_batch.onnx`, "--batch=2", "--device=cpu", "--iterations=9", "--duration=0", "--warmUp=0", "--streams=3"];
    const j = await cli(...common, "--json");
    assertEquals(j.code, 0, j.err);
    const s = JSON.parse(j.out);
    assertEquals([s.streams, s.iterations, s.outputsWritten], [3, 9, true]);
    assertEquals(s.perStream.map((p: { stream: number; queries: number }) => [p.stream, p.queries]), [[0, 3], [1, 3], [2, 3]]);
    const t = await cli(...common);
    assertEquals(t.code, 0, t.err);
    for (const k of ["[I] Timing trace has 9 queries over", "(3 streams)", "[I] Latency (stream 2, 3 queries): min = ", "&&&& PASSED"]) {
      assert(t.out.includes(k), `missing "${k}" in:\n${t.out}`);
    }
  },
});

Deno.test({
  name: "a precision the builder refuses is reported with the engine's error (or runs, once supported)",
  ignore: !present,
  fn: async () => {
    const r = await cli(`--onnx=${FIXTURES}residual_block.onnx`, "--device=cpu", "--fp16", "--iterations=2", "--duration=0", "--warmUp=0");
    if (r.code === 0) {
      assert(r.out.includes("precision fp16"), r.out);
    } else {
      assertEquals(r.code, 1);
      const lines = r.err.split("\n").filter((l) => l.startsWith("denotrt: error"));
      assertEquals(lines.length, 1);
      assert(/UnsupportedError: .*fp16/.test(lines[0]), lines[0]);
    }
  },
});

if (present) {
  gpuTest("end to end on CUDA: transfers, --noDataTransfers and --useCudaGraph all time the network", async () => {
    for (const extra of [[], ["--noDataTransfers"], ["--useCudaGraph"], ["--useCudaGraph", "--noDataTransfers"]]) {
      const r = await cli(`--onnx=${FIXTURES}residual_block.onnx`, "--device=cuda", "--iterations=50", "--duration=0", "--warmUp=20", "--json", ...extra);
      assertEquals(r.code, 0, r.err);
      const s = JSON.parse(r.out);
      assertEquals([s.device, s.outputsWritten, s.useCudaGraph, s.dataTransfers], ["cuda", true, extra.includes("--useCudaGraph"), !extra.includes("--noDataTransfers")]);
      assert(s.compute.median > 0 && s.latency.median >= s.compute.median);
      assert((s.h2d === null) === extra.includes("--noDataTransfers"));
    }
  });

  gpuTest("end to end on CUDA with --streams=2: copies on two streams, every output written", async () => {
    for (const extra of [[], ["--noDataTransfers"], ["--useCudaGraph"]]) {
      const r = await cli(`--onnx=${FIXTURES}mobilenet_v3_large.onnx`, "--batch=8", "--device=cuda", "--iterations=40", "--duration=0", "--warmUp=20", "--json", "--streams=2", ...extra);
      assertEquals(r.code, 0, r.err);
      const s = JSON.parse(r.out);
      assertEquals([s.device, s.streams, s.iterations, s.outputsWritten, s.dataTransfers], ["cuda", 2, 40, true, !extra.includes("--noDataTransfers")]);
      assertEquals(s.perStream.map((p: { queries: number }) => p.queries), [20, 20]);
      assert(s.perStream.every((p: { latency: { median: number } }) => p.latency.median >= s.compute.min));
      assert(s.throughputQps > 0 && s.samplesPerSecond === s.throughputQps * 8);
    }
  });
}
