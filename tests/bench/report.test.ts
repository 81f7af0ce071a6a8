/** The benchmark's markdown: ratios to denotrt, pivots, the n/a list, the RESULTS.md section. */
import {
  denotrtBase,
  fmtMs,
  fmtRate,
  fullTable,
  measurementLines,
  naList,
  pivotTable,
  ratioTable,
  ratioText,
  resultsMarkdown,
  resultsSection,
  transferRatioTable,
} from "../../bench/report.ts";
import { settingsFor } from "../../bench/denotrt_runs.ts";
import { fullPlan, quickPlan } from "../../bench/config.ts";
import type { BenchReport, ResultRow } from "../../bench/results.ts";
import { assert, assertEquals } from "../_assert.ts";

function row(runtime: string, precision: string, batch: number, throughput: number, extra: Partial<ResultRow> = {}): ResultRow {
  const m = (batch / throughput) * 1000;
  return {
    model: "resnet50", batch, runtime, precision, transfers: false, status: "ok", throughput, iterations: 30,
    latencyMs: { min: m * 0.9, max: m * 1.5, mean: m, median: m, p90: m * 1.1, p95: m * 1.2, p99: m * 1.3 }, ...extra,
  };
}

const rows: ResultRow[] = [
  row("denotrt", "fp32", 1, 400),
  row("denotrt", "fp32", 8, 1600),
  row("denotrt", "fp32", 1, 300, { transfers: true }),
  { model: "resnet50", batch: 1, runtime: "denotrt", precision: "fp16", transfers: false, status: "n/a", reason: "UnsupportedError: precision 'fp16' is not yet supported" },
  { model: "resnet50", batch: 8, runtime: "denotrt", precision: "fp16", transfers: false, status: "n/a", reason: "UnsupportedError: precision 'fp16' is not yet supported" },
  row("pytorch-eager", "fp32", 1, 200),
  row("pytorch-cudagraph", "fp16", 8, 3200, { variant: "channels_last" }),
  row("pytorch-cudagraph", "fp32", 1, 600, { transfers: true }),
  row("onnxruntime-cpu", "fp32", 1, 10),
];

Deno.test("ratios compare with denotrt at the same model, batch, transfers and precision (else fp32)", () => {
  assertEquals(ratioText(rows, rows[5]), "2.00×"); // 400 / 200
  assertEquals(ratioText(rows, rows[6]), "0.50× (vs fp32)"); // denotrt fp16 is n/a: 1600 / 3200
  assertEquals(ratioText(rows, rows[7]), "0.50×"); // with transfers: 300 / 600
  assertEquals(ratioText(rows, rows[8]), "40.00×");
  assertEquals(ratioText(rows, rows[0]), "—");
  assertEquals(denotrtBase(rows, row("pytorch-eager", "fp32", 32, 1)), undefined);
});

Deno.test("tables: every ok row once, pivots by batch, n/a grouped with the reason", () => {
  const full = fullTable(rows);
  assertEquals(full.split("\n").length, 2 + rows.filter((r) => r.status === "ok").length);
  assert(full.includes("| resnet50 | 8 | PyTorch + CUDA graph channels_last | fp16 | no | 2.50 | 2.75 | 3.25 | 3,200 | 0.50× (vs fp32) |"), full);
  const p = pivotTable(rows, "resnet50", false)!;
  assert(p.startsWith("| resnet50, without H2D/D2H | batch 1 | batch 8 |"), p);
  assert(p.includes("| denotrt fp32 | 400/s (2.50 ms) | 1,600/s (5.00 ms) |"), p);
  assertEquals(pivotTable(rows, "yolox", false), null);
  assertEquals(naList(rows), "- denotrt fp16: n/a — UnsupportedError: precision 'fp16' is not yet supported [resnet50 b1,8]");
  const trt = (model: string, batch: number, precision: string, transfers: boolean): ResultRow => ({ model, batch, runtime: "denotrt-tensorrt", precision, transfers, status: "n/a", reason: "no TensorRT" });
  assertEquals(
    naList([trt("a", 8, "fp32", false), trt("a", 1, "fp16", true), trt("b", 1, "fp32", true), { ...trt("c", 0, "fp32", false), runtime: "x", reason: "y" }]),
    "- denotrt (TensorRT) fp32/fp16, with and without H2D/D2H: n/a — no TensorRT [a b1,8; b b1]\n- x fp32: n/a — y [c]",
  );
  assertEquals([fmtMs(0.12345), fmtMs(2.346), fmtMs(123.46), fmtRate(12345.6), fmtRate(9.876)], ["0.123", "2.35", "123.5", "12,346", "9.88"]);
});

Deno.test("results.md and the RESULTS.md section name the GPU, the command, the versions, and what was skipped", () => {
  const rep: BenchReport = {
    date: "2026-11-25T10:00:00.000Z", command: "deno task bench", gpu: "NVIDIA H200", driver: "CUDA 13.0", host: "h, 16 CPUs",
    versions: { denotrt: "0.1.0", torch: "2.11.0" }, results: rows, skipped: [{ what: "PP-OCRv4", reason: "no fixture" }], timings: {},
  };
  const md = resultsMarkdown(rep, "chart.svg");
  for (const k of ["NVIDIA H200", "deno task bench", "torch 2.11.0", "![throughput against batch size](chart.svg)", "## Not measured", "PP-OCRv4: no fixture"]) {
    assert(md.includes(k), k);
  }
  const sec = resultsSection(rep, ["FFI: 8 ns"]);
  assert(sec.startsWith("## 2026-11-25 — `deno task bench`: denotrt beside its peers (NVIDIA H200)"));
  assert(sec.includes("| resnet50, with H2D/D2H |") && sec.endsWith("FFI: 8 ns\n"));
  assert(!sec.includes("onnxruntime (CPU) fp32 + "), "peers other than CUDA graphs are left out of the with-copies pivot");
});

