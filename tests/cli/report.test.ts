/** The summary: trtexec's lines and number format, computed from a known trace. */
import type { MeasureResult, Trace } from "../../cli/measure.ts";
import { exportTimesJson, formatG, formatStats, formatSummary, summarizeRun } from "../../cli/report.ts";
import { summarize } from "../../cli/stats.ts";
import { assert, assertEquals } from "../_assert.ts";

Deno.test("numbers print as C++ ostream does (6 significant digits)", () => {
  const cases: [number, string][] = [
    [0.841797234, "0.841797"], [1234.5, "1234.5"], [1234567, "1.23457e+06"], [0.0001234, "0.0001234"],
    [0.00001234, "1.234e-05"], [3, "3"], [0, "0"], [100000, "100000"], [999999.7, "1e+06"], [NaN, "nan"], [Infinity, "inf"],
  ];
  for (const [x, s] of cases) assertEquals(formatG(x), s, String(x));
});

/** A trace of n iterations, each 1 ms H2D, `c(i)` ms compute, 0.5 ms D2H, back to back. */
function trace(n: number, c: (i: number) => number): Trace[] {
  const out: Trace[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    const s = t, h = s + 1, e = h + c(i), d = e + 0.5;
    out.push({
      startEnqMs: h, endEnqMs: h + 0.01, startH2dMs: s, endH2dMs: h, startComputeMs: h, endComputeMs: e, startD2hMs: e,
      endD2hMs: d, h2dMs: 1, computeMs: c(i), d2hMs: 0.5, latencyMs: d - s,
    });
    t = d;
  }
  return out;
}

function result(tr: Trace[], transfers: boolean, streams = 1): MeasureResult {
  return {
    device: "cuda", streams, warmups: 7, warmupMs: 201, trace: tr,
    walltimeMs: Math.max(...tr.map((t) => t.endD2hMs)) - Math.min(...tr.map((t) => t.startH2dMs)),
    dataTransfers: transfers, useCudaGraph: false, outputsWritten: true,
  };
}

/** Two streams running side by side: each iteration's trace shifted to start where the stream's previous ended. */
function twoStreams(n: number, c: (stream: number) => number): Trace[] {
  const a = trace(n, () => c(0)).map((t) => ({ ...t, stream: 0 }));
  const b = trace(n, () => c(1)).map((t) => ({ ...t, stream: 1 }));
  return a.flatMap((t, i) => [t, b[i]]); // issue order: round-robin
}

Deno.test("summarizeRun: throughput over the walltime, every metric's statistics", () => {
  const tr = trace(100, (i) => 1 + (i % 10) / 10); // compute 1.0 .. 1.9 ms
  const s = summarizeRun(result(tr, true), 8);
  const wall = tr.reduce((a, t) => a + t.latencyMs, 0);
  assertEquals(s.iterations, 100);
  assert(Math.abs(s.throughputQps - 100 / (wall / 1000)) < 1e-9);
  assertEquals(s.samplesPerSecond, s.throughputQps * 8);
  assertEquals(s.compute, summarize(tr.map((t) => t.computeMs)));
  assertEquals(s.h2d!.median, 1);
  assert(Math.abs(s.latency.p90 - (1.5 + 1.8)) < 1e-9); // 1 + compute p90 (1.8) + 0.5
  assert(Math.abs(s.enqueue.median - 0.01) < 1e-9);
  assert(Math.abs(s.totalComputeS - tr.reduce((a, t) => a + t.computeMs, 0) / 1000) < 1e-12);
  assertEquals(summarizeRun(result(tr, false), null).h2d, null);
});

