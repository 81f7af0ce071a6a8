/**
 * Markdown from the benchmark's rows: per model a pivot (runtime × batch, samples/s and median latency), the full
 * table with each peer's ratio to denotrt, the configurations that could not run with their reasons, and the dated
 * section appended to bench/RESULTS.md.
 */
import { type BenchReport, type ResultRow, seriesLabel } from "./results.ts";

export function fmtMs(x: number): string {
  if (!Number.isFinite(x)) return "—";
  return x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1);
}

export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return "—";
  return x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toPrecision(3);
}

/**
 * The denotrt row a row is compared with: same model, batch and transfers, the same precision where denotrt ran
 * it, else denotrt's fp32 (the note says so); always the plain one-stream run, never a variant such as
 * "2 streams". Undefined when denotrt has no such row.
 */
export function denotrtBase(rows: readonly ResultRow[], r: ResultRow): { base: ResultRow; note: string } | undefined {
  const same = (p: string) =>
    rows.find((d) =>
      d.runtime === "denotrt" && !d.variant && d.status === "ok" && d.model === r.model && d.batch === r.batch && d.transfers === r.transfers &&
      d.precision === p
    );
  const exact = same(r.precision);
  if (exact) return { base: exact, note: "" };
  const fp32 = same("fp32");
  return fp32 ? { base: fp32, note: " (vs fp32)" } : undefined;
}

/** denotrt's throughput over the row's: above 1 means denotrt is faster. */
export function ratioText(rows: readonly ResultRow[], r: ResultRow): string {
  if (r.status !== "ok" || r.runtime === "denotrt" || !r.throughput) return "—";
  const b = denotrtBase(rows, r);
  if (!b || !b.base.throughput) return "—";
  return `${(b.base.throughput / r.throughput).toFixed(2)}×${b.note}`;
}

function modelOrder(rows: readonly ResultRow[]): string[] {
  return [...new Set(rows.map((r) => r.model))];
}

const RUNTIME_ORDER = ["denotrt", "denotrt-tensorrt", "pytorch-eager", "pytorch-cudagraph", "torch.compile", "onnxruntime-cpu"];
const rank = (x: string) => (RUNTIME_ORDER.indexOf(x) < 0 ? RUNTIME_ORDER.length : RUNTIME_ORDER.indexOf(x));
const bySeries = (a: ResultRow, b: ResultRow) =>
  rank(a.runtime) - rank(b.runtime) || a.precision.localeCompare(b.precision) || (a.variant ?? "").localeCompare(b.variant ?? "");

function sortRows(rows: readonly ResultRow[]): ResultRow[] {
  const models = modelOrder(rows);
  return [...rows].sort((a, b) =>
    models.indexOf(a.model) - models.indexOf(b.model) || a.batch - b.batch || Number(a.transfers) - Number(b.transfers) || bySeries(a, b)
  );
}

/** The series labels of `rows` in table order: by runtime, then precision, then variant. */
function seriesOrder(rows: readonly ResultRow[]): string[] {
  return [...new Set([...rows].sort(bySeries).map((r) => seriesLabel(r)))];
}

/** The full table of measured rows, with each row's ratio to denotrt. */
export function fullTable(rows: readonly ResultRow[]): string {
  const lines = [
    "| model | batch | runtime | precision | H2D/D2H | median ms | p90 ms | p99 ms | samples/s | denotrt ÷ this |",
    "|---|---:|---|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of sortRows(rows.filter((x) => x.status === "ok"))) {
    const l = r.latencyMs!;
    lines.push(
      `| ${r.model} | ${r.batch} | ${seriesLabel({ ...r, precision: "" })} | ${r.precision} | ${r.transfers ? "yes" : "no"} | ` +
        `${fmtMs(l.median)} | ${fmtMs(l.p90)} | ${fmtMs(l.p99)} | ${fmtRate(r.throughput!)} | ${ratioText(rows, r)} |`,
    );
  }
  return lines.join("\n");
}

