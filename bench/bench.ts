/**
 * `deno task bench`: denotrt beside the runtimes a user would pick instead, in one run on this machine's GPU.
 *
 *   1. the FFI call cost and pinned/pageable transfer bandwidth (bench/transfers.ts);
 *   2. denotrt on each model (tests/fixtures/out, from `python3 tests/fixtures/make_fixtures.py --big`) at each
 *      batch and precision, with and without H2D/D2H copies (bench/denotrt_runs.ts, through the CLI's timing code),
 *      and for ResNet-50 fp16 at b32 and b128 also with the copies on 2 streams at once (the CLI's --streams), whose
 *      throughput over the compute-only figure the report gives (the goal: at least 0.90);
 *   3. the peers, in Python on the same models and input shapes: onnxruntime on the CPU, PyTorch eager and CUDA
 *      graphs (fp32, fp16 channels_last), torch.compile (bench/peers/*.py), each within what is left of the time
 *      budget (--budget, default 420 s; what it cuts is reported n/a with the reason);
 *   4. bench/out/results.json, results.md (tables with ratios to each peer) and chart.svg, and a dated section
 *      appended to bench/RESULTS.md (with the chart copied to bench/charts/).
 *
 * usage: deno task bench [--quick] [--out DIR] [--budget SECONDS] [--models a,b] [--precisions fp16,tf32] [--no-peers] [--no-append]
 *                        [--python python3] [--json FILE]
 */
import { parseArgs } from "node:util";
import { onnxInputs } from "../cli/onnx_inputs.ts";
import { formatCudaVersion, getDeviceInfo, isGpuAvailable, VERSION } from "../mod.ts";
import { throughputChart } from "./chart.ts";
import { type BenchPlan, fullPlan, type ModelSpec, quickPlan } from "./config.ts";
import { type ModelInput, modelInput, runDenotrt } from "./denotrt_runs.ts";
import { fillMissing, type RowKey, runPeer } from "./peers.ts";
import { measurementLines, resultsMarkdown, resultsSection } from "./report.ts";
import type { BenchReport } from "./results.ts";
import { measureFfi, measureTransfers } from "./transfers.ts";
import { exists } from "../tests/examples/_helpers.ts";

const HERE = new URL(".", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const FIXTURES = `${ROOT}tests/fixtures/out/`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    out: { type: "string", default: `${HERE}out` },
    budget: { type: "string" },
    models: { type: "string" },
    precisions: { type: "string" },
    "no-peers": { type: "boolean" },
    "no-append": { type: "boolean" },
    python: { type: "string", default: "python3" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("usage: deno task bench [--quick] [--out DIR] [--budget SECONDS] [--models a,b] [--precisions fp16,tf32] [--no-peers] [--no-append] [--python python3] [--json FILE]");
  Deno.exit(0);
}

const plan: BenchPlan = values.quick ? quickPlan() : fullPlan();
if (values.budget !== undefined) {
  plan.budgetS = Number(values.budget);
  if (!(plan.budgetS > 0)) {
    console.error(`bench: --budget must be a positive number of seconds, got "${values.budget}"`);
    Deno.exit(2);
  }
}
if (values.models) {
  const want = values.models.split(",");
  plan.models = plan.models.filter((m) => want.includes(m.name));
}
if (values.precisions) {
  const want = values.precisions.split(",");
  const unknown = want.filter((p) => !["fp32", "tf32", "fp16"].includes(p));
  if (unknown.length) {
    console.error(`bench: --precisions takes fp32, tf32 and fp16, got "${unknown.join(",")}"`);
    Deno.exit(2);
  }
  plan.precisions = plan.precisions.filter((p) => want.includes(p));
}
const started = Date.now();
const deadline = started + plan.budgetS * 1000;
const out = values.out!.replace(/\/$/, "");
await Deno.mkdir(out, { recursive: true });
const log = (line: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);

function hostName(): string {
  try {
    return `${Deno.hostname()}, ${navigator.hardwareConcurrency} CPUs`;
  } catch {
    return `${navigator.hardwareConcurrency} CPUs`;
  }
}

const report: BenchReport = {
  date: new Date().toISOString(),
  command: `deno task bench${Deno.args.length ? " " + Deno.args.join(" ") : ""}`,
  gpu: null,
  driver: null,
  host: hostName(),
  versions: { denotrt: VERSION, deno: Deno.version.deno },
  results: [],
  skipped: [],
  timings: {},
  settings: { warmUpMs: plan.timing.warmUpMs, minIters: plan.timing.minIters, minS: plan.timing.minS, inputSets: plan.timing.inputSets },
};
const skip = (what: string, reason: string) => {
  report.skipped.push({ what, reason });
  log(`skipped ${what}: ${reason}`);
};
async function section<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    report.timings[name] = Math.round((performance.now() - t0) / 100) / 10;
  }
}

