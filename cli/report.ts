/**
 * trtexec's performance summary: the same lines, labels and number formatting (C++ ostream's six significant
 * digits), so a denotrt run and a trtexec run of one model can be compared line by line.
 */
import type { MeasureResult, Trace } from "./measure.ts";
import { type Summary, summarize } from "./stats.ts";

/** One stream's share of a multi-stream run. */
export interface StreamSummary {
  stream: number;
  queries: number;
  /** Its queries' latency: each from its H2D start to its D2H end on that stream. */
  latency: Summary;
}

export interface PerfSummary {
  device: "cuda" | "cpu";
  /** Streams (lanes) that ran concurrently; throughput counts the queries of all of them. */
  streams: number;
  /** Per stream, with more than one. */
  perStream?: StreamSummary[];
  /** Queries (enqueues) per second over the total walltime, as trtexec counts for explicit-batch networks. */
  throughputQps: number;
  /** The first input's first dimension, when it has one: samples per query. */
  batch: number | null;
  /** throughputQps × batch. */
  samplesPerSecond: number | null;
  latency: Summary;
  enqueue: Summary;
  /** Null where there were no transfers (--noDataTransfers, or a CPU engine). */
  h2d: Summary | null;
  compute: Summary;
  d2h: Summary | null;
  walltimeS: number;
  totalComputeS: number;
  iterations: number;
  warmups: number;
  warmupMs: number;
  dataTransfers: boolean;
  useCudaGraph: boolean;
  outputsWritten: boolean;
}

export function summarizeRun(r: MeasureResult, batch: number | null): PerfSummary {
  const pick = (f: (t: Trace) => number) => summarize(r.trace.map(f));
  const compute = pick((t) => t.computeMs);
  const qps = r.walltimeMs > 0 ? (r.trace.length / r.walltimeMs) * 1000 : NaN;
  const perStream = r.streams > 1
    ? Array.from({ length: r.streams }, (_, stream) => {
      const mine = r.trace.filter((t) => t.stream === stream);
      return { stream, queries: mine.length, latency: summarize(mine.map((t) => t.latencyMs)) };
    })
    : undefined;
  return {
    device: r.device,
    streams: r.streams,
    ...(perStream ? { perStream } : {}),
    throughputQps: qps,
    batch,
    samplesPerSecond: batch === null ? null : qps * batch,
    latency: pick((t) => t.latencyMs),
    enqueue: pick((t) => t.endEnqMs - t.startEnqMs),
    h2d: r.dataTransfers ? pick((t) => t.h2dMs) : null,
    compute,
    d2h: r.dataTransfers ? pick((t) => t.d2hMs) : null,
    walltimeS: r.walltimeMs / 1000,
    totalComputeS: compute.total / 1000,
    iterations: r.trace.length,
    warmups: r.warmups,
    warmupMs: r.warmupMs,
    dataTransfers: r.dataTransfers,
    useCudaGraph: r.useCudaGraph,
    outputsWritten: r.outputsWritten,
  };
}