/** Per model, each peer × batch: denotrt's throughput over the peer's (same precision, else denotrt fp32). */
export function ratioTable(rows: readonly ResultRow[], model: string, transfers: boolean): string | null {
  const peers = rows.filter((r) => r.model === model && r.transfers === transfers && r.status === "ok" && r.runtime !== "denotrt");
  if (!peers.length || !rows.some((r) => r.model === model && r.runtime === "denotrt" && r.status === "ok")) return null;
  const batches = [...new Set(peers.map((r) => r.batch))].sort((a, b) => a - b);
  const lines = [
    `| ${model}: denotrt ÷ peer${transfers ? ", with H2D/D2H" : ""} | ${batches.map((b) => `batch ${b}`).join(" | ")} |`,
    `|---|${batches.map(() => "---:").join("|")}|`,
  ];
  for (const s of seriesOrder(peers)) {
    const cells = batches.map((b) => {
      const r = peers.find((x) => x.batch === b && seriesLabel(x) === s);
      return r ? ratioText(rows, r) : "";
    });
    lines.push(`| ${s} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** Per model, runtime × batch: "samples/s (median ms)", for rows of one transfers setting. */
export function pivotTable(rows: readonly ResultRow[], model: string, transfers: boolean): string | null {
  const ok = rows.filter((r) => r.model === model && r.transfers === transfers && r.status === "ok");
  if (!ok.length) return null;
  const batches = [...new Set(ok.map((r) => r.batch))].sort((a, b) => a - b);
  const series = seriesOrder(ok);
  const lines = [
    `| ${model}, ${transfers ? "with" : "without"} H2D/D2H | ${batches.map((b) => `batch ${b}`).join(" | ")} |`,
    `|---|${batches.map(() => "---:").join("|")}|`,
  ];
  for (const s of series) {
    const cells = batches.map((b) => {
      const r = ok.find((x) => x.batch === b && seriesLabel(x) === s);
      return r ? `${fmtRate(r.throughput!)}/s (${fmtMs(r.latencyMs!.median)} ms)` : "";
    });
    lines.push(`| ${s} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** Throughput with H2D/D2H over throughput without, the goal for the multi-stream rows (issue #11). */
export const TRANSFER_GOAL = 0.9;

/**
 * Per model, for each denotrt configuration timed on several streams: its throughput with H2D/D2H copies on one
 * stream and on several, each over its compute-only throughput (same engine, no copies), at the batches the
 * multi-stream rows cover. Null when the model has no such rows.
 */
export function transferRatioTable(rows: readonly ResultRow[], model: string): string | null {
  const isDenotrt = (r: ResultRow) => r.runtime === "denotrt" || r.runtime === "denotrt-tensorrt";
  const multi = rows.filter((r) => r.model === model && isDenotrt(r) && r.transfers && r.status === "ok" && /^\d+ streams$/.test(r.variant ?? ""));
  if (!multi.length) return null;
  const batches = [...new Set(multi.map((r) => r.batch))].sort((a, b) => a - b);
  const find = (like: ResultRow, batch: number, transfers: boolean, variant?: string) =>
    rows.find((r) =>
      r.model === model && r.runtime === like.runtime && r.precision === like.precision && r.batch === batch && r.transfers === transfers &&
      r.variant === variant && r.status === "ok"
    );
  const lines = [
    `| ${model}: throughput with H2D/D2H ÷ without (goal ≥ ${TRANSFER_GOAL.toFixed(2)}) | ${batches.map((b) => `batch ${b}`).join(" | ")} |`,
    `|---|${batches.map(() => "---:").join("|")}|`,
  ];
  const seen = new Set<string>();
  for (const m of [...multi].sort(bySeries)) {
    const key = JSON.stringify([m.runtime, m.precision]);
    if (seen.has(key)) continue;
    seen.add(key);
    const variants = [...new Set(multi.filter((r) => r.runtime === m.runtime && r.precision === m.precision).map((r) => r.variant!))];
    for (const variant of [undefined, ...variants]) {
      const cells = batches.map((b) => {
        const base = find(m, b, false), copied = find(m, b, true, variant);
        return base?.throughput && copied?.throughput ? (copied.throughput / base.throughput).toFixed(2) : "—";
      });
      lines.push(`| ${seriesLabel({ ...m, variant: undefined })}, ${variant ?? "1 stream"} | ${cells.join(" | ")} |`);
    }
  }
  return lines.join("\n");
}

/**
 * The configurations that did not run, one line per runtime (and variant) and reason, listing the precisions, the
 * transfer settings and each model's batches it covers.
 */
export function naList(rows: readonly ResultRow[]): string {
  const groups = new Map<string, { label: string; reason: string; precisions: Set<string>; transfers: Set<boolean>; at: Map<string, number[]> }>();
  for (const r of rows.filter((x) => x.status === "n/a")) {
    const label = seriesLabel({ ...r, precision: "" });
    const reason = r.reason ?? "no reason given";
    const key = JSON.stringify([label, reason]);
    const g = groups.get(key) ?? { label, reason, precisions: new Set(), transfers: new Set(), at: new Map() };
    g.precisions.add(r.precision);
    g.transfers.add(r.transfers);
    const batches = g.at.get(r.model) ?? [];
    if (r.batch && !batches.includes(r.batch)) batches.push(r.batch);
    g.at.set(r.model, batches);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => {
    const copies = g.transfers.size === 2 ? ", with and without H2D/D2H" : g.transfers.has(true) ? ", with H2D/D2H" : "";
    const where = [...g.at].map(([m, b]) => (b.length ? `${m} b${b.sort((x, y) => x - y).join(",")}` : m)).join("; ");
    return `- ${g.label} ${[...g.precisions].join("/")}${copies}: n/a — ${g.reason} [${where}]`;
  }).join("\n");
}

function header(rep: BenchReport): string[] {
  return [
    `GPU: ${rep.gpu ?? "none"}${rep.driver ? ` (driver ${rep.driver})` : ""}; host: ${rep.host}; date: ${rep.date}`,
    `Command: \`${rep.command}\``,
    `Versions: ${Object.entries(rep.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`,
  ];
}

function method(rep: BenchReport): string {
  const t = rep.settings ?? { warmUpMs: 100, minIters: 20, minS: 0.25, inputSets: 4 };
  return `Method: random inputs (${t.inputSets} rotating sets, never zeros); warm-up (${t.warmUpMs} ms and every input set), ` +
    `then at least ${t.minIters} timed iterations and ${t.minS} s; latency from CUDA events around each iteration (H2D ` +
    "copies, enqueue, D2H copies on one stream, 2 iterations in flight); throughput = samples over the GPU span of the " +
    "timed loop; each denotrt engine built for its batch (min = opt = max, as trtexec --shapes). Peers timed the same " +
    "way in Python (torch.cuda.Event; fp32 with TF32 off, cudnn.benchmark on, fp16 peers take and return fp32 like " +
    "denotrt; onnxruntime on the CPU with the wall clock). \"denotrt ÷ this\" is denotrt's throughput over the row's at " +
    "the same model, batch, transfers and precision (denotrt fp32 where denotrt lacks that precision). Rows marked " +
    "\"N streams\" time the same engine with its copies on N streams at once (N execution contexts, each with its own " +
    "CUDA stream and pinned buffers, as trtexec --streams; throughput = all streams' samples over the span of the timed " +
    "loop, latency per query on its stream), so one stream's copies overlap another's compute; \"with H2D/D2H ÷ " +
    `without" divides throughput with copies by the same engine's compute-only throughput (the goal is ≥ ${TRANSFER_GOAL.toFixed(2)}).`;
}

/** bench/out/results.md: everything. */
export function resultsMarkdown(rep: BenchReport, chartFile: string): string {
  const out = ["# deno task bench", "", ...header(rep), "", method(rep), "", `![throughput against batch size](${chartFile})`, ""];
  for (const m of modelOrder(rep.results)) {
    for (const t of [false, true]) {
      for (const table of [pivotTable(rep.results, m, t), ratioTable(rep.results, m, t)]) if (table) out.push(table, "");
    }
    const overlap = transferRatioTable(rep.results, m);
    if (overlap) out.push(overlap, "");
  }
  out.push("## Every measured configuration", "", fullTable(rep.results), "");
  const na = naList(rep.results);
  if (na) out.push("## Not measured", "", na, "");
  if (rep.skipped.length) out.push("## Sections skipped", "", ...rep.skipped.map((s) => `- ${s.what}: ${s.reason}`), "");
  return out.join("\n");
}

/** The dated section appended to bench/RESULTS.md: the pivots without transfers, denotrt with them, the n/a list. */
export function resultsSection(rep: BenchReport, extraLines: string[] = []): string {
  const day = rep.date.slice(0, 10);
  const out = [`## ${day} — \`deno task bench\`: denotrt beside its peers (${rep.gpu ?? "no GPU"})`, "", ...header(rep), "", method(rep), ""];
  for (const m of modelOrder(rep.results)) {
    const p = pivotTable(rep.results, m, false);
    if (p) out.push(p, "");
    const ratios = ratioTable(rep.results, m, false);
    if (ratios) out.push(ratios, "");
    const withCopies = pivotTable(rep.results.filter((r) => r.runtime === "denotrt" || r.runtime === "pytorch-cudagraph"), m, true);
    if (withCopies) out.push(withCopies, "");
    const overlap = transferRatioTable(rep.results, m);
    if (overlap) out.push(overlap, "");
  }
  const na = naList(rep.results);
  if (na) out.push("Not measured:", "", na, "");
  if (rep.skipped.length) out.push("Sections skipped:", "", ...rep.skipped.map((s) => `- ${s.what}: ${s.reason}`), "");
  out.push(...extraLines);
  return out.join("\n").trimEnd() + "\n";
}

/** The FFI, transfer and section-time lines of a report. */
export function measurementLines(rep: BenchReport): string[] {
  const lines: string[] = [];
  const ffi = rep.ffi as { syncNs: number; nonblockingUs: number } | undefined;
  if (ffi) lines.push(`FFI call into the shim: ${ffi.syncNs.toFixed(1)} ns synchronous, ${ffi.nonblockingUs.toFixed(1)} µs nonblocking (awaited).`);
  if (Array.isArray(rep.transfers)) {
    for (const t of rep.transfers as { direction: string; bytes: number; pinnedTs: number; pinnedC: number; pageableTs: number }[]) {
      lines.push(
        `Transfers ${t.direction} (${t.bytes / 2 ** 20} MiB): pinned ${t.pinnedTs.toFixed(1)} GiB/s (${(100 * t.pinnedTs / t.pinnedC).toFixed(1)}% of C cudaMemcpyAsync), pageable ${t.pageableTs.toFixed(1)} GiB/s.`,
      );
    }
  }
  lines.push("", `Section times (s): ${Object.entries(rep.timings).map(([k, v]) => `${k} ${v}`).join(", ")}.`);
  return lines;
}