// 1. FFI and transfers.
report.ffi = await section("ffi", measureFfi);
const gpu = isGpuAvailable();
if (gpu) {
  const g = getDeviceInfo(0);
  report.gpu = g.name;
  report.driver = `CUDA ${formatCudaVersion(g.driverVersion)}`;
  report.transfers = await section("transfers", () => measureTransfers(values.quick ? 64 << 20 : 256 << 20, 20));
} else {
  skip("everything on the GPU", "no CUDA GPU is visible on this machine");
}

// 2. The models present, with their input shapes.
/** Files in `dir` and its subfolders (two levels), as paths. */
function listFiles(dir: string, depth = 2): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile) out.push(`${dir}${e.name}`);
      else if (e.isDirectory && depth > 0) out.push(...listFiles(`${dir}${e.name}/`, depth - 1));
    }
  } catch { /* no such folder */ }
  return out;
}

async function findFixture(spec: ModelSpec): Promise<string | undefined> {
  if (typeof spec.file === "string") return listFiles(FIXTURES, 0).find((p) => p === FIXTURES + spec.file);
  const re = spec.file;
  const found = [...listFiles(FIXTURES), ...listFiles(`${ROOT}.tools/models/`, 0)].filter((p) => re.test(p.slice(p.lastIndexOf("/") + 1)));
  const dynamicBatch = async (p: string) => (onnxInputs(await Deno.readFile(p))[0]?.dims[0] ?? 0) < 0;
  const ranked = await Promise.all(found.map(async (p) => ({ p, dyn: await dynamicBatch(p).catch(() => false) })));
  ranked.sort((a, b) => Number(b.dyn) - Number(a.dyn) || a.p.length - b.p.length || a.p.localeCompare(b.p));
  return ranked[0]?.p;
}

interface Present {
  spec: ModelSpec;
  path: string;
  input: ModelInput;
}
const present: Present[] = [];
for (const spec of plan.models) {
  const path = await findFixture(spec);
  if (!path) {
    const how = typeof spec.file === "string" ? "python3 tests/fixtures/make_fixtures.py --big makes it" : "its fixture is not made yet";
    skip(spec.label, `no ${spec.file} in tests/fixtures/out (${how})`);
    continue;
  }
  log(`${spec.label}: ${path.slice(ROOT.length)}`);
  try {
    present.push({ spec, path, input: modelInput(onnxInputs(await Deno.readFile(path)), spec) });
  } catch (e) {
    skip(spec.label, e instanceof Error ? e.message : String(e));
  }
}

// 3. denotrt.
if (gpu) {
  await section("denotrt", async () => {
    for (const m of present) report.results.push(...await runDenotrt(m.spec, m.path, m.input, plan, deadline, log));
  });
}

// 4. The peers.
const secondsLeft = () => Math.max(0, (deadline - Date.now()) / 1000);
const peerModels = present.map((m) => ({
  name: m.spec.name,
  onnx: m.path,
  torch: m.spec.torch,
  input: m.input.name,
  sample_shape: m.input.sample,
  batches: m.spec.batches,
}));
const timing = {
  warmup_ms: plan.timing.warmUpMs,
  min_iters: plan.timing.minIters,
  min_s: plan.timing.minS,
  max_iters: plan.timing.maxIters,
  input_sets: plan.timing.inputSets,
};

