/**
 * The benchmark's chart, drawn here as plain SVG (no plotting library on the device): one panel per model,
 * throughput (samples/s, log scale) against batch size (log2 scale), one line per runtime configuration;
 * configurations timed with their H2D/D2H copies are dashed.
 */
import { type ResultRow, seriesLabel } from "./results.ts";

const PALETTE = [
  "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
  "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
];
const PANEL_W = 420, PANEL_H = 280, MARGIN = { left: 64, right: 16, top: 32, bottom: 40 };

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Ticks at 1, 2 and 5 times the powers of ten that span [lo, hi] (both > 0). */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

function tickText(v: number): string {
  return v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v);
}

interface Series {
  label: string;
  dashed: boolean;
  points: [number, number][]; // [batch, throughput]
}

/** Series label of a row in the chart: its configuration, marked when copies are included. */
function chartLabel(r: ResultRow): string {
  return `${seriesLabel(r)}${r.transfers ? " + H2D/D2H" : ""}`;
}

function panel(model: string, series: Series[], colors: Map<string, string>, x0: number, y0: number): string[] {
  const pts = series.flatMap((s) => s.points);
  const batches = [...new Set(pts.map((p) => p[0]))].sort((a, b) => a - b);
  // A margin of 30% on the log scale keeps the extreme points off the frame.
  const lo = Math.min(...pts.map((p) => p[1])) / 1.3, hi = Math.max(...pts.map((p) => p[1])) * 1.3;
  const w = PANEL_W - MARGIN.left - MARGIN.right, h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const bMin = Math.log2(batches[0]), bMax = Math.log2(batches[batches.length - 1]);
  const xOf = (b: number) => x0 + MARGIN.left + (bMax === bMin ? w / 2 : ((Math.log2(b) - bMin) / (bMax - bMin)) * w);
  const yOf = (v: number) => y0 + MARGIN.top + h - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * h;
  const out: string[] = [
    `<g class="panel" data-model="${escapeXml(model)}">`,
    `<text x="${x0 + PANEL_W / 2}" y="${y0 + 20}" text-anchor="middle" font-weight="bold">${escapeXml(model)}</text>`,
    `<rect x="${x0 + MARGIN.left}" y="${y0 + MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  let ticks = logTicks(lo, hi);
  if (ticks.length < 2) ticks = [lo * 1.05, Math.sqrt(lo * hi), hi / 1.05].map((v) => Number(v.toPrecision(2)));
  for (const t of ticks) {
    const y = yOf(t).toFixed(1);
    out.push(`<line x1="${x0 + MARGIN.left}" x2="${x0 + MARGIN.left + w}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${tickText(t)}</text>`);
  }
  for (const b of batches) {
    out.push(`<text x="${xOf(b).toFixed(1)}" y="${y0 + MARGIN.top + h + 16}" text-anchor="middle" font-size="11">${b}</text>`);
  }
  out.push(`<text x="${x0 + MARGIN.left + w / 2}" y="${y0 + PANEL_H - 6}" text-anchor="middle" font-size="11">batch size</text>`);
  out.push(
    `<text transform="translate(${x0 + 14},${y0 + MARGIN.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="11">samples/s</text>`,
  );
  for (const s of series) {
    const color = colors.get(s.label)!;
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    const d = sorted.map(([b, v], i) => `${i ? "L" : "M"}${xOf(b).toFixed(1)},${yOf(v).toFixed(1)}`).join(" ");
    if (sorted.length > 1) {
      out.push(`<path class="series" data-label="${escapeXml(s.label)}" d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    }
    for (const [b, v] of sorted) out.push(`<circle cx="${xOf(b).toFixed(1)}" cy="${yOf(v).toFixed(1)}" r="3" fill="${color}"/>`);
  }
  out.push("</g>");
  return out;
}

/** The chart as an SVG document; rows that did not run are left out. */
export function throughputChart(rows: readonly ResultRow[], title = "Throughput against batch size"): string {
  const ok = rows.filter((r) => r.status === "ok" && r.throughput && r.throughput > 0);
  const models = [...new Set(ok.map((r) => r.model))];
  const labels = [...new Set(ok.map(chartLabel))];
  const colors = new Map(labels.map((l, i) => [l, PALETTE[i % PALETTE.length]]));
  const cols = Math.min(2, Math.max(models.length, 1)), rowsN = Math.ceil(models.length / cols);
  const legendH = 18 * labels.length + 16;
  const W = cols * PANEL_W, H = 36 + rowsN * PANEL_H + legendH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  models.forEach((m, i) => {
    const byLabel = new Map<string, Series>();
    for (const r of ok.filter((x) => x.model === m)) {
      const label = chartLabel(r);
      const s = byLabel.get(label) ?? { label, dashed: r.transfers, points: [] };
      s.points.push([r.batch, r.throughput!]);
      byLabel.set(label, s);
    }
    out.push(...panel(m, [...byLabel.values()], colors, (i % cols) * PANEL_W, 36 + Math.floor(i / cols) * PANEL_H));
  });
  const ly = 36 + rowsN * PANEL_H + 8;
  labels.forEach((l, i) => {
    const y = ly + 18 * i;
    const dashed = l.endsWith("+ H2D/D2H") ? ' stroke-dasharray="6 4"' : "";
    out.push(`<line x1="16" x2="44" y1="${y + 6}" y2="${y + 6}" stroke="${colors.get(l)}" stroke-width="2"${dashed}/>`);
    out.push(`<text x="52" y="${y + 10}">${escapeXml(l)}</text>`);
  });
  if (!models.length) out.push(`<text x="${W / 2}" y="80" text-anchor="middle">no measurements</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}
