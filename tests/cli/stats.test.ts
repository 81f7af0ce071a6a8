/** trtexec's statistics: checked against a known sample and against the Python peers' implementation. */
import { median, percentile, summarize } from "../../cli/stats.ts";
import { assert, assertEquals } from "../_assert.ts";

const oneToHundred = Array.from({ length: 100 }, (_, i) => 100 - i); // unsorted on purpose

Deno.test("summary of 1..100 matches trtexec's definitions", () => {
  const s = summarize(oneToHundred);
  assertEquals(s.count, 100);
  assertEquals([s.min, s.max, s.mean, s.median, s.total], [1, 100, 50.5, 50.5, 5050]);
  // trtexec: exclude = int((1 - p/100) * n) in float32, value = sorted[n - 1 - exclude].
  // In float64 (1 - 0.9) * 100 is 9.999999999999998, which would wrongly pick 91 for p90. In float32
  // (1 - 0.99f) * 100 is 0.99999905, so trtexec excludes nothing for p99 of 100 samples and reports the maximum.
  assertEquals([s.p90, s.p95, s.p99], [90, 95, 100]);
});

Deno.test("percentile and median on small and odd samples", () => {
  const five = [1, 2, 3, 4, 5];
  assertEquals(median(five), 3);
  assertEquals(median([1, 2, 3, 4]), 2.5);
  assertEquals(percentile(five, 90), 5); // exclude = int(0.1 * 5) = 0
  assertEquals(percentile(five, 50), 3); // exclude = int(0.5 * 5) = 2
  assertEquals(percentile([7], 99), 7);
  assertEquals(percentile([], 99), Infinity);
  const ten = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
  assertEquals(percentile(ten, 90), 90); // exclude = 1
  assertEquals(percentile(ten, 95), 100); // exclude = int(0.5) = 0
  assertEquals(percentile(ten, 0), 10); // exclude = 10 → index clamps to 0
});

Deno.test("an empty sample summarizes to NaN", () => {
  const s = summarize([]);
  assertEquals(s.count, 0);
  assert(Number.isNaN(s.median) && Number.isNaN(s.p99));
});

Deno.test("the TypeScript and Python (peer) percentiles agree on random samples", async () => {
  const samples = Array.from({ length: 7 }, (_, k) => Array.from({ length: 3 + k * 37 }, () => Math.random() * 10));
  const script = `import json, sys
sys.path.insert(0, "bench/peers")
from _common import stats
print(json.dumps([stats(s) for s in json.load(sys.stdin)]))`;
  let out: Deno.CommandOutput;
  try {
    const child = new Deno.Command("python3", { args: ["-c", script], stdin: "piped", stdout: "piped", stderr: "piped", cwd: new URL("../..", import.meta.url).pathname }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(JSON.stringify(samples)));
    await w.close();
    out = await child.output();
  } catch (e) {
    console.log(`[skip] no python3: ${e instanceof Error ? e.message : e}`);
    return;
  }
  assert(out.success, new TextDecoder().decode(out.stderr));
  const py = JSON.parse(new TextDecoder().decode(out.stdout));
  samples.forEach((s, i) => {
    const ts = summarize(s);
    for (const k of ["min", "max", "median", "p90", "p95", "p99"] as const) assertEquals(py[i][k], ts[k], `${k} of sample ${i}`);
    assert(Math.abs(py[i].mean - ts.mean) < 1e-12);
  });
});