async function peer(name: string, script: string, config: Record<string, unknown>, timeoutS: number, expected: RowKey[]): Promise<void> {
  if (!expected.length) return;
  const left = secondsLeft();
  if (left < 10) {
    skip(name, "the bench's time budget ran out");
    report.results.push(...fillMissing(expected, [], "skipped: the bench's time budget ran out"));
    return;
  }
  const limit = Math.min(timeoutS, left);
  // The peer stops starting configurations a few seconds before its limit, so it ends cleanly with n/a rows.
  const cfg = { ...config, deadline: Date.now() / 1000 + limit - 8 };
  const r = await section(name, () =>
    runPeer(values.python!, `${HERE}peers/${script}`, cfg, { timeoutS: limit, logFile: `${out}/${name}.log`, configFile: `${out}/${name}.config.json` }));
  log(`${name}: ${r.rows.length} rows in ${r.seconds.toFixed(0)} s${r.failure ? ` (${r.failure})` : ""}`);
  report.results.push(...fillMissing(expected, r.rows, r.failure ? `the peer ${r.failure}` : "the peer did not report it"));
  for (const row of r.rows) {
    for (const k of ["torch", "onnxruntime"]) if (typeof row.extra?.[k] === "string") report.versions[k] = row.extra[k] as string;
  }
}

if (values["no-peers"]) skip("peers", "--no-peers");
else if (gpu) {
  const ortExpected: RowKey[] = present.flatMap((m) =>
    plan.ort.batches.map((batch) => ({ model: m.spec.name, batch, runtime: "onnxruntime-cpu", precision: "fp32", transfers: false }))
  );
  await peer("onnxruntime", "ort_cpu.py", { models: peerModels, ort: { batches: plan.ort.batches, min_iters: plan.ort.minIters, max_s: plan.ort.maxS } }, plan.ort.timeoutS, ortExpected);

  const torchExpected: RowKey[] = present.flatMap((m) =>
    m.spec.batches.flatMap((batch) =>
      plan.variants.map((v) => ({
        model: m.spec.name,
        batch,
        runtime: v.runtime,
        precision: v.precision,
        variant: v.channels_last ? "channels_last" : undefined,
        transfers: v.transfers,
      }))
    )
  );
  await peer("pytorch", "torch_peers.py", { section: "torch", models: peerModels, timing, variants: plan.variants }, plan.torchTimeoutS, torchExpected);

  const compileExpected: RowKey[] = present.flatMap((m) =>
    (plan.compile.batches[m.spec.name] ?? []).map((batch) => ({
      model: m.spec.name,
      batch,
      runtime: "torch.compile",
      precision: "fp16",
      variant: `channels_last, ${plan.compile.mode}`,
      transfers: false,
    }))
  );
  await peer("torch-compile", "torch_peers.py", { section: "compile", models: peerModels, timing, compile: plan.compile }, plan.compile.timeoutS, compileExpected);
}

// 5. Reports.
const day = report.date.slice(0, 10);
const chart = throughputChart(report.results, `Throughput against batch size — ${report.gpu ?? "no GPU"}, ${day}`);
await Deno.writeTextFile(`${out}/results.json`, JSON.stringify(report, null, 1) + "\n");
await Deno.writeTextFile(`${out}/chart.svg`, chart);
await Deno.writeTextFile(`${out}/results.md`, resultsMarkdown(report, "chart.svg"));
if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(report, null, 1) + "\n");

const extra = measurementLines(report);
if (!values["no-append"] && gpu) {
  const stem = `${day}-${(report.gpu ?? "gpu").toLowerCase().replace(/[^a-z0-9]+/g, "-")}${values.quick ? "-quick" : ""}`;
  await Deno.mkdir(`${HERE}charts`, { recursive: true });
  // A day's earlier runs keep their charts (RESULTS.md links each section to its own): -2, -3, ... after the first.
  let chartName = `${stem}.svg`;
  for (let k = 2; exists(`${HERE}charts/${chartName}`); k++) chartName = `${stem}-${k}.svg`;
  await Deno.writeTextFile(`${HERE}charts/${chartName}`, chart);
  const text = resultsSection(report, [`Chart: [charts/${chartName}](charts/${chartName})`, "", ...extra]);
  await Deno.writeTextFile(`${HERE}RESULTS.md`, `\n${text}`, { append: true });
  log(`appended to bench/RESULTS.md; chart in bench/charts/${chartName}`);
}
console.log("\n" + resultsSection(report, extra));
log(`wrote ${out}/results.json, results.md, chart.svg in ${((Date.now() - started) / 1000).toFixed(0)} s`);
