/**
 * `deno task bench`: measures on this machine's GPU and prints a table; `--json FILE` also writes the numbers.
 * Later issues add models and peers; this part covers transfers and the FFI call cost.
 */
import { parseArgs } from "node:util";
import { getDeviceInfo, isGpuAvailable } from "../lib/cuda/device.ts";
import { measureFfi, measureTransfers } from "./transfers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { json: { type: "string" }, bytes: { type: "string", default: String(256 << 20) }, help: { type: "boolean" } },
});
if (values.help) {
  console.log("usage: deno task bench [--json out.json] [--bytes N]");
  Deno.exit(0);
}

const ffi = await measureFfi();
console.log(`FFI call into the shim: ${ffi.syncNs.toFixed(1)} ns synchronous, ${ffi.nonblockingUs.toFixed(1)} µs nonblocking (await)`);
const report: Record<string, unknown> = { date: new Date().toISOString(), ffi };
if (!isGpuAvailable()) {
  console.log("no GPU: transfer benchmarks skipped");
} else {
  const gpu = getDeviceInfo(0);
  report.gpu = gpu.name;
  const rows = await measureTransfers(Number(values.bytes));
  report.transfers = rows;
  console.log(`\nGPU: ${gpu.name}; ${Number(values.bytes) / 2 ** 20} MiB per copy, median of 20`);
  console.log("| direction | pinned, denotrt (GiB/s) | pinned, C cudaMemcpyAsync | ratio | pageable, denotrt | pageable, C |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.direction} | ${r.pinnedTs.toFixed(1)} | ${r.pinnedC.toFixed(1)} | ${(100 * r.pinnedTs / r.pinnedC).toFixed(1)}% | ${r.pageableTs.toFixed(1)} | ${r.pageableC.toFixed(1)} |`);
  }
}
if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(report, null, 2));
