/**
 * Summary statistics with trtexec's definitions, so a denotrt summary and a trtexec summary can be compared line by
 * line: the median averages the two middle values of an even count, and percentile(p) is trtexec's findPercentile
 * (the value below which all but floor((1 - p/100) * n) samples lie), computed in float32 as trtexec computes it.
 */

export interface Summary {
  count: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  p90: number;
  p95: number;
  p99: number;
  total: number;
}

/**
 * trtexec's percentile on an ascending array. trtexec evaluates `(1 - p / 100) * n` in float32; in float64
 * `(1 - 0.9) * 100` is 9.999999999999998 and would pick a different sample than trtexec does, so emulate float32.
 */
export function percentile(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) return Infinity;
  const f = Math.fround;
  const exclude = Math.trunc(f(f(1 - f(f(p) / 100)) * f(n)));
  return sorted[Math.max(n - 1 - exclude, 0)];
}

/** trtexec's median: the middle sample, or the mean of the two middle samples of an even count. */
export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const m = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

/** Summarizes samples (any order); an empty sample gives NaN everywhere but count and total. */
export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  let total = 0;
  for (const x of s) total += x;
  if (n === 0) return { count: 0, min: NaN, max: NaN, mean: NaN, median: NaN, p90: NaN, p95: NaN, p99: NaN, total: 0 };
  return {
    count: n,
    min: s[0],
    max: s[n - 1],
    mean: total / n,
    median: median(s),
    p90: percentile(s, 90),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    total,
  };
}