/** A number as C++'s `ostream << float` prints it by default (%g with 6 significant digits). */
export function formatG(x: number, digits = 6): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return "0";
  const strip = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  const [mantissa, exp] = x.toExponential(digits - 1).split("e");
  const e = Number(exp);
  if (e < -4 || e >= digits) return `${strip(mantissa)}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  return strip(x.toFixed(digits - 1 - e));
}

/** trtexec's "min = … ms, max = … ms, …, percentile(99%) = … ms". */
export function formatStats(s: Summary): string {
  const f = formatG;
  return `min = ${f(s.min)} ms, max = ${f(s.max)} ms, mean = ${f(s.mean)} ms, median = ${f(s.median)} ms, ` +
    `percentile(90%) = ${f(s.p90)} ms, percentile(95%) = ${f(s.p95)} ms, percentile(99%) = ${f(s.p99)} ms`;
}

const EXPLANATIONS = [
  "=== Explanations of the performance metrics ===",
  "Total Host Walltime: the host walltime from when the first query (after warmups) is enqueued to when the last query is completed.",
  "GPU Compute Time: the GPU latency to execute the kernels for a query.",
  "Total GPU Compute Time: the summation of the GPU Compute Time of all the queries. If this is significantly shorter than Total Host Walltime, the GPU may be under-utilized because of host-side overheads or data transfers.",
  "Throughput: the observed throughput computed by dividing the number of queries by the Total Host Walltime. If this is significantly lower than the reciprocal of GPU Compute Time, the GPU may be under-utilized because of host-side overheads or data transfers.",
  "Enqueue Time: the host latency to enqueue a query. If this is longer than GPU Compute Time, the GPU may be under-utilized.",
  "H2D Latency: the latency for host-to-device data transfers for input tensors of a single query.",
  "D2H Latency: the latency for device-to-host data transfers for output tensors of a single query.",
  "Latency: the summation of H2D Latency, GPU Compute Time, and D2H Latency. This is the latency to infer a single query.",
  "With --streams=N: N execution contexts, each with its own stream and buffers, run at once; Throughput counts the queries of all streams over the Total Host Walltime, and each stream's Latency line summarizes its own queries.",
];

/** The summary's lines, each prefixed like trtexec's log ("[I] ", "[W] "). */
export function formatSummary(s: PerfSummary, verbose = false): string[] {
  const I = (t: string) => `[I] ${t}`;
  const noCopies = s.device === "cpu" ? "n/a (a CPU engine reads and writes host memory in place)" : "n/a (--noDataTransfers)";
  const computeLabel = s.device === "cpu" ? "Compute Time (CPU)" : "GPU Compute Time";
  const lines = [
    I(`Warmup completed ${s.warmups} queries over ${formatG(s.warmupMs)} ms`),
    I(`Timing trace has ${s.iterations} queries over ${formatG(s.walltimeS)} s${s.streams > 1 ? ` (${s.streams} streams)` : ""}`),
    I(""),
    I("=== Performance summary ==="),
    I(`Throughput: ${formatG(s.throughputQps)} qps`),
  ];
  if (s.samplesPerSecond !== null && s.batch !== null && s.batch !== 1) {
    lines.push(I(`Throughput per sample: ${formatG(s.samplesPerSecond)} samples/s (batch ${s.batch})`));
  }
  lines.push(
    I(`Latency: ${formatStats(s.latency)}`),
    ...(s.perStream ?? []).map((p) => I(`Latency (stream ${p.stream}, ${p.queries} queries): ${formatStats(p.latency)}`)),
    I(`Enqueue Time: ${formatStats(s.enqueue)}`),
    I(`H2D Latency: ${s.h2d ? formatStats(s.h2d) : noCopies}`),
    I(`${computeLabel}: ${formatStats(s.compute)}`),
    I(`D2H Latency: ${s.d2h ? formatStats(s.d2h) : noCopies}`),
    I(`Total Host Walltime: ${formatG(s.walltimeS)} s`),
    I(`Total ${s.device === "cpu" ? "CPU" : "GPU"} Compute Time: ${formatG(s.totalComputeS)} s`),
  );
  // trtexec's warnings, on the same thresholds.
  if (s.device === "cuda" && s.enqueue.median > 0.8 * s.compute.median) {
    lines.push(`[W] * Throughput may be bound by Enqueue Time rather than GPU Compute and the GPU may be under-utilized.`);
    if (!s.useCudaGraph) lines.push(`[W]   If not already in use, --useCudaGraph (utilize CUDA graphs where possible) may increase the throughput.`);
  }
  if (s.h2d && s.h2d.median >= s.compute.median) {
    lines.push(`[W] * Throughput may be bound by host-to-device transfers for the inputs rather than GPU Compute and the GPU may be under-utilized.`);
    lines.push(`[W]   Add --noDataTransfers flag to disable data transfers.`);
  }
  if (s.d2h && s.d2h.median >= s.compute.median) {
    lines.push(`[W] * Throughput may be bound by device-to-host transfers for the outputs rather than GPU Compute and the GPU may be under-utilized.`);
    lines.push(`[W]   Add --noDataTransfers flag to disable data transfers.`);
  }
  if (verbose) lines.push(I(""), ...EXPLANATIONS.map((t) => `[V] ${t}`));
  else lines.push(I("Explanations of the performance metrics are printed in the verbose logs."));
  return lines;
}

/** trtexec's --exportTimes file: one object per timed iteration. */
export function exportTimesJson(trace: readonly Trace[]): string {
  return JSON.stringify(trace, null, 1) + "\n";
}
