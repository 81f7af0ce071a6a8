/**
 * The benchmark's result rows: one per (model, batch, runtime, precision, variant, transfers), whether measured here
 * (denotrt) or by a peer script (JSON lines on its stdout, the same fields). A row that could not run says why.
 */

import type { Summary } from "../cli/stats.ts";

/** A row's latency figures: the CLI's summary statistics (trtexec's definitions) without the count and the total. */
export type LatencyStats = Omit<Summary, "count" | "total">;

export interface ResultRow {
  model: string;
  batch: number;
  /** "denotrt", "denotrt-tensorrt", "pytorch-eager", "pytorch-cudagraph", "torch.compile", "onnxruntime-cpu". */
  runtime: string;
  precision: string;
  /** What else distinguishes the configuration, e.g. "channels_last" or a torch.compile mode. */
  variant?: string;
  /** True when the timings include the host-to-device input and device-to-host output copies. */
  transfers: boolean;
  status: "ok" | "n/a";
  reason?: string;
  /** Per-iteration latency (H2D + compute + D2H where transfers is true), ms. */
  latencyMs?: LatencyStats;
  /** Samples (images) per second. */
  throughput?: number;
  iterations?: number;
  extra?: Record<string, unknown>;
}

export interface BenchReport {
  date: string;
  command: string;
  gpu: string | null;
  driver: string | null;
  host: string;
  versions: Record<string, string>;
  results: ResultRow[];
  transfers?: unknown;
  ffi?: unknown;
  /** Whole sections that did not run, and why. */
  skipped: { what: string; reason: string }[];
  /** Wall seconds of each section. */
  timings: Record<string, number>;
  /** The timing settings every GPU measurement used. */
  settings?: { warmUpMs: number; minIters: number; minS: number; inputSets: number };
}

export const RUNTIME_LABELS: Record<string, string> = {
  "denotrt": "denotrt",
  "denotrt-tensorrt": "denotrt (TensorRT)",
  "pytorch-eager": "PyTorch eager",
  "pytorch-cudagraph": "PyTorch + CUDA graph",
  "torch.compile": "torch.compile",
  "onnxruntime-cpu": "onnxruntime (CPU)",
};

/** A row's series name: runtime, precision and variant ("PyTorch eager fp16 channels_last"). */
export function seriesLabel(r: Pick<ResultRow, "runtime" | "precision" | "variant">): string {
  return [RUNTIME_LABELS[r.runtime] ?? r.runtime, r.precision, r.variant].filter(Boolean).join(" ");
}

function isStats(x: unknown): x is LatencyStats {
  const o = x as Record<string, unknown>;
  return typeof o === "object" && o !== null && ["min", "max", "mean", "median", "p90", "p95", "p99"].every((k) => typeof o[k] === "number");
}

/**
 * Parses a peer's stdout: every line that starts with "{" must be a result row; other lines are ignored (a peer's
 * libraries print what they like). Throws on a malformed row, naming the line.
 */
export function parseRows(text: string, source: string): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line.startsWith("{")) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch (e) {
      throw new Error(`${source}, line ${i + 1}: not JSON (${e instanceof Error ? e.message : e}): ${line.slice(0, 120)}`);
    }
    const bad = (what: string) => new Error(`${source}, line ${i + 1}: ${what}: ${line.slice(0, 120)}`);
    if (typeof o.model !== "string" || typeof o.runtime !== "string" || typeof o.precision !== "string") throw bad("needs model, runtime and precision");
    if (!Number.isInteger(o.batch)) throw bad("batch must be an integer");
    if (o.status !== "ok" && o.status !== "n/a") throw bad('status must be "ok" or "n/a"');
    if (o.status === "ok" && (!isStats(o.latencyMs) || typeof o.throughput !== "number")) throw bad("an ok row needs latencyMs and throughput");
    if (o.status === "n/a" && typeof o.reason !== "string") throw bad("an n/a row needs a reason");
    rows.push({
      model: o.model,
      batch: o.batch as number,
      runtime: o.runtime,
      precision: o.precision,
      variant: typeof o.variant === "string" && o.variant ? o.variant : undefined,
      transfers: o.transfers === true,
      status: o.status,
      reason: o.reason as string | undefined,
      latencyMs: o.latencyMs as LatencyStats | undefined,
      throughput: o.throughput as number | undefined,
      iterations: typeof o.iterations === "number" ? o.iterations : undefined,
      extra: typeof o.extra === "object" && o.extra !== null ? o.extra as Record<string, unknown> : undefined,
    });
  }
  return rows;
}
