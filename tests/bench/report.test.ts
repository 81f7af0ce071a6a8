/** The benchmark's markdown: ratios to denotrt, pivots, the n/a list, the RESULTS.md section. */
import { denotrtBase, fmtMs, fmtRate, fullTable, measurementLines, naList, pivotTable, ratioTable, ratioText, resultsMarkdown, resultsSection } from "../../bench/report.ts";
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
