/** The SVG chart and the peers' JSON-line rows. */
import { escapeXml, logTicks, throughputChart } from "../../bench/chart.ts";
import { parseRows, type ResultRow, seriesLabel } from "../../bench/results.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

function ok(runtime: string, batch: number, throughput: number, transfers = false, model = "resnet50"): ResultRow {
  return { model, batch, runtime, precision: "fp32", transfers, status: "ok", throughput, latencyMs: { min: 1, max: 1, mean: 1, median: 1, p90: 1, p95: 1, p99: 1 } };
}

/** Every opened tag is closed, in order (a well-formedness check without an XML parser). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[3] === "/") continue;
    if (m[1] === "/") {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]);
  }
  return stack.length === 0;
}

Deno.test("chart: a panel per model, a line per configuration, dashed with copies, escaped labels", () => {
  const rows = [
    ok("denotrt", 1, 500), ok("denotrt", 8, 2000), ok("denotrt", 32, 3000), ok("denotrt", 1, 300, true), ok("denotrt", 8, 1500, true),
    ok("pytorch-eager", 1, 200), ok("pytorch-eager", 8, 900),
    ok("onnxruntime-cpu", 1, 10),
    ok("denotrt", 1, 900, false, "mobilenet<v3>"), ok("denotrt", 8, 5000, false, "mobilenet<v3>"),
    { model: "resnet50", batch: 8, runtime: "pytorch-cudagraph", precision: "fp16", transfers: false, status: "n/a", reason: "x" } as ResultRow,
  ];
  const svg = throughputChart(rows, "T & P");
  assert(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  assert(balanced(svg), "well-formed");
  assertEquals([...svg.matchAll(/<g class="panel"/g)].length, 2);
  assert(svg.includes('data-model="mobilenet&lt;v3&gt;"') && svg.includes("T &amp; P"));
  const series = [...svg.matchAll(/<path class="series" data-label="([^"]+)"[^>]*>/g)];
  // resnet50: denotrt, denotrt + copies, eager (ORT has one point: no line); mobilenet: denotrt.
  assertEquals(series.map((m) => m[1]).sort(), ["PyTorch eager fp32", "denotrt fp32", "denotrt fp32", "denotrt fp32 + H2D/D2H"]);
  assert(series.find((m) => m[1].endsWith("H2D/D2H"))![0].includes("stroke-dasharray"));
  assertEquals([...svg.matchAll(/<circle /g)].length, 10);
  assert(!svg.includes("PyTorch + CUDA graph"), "n/a rows are left out");
  assert(balanced(throughputChart([])) && throughputChart([]).includes("no measurements"));
});

Deno.test("log ticks and escaping", () => {
  assertEquals(logTicks(80, 6000), [100, 200, 500, 1000, 2000, 5000]);
  assertEquals(escapeXml(`a<b>&"c"`), "a&lt;b&gt;&amp;&quot;c&quot;");
  assertEquals(seriesLabel({ runtime: "pytorch-cudagraph", precision: "fp16", variant: "channels_last" }), "PyTorch + CUDA graph fp16 channels_last");
});

Deno.test("peer rows: JSON lines parsed and checked, other output ignored", () => {
  const good = JSON.stringify({ model: "m", batch: 2, runtime: "pytorch-eager", precision: "fp32", variant: null, transfers: false, status: "ok", latencyMs: { min: 1, max: 2, mean: 1.5, median: 1.5, p90: 2, p95: 2, p99: 2 }, throughput: 100, iterations: 30, extra: { torch: "2.11" } });
  const na = JSON.stringify({ model: "m", batch: 0, runtime: "torch.compile", precision: "fp16", transfers: false, status: "n/a", reason: "timeout" });
  const rows = parseRows(`loading...\n${good}\nwarning: x\n${na}\n`, "peer.py");
  assertEquals(rows.length, 2);
  assertEquals([rows[0].variant, rows[0].extra, rows[1].reason], [undefined, { torch: "2.11" }, "timeout"]);
  assertThrows(() => parseRows("{not json", "p.py"), Error, /p.py, line 1: not JSON/);
  assertThrows(() => parseRows(JSON.stringify({ model: "m", batch: 1, runtime: "r", precision: "p", status: "ok" }), "p.py"), Error, /needs latencyMs and throughput/);
  assertThrows(() => parseRows(JSON.stringify({ model: "m", batch: 1.5, runtime: "r", precision: "p", status: "ok" }), "p.py"), Error, /batch must be an integer/);
  assertThrows(() => parseRows(JSON.stringify({ model: "m", batch: 1, runtime: "r", precision: "p", status: "n/a" }), "p.py"), Error, /needs a reason/);
});