Deno.test("the summary has trtexec's lines, in its order, and n/a where nothing was copied", () => {
  const s = summarizeRun(result(trace(20, () => 2), true), 4);
  const lines = formatSummary(s);
  const keys = ["=== Performance summary ===", "Throughput: ", "Throughput per sample: ", "Latency: min = ", "Enqueue Time: min = ", "H2D Latency: min = ", "GPU Compute Time: min = ", "D2H Latency: min = ", "Total Host Walltime: ", "Total GPU Compute Time: "];
  let at = -1;
  for (const k of keys) {
    const i = lines.findIndex((l) => l.startsWith(`[I] ${k}`));
    assert(i > at, `"${k}" after the previous line in:\n${lines.join("\n")}`);
    at = i;
  }
  assert(lines.some((l) => l.includes("percentile(90%) = 2 ms, percentile(95%) = 2 ms, percentile(99%) = 2 ms")));
  assertEquals(formatStats(summarize([1, 2, 3])), "min = 1 ms, max = 3 ms, mean = 2 ms, median = 2 ms, percentile(90%) = 3 ms, percentile(95%) = 3 ms, percentile(99%) = 3 ms");
  const none = formatSummary(summarizeRun(result(trace(5, () => 2), false), 1));
  assert(none.includes("[I] H2D Latency: n/a (--noDataTransfers)"));
  assert(!none.some((l) => l.includes("per sample")), "batch 1 prints no per-sample line");
  // trtexec's transfer-bound warning: H2D (1 ms) >= compute (0.5 ms).
  assert(formatSummary(summarizeRun(result(trace(5, () => 0.5), true), 1)).some((l) => l.includes("bound by host-to-device")));
  assert(formatSummary(s, true).some((l) => l.startsWith("[V] Throughput: the observed throughput")));
});

Deno.test("--exportTimes writes trtexec's trace keys", () => {
  const parsed = JSON.parse(exportTimesJson(trace(3, () => 2)));
  assertEquals(parsed.length, 3);
  assertEquals(Object.keys(parsed[0]), [
    "startEnqMs", "endEnqMs", "startH2dMs", "endH2dMs", "startComputeMs", "endComputeMs", "startD2hMs", "endD2hMs",
    "h2dMs", "computeMs", "d2hMs", "latencyMs",
  ]);
});

Deno.test("several streams: throughput counts every stream's queries over the shared walltime; a latency line per stream", () => {
  const tr = twoStreams(10, (stream) => (stream === 0 ? 2 : 4)); // stream 0: 3.5 ms a query, stream 1: 5.5 ms
  const s = summarizeRun(result(tr, true, 2), 8);
  assertEquals([s.streams, s.iterations], [2, 20]);
  assert(Math.abs(s.throughputQps - 20 / 0.055) < 1e-6, String(s.throughputQps)); // the walltime is the slower stream's 55 ms
  assertEquals(s.perStream!.map((p) => [p.stream, p.queries, p.latency.median]), [[0, 10, 3.5], [1, 10, 5.5]]);
  assertEquals(s.latency.count, 20);
  const lines = formatSummary(s);
  assert(lines.includes("[I] Timing trace has 20 queries over 0.055 s (2 streams)"), lines.join("\n"));
  const at = lines.findIndex((l) => l.startsWith("[I] Latency: "));
  assert(lines[at + 1].startsWith("[I] Latency (stream 0, 10 queries): min = 3.5 ms, max = 3.5 ms"), lines[at + 1]);
  assert(lines[at + 2].startsWith("[I] Latency (stream 1, 10 queries): min = 5.5 ms"), lines[at + 2]);
  assert(lines[at + 3].startsWith("[I] Enqueue Time: "), lines[at + 3]);
  // One stream: trtexec's lines exactly, no per-stream ones.
  const one = formatSummary(summarizeRun(result(trace(5, () => 2), true), 1));
  assert(!one.some((l) => l.includes("stream")), one.join("\n"));
  assertEquals(summarizeRun(result(trace(5, () => 2), true), 1).perStream, undefined);
  assert(JSON.parse(exportTimesJson(tr)).every((t: Trace, i: number) => t.stream === i % 2), "--exportTimes names each query's stream");
});