Deno.test("ratio table: each peer's ratio per batch; none without denotrt rows", () => {
  const t = ratioTable(rows, "resnet50", false)!;
  assertEquals(t.split("\n"), [
    "| resnet50: denotrt ÷ peer | batch 1 | batch 8 |",
    "|---|---:|---:|",
    "| PyTorch eager fp32 | 2.00× |  |",
    "| PyTorch + CUDA graph fp16 channels_last |  | 0.50× (vs fp32) |",
    "| onnxruntime (CPU) fp32 | 40.00× |  |",
  ]);
  assertEquals(ratioTable(rows.filter((r) => r.runtime !== "denotrt"), "resnet50", false), null);
  const lines = measurementLines({ ffi: { syncNs: 6, nonblockingUs: 20 }, transfers: [{ direction: "H2D", bytes: 64 << 20, pinnedTs: 50, pinnedC: 51, pageableTs: 7 }], timings: { ffi: 0.1 } } as unknown as BenchReport);
  assertEquals(lines, ["FFI call into the shim: 6.0 ns synchronous, 20.0 µs nonblocking (awaited).", "Transfers H2D (64 MiB): pinned 50.0 GiB/s (98.0% of C cudaMemcpyAsync), pageable 7.0 GiB/s.", "", "Section times (s): ffi 0.1."]);
});

/** ResNet-50 fp16 at b32 and b128: compute only, with copies on one stream, with copies on two. */
const overlapRows: ResultRow[] = [
  row("denotrt", "fp16", 32, 7000),
  row("denotrt", "fp16", 32, 6500, { transfers: true }),
  row("denotrt", "fp16", 32, 6900, { transfers: true, variant: "2 streams" }),
  row("denotrt", "fp16", 128, 9400),
  // Before the one-stream row on purpose: the baseline must be chosen by what the row is, not by its place.
  row("denotrt", "fp16", 128, 9200, { transfers: true, variant: "2 streams" }),
  row("denotrt", "fp16", 128, 8500, { transfers: true }),
  row("denotrt", "fp32", 128, 4500),
  row("denotrt", "fp32", 128, 4300, { transfers: true }),
  row("pytorch-cudagraph", "fp16", 128, 13749, { transfers: true, variant: "channels_last" }),
];

Deno.test("with H2D/D2H ÷ without: one stream and two, per batch the multi-stream rows cover", () => {
  assertEquals(transferRatioTable(overlapRows, "resnet50")!.split("\n"), [
    "| resnet50: throughput with H2D/D2H ÷ without (goal ≥ 0.90) | batch 32 | batch 128 |",
    "|---|---:|---:|",
    "| denotrt fp16, 1 stream | 0.93 | 0.90 |",
    "| denotrt fp16, 2 streams | 0.99 | 0.98 |",
  ]);
  // A missing compute-only row leaves its cell empty; no multi-stream rows, no table.
  const t = transferRatioTable(overlapRows.filter((r) => !(r.batch === 32 && !r.transfers)), "resnet50")!;
  assert(t.includes("| denotrt fp16, 2 streams | — | 0.98 |"), t);
  assertEquals(transferRatioTable(overlapRows.filter((r) => !r.variant?.includes("streams")), "resnet50"), null);
  assertEquals(transferRatioTable(rows, "resnet50"), null);
});

Deno.test("the multi-stream row is shown beside the others and never taken as denotrt's baseline", () => {
  // The peer is compared with denotrt's one-stream run (8,500/s), not the two-stream one.
  assertEquals(denotrtBase(overlapRows, overlapRows[8])!.base.throughput, 8500);
  assertEquals(ratioText(overlapRows, overlapRows[8]), "0.62×");
  assertEquals(ratioText(overlapRows, overlapRows[4]), "—");
  const p = pivotTable(overlapRows, "resnet50", true)!;
  assert(p.includes("| denotrt fp16 | 6,500/s") && p.includes("| denotrt fp16 2 streams | 6,900/s"), p);
  const rep: BenchReport = {
    date: "2026-11-26T10:00:00.000Z", command: "deno task bench", gpu: "NVIDIA H200", driver: null, host: "h",
    versions: {}, results: overlapRows, skipped: [], timings: {},
  };
  for (const md of [resultsMarkdown(rep, "c.svg"), resultsSection(rep)]) {
    assert(md.includes("| denotrt fp16 2 streams |") && md.includes("| denotrt fp16, 2 streams | 0.99 | 0.98 |"), md);
    assert(md.includes('Rows marked "N streams" time the same engine'), "the method says what the row is");
  }
});

Deno.test("the plans time ResNet-50 fp16 with copies on 2 streams at b32 and b128 (quick: b32)", () => {
  const full = fullPlan(), quick = quickPlan();
  const variants = (p: typeof full, batch: number, precision = "fp16") => settingsFor(p, "resnet50", batch, precision).map((s) => [s.transfers, s.streams, s.variant]);
  const plain = [[false, 1, undefined], [true, 1, undefined]];
  assertEquals(variants(full, 128), [...plain, [true, 2, "2 streams"]]);
  assertEquals(variants(full, 32), [...plain, [true, 2, "2 streams"]]);
  assertEquals([variants(full, 8), variants(full, 128, "fp32"), settingsFor(full, "mobilenet_v3_large", 128, "fp16").length], [plain, plain, 2]);
  assertEquals([variants(quick, 32).length, variants(quick, 1).length], [3, 2]);
});
