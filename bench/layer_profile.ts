/**
 * Where the time goes, per layer (issue #11): builds a model with the built-in engine, times the whole network
 * (CUDA graph replay, inputs already on the GPU) and every layer alone (ExecutionContext.profile), and prints the
 * layers grouped by op and kernel, the slowest layers, and the fraction of the fp16 compute ceiling.
 *
 * usage: deno run -A bench/layer_profile.ts --onnx FILE [--batch 32] [--precision fp16] [--layout auto] [--spatial 224]
 *                                           [--runs 20] [--top 15] [--json FILE] [--gflop 8.2]
 */
import { parseArgs } from "node:util";
import { copyFromArray, createEngine, CudaEvent, DeviceBuffer, onnxInputs, Stream, TensorIOMode } from "../mod.ts";
import type { LayoutChoice, Precision } from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    onnx: { type: "string" },
    batch: { type: "string", default: "32" },
    precision: { type: "string", default: "fp16" },
    layout: { type: "string", default: "auto" },
    runs: { type: "string", default: "20" },
    top: { type: "string", default: "15" },
    json: { type: "string" },
    gflop: { type: "string" },
    spatial: { type: "string", default: "224" },
  },
});
if (!values.onnx) throw new Error("--onnx FILE is required");
const batch = Number(values.batch);
const onnxBytes = await Deno.readFile(values.onnx);
const inputs = onnxInputs(onnxBytes);
// Symbolic dims: the batch first, --spatial (224) for the others (PP-OCR's detector: 960).
const spatial = Number(values.spatial);
const shapes: Record<string, number[]> = Object.fromEntries(
  inputs.map((t) => [t.name, t.shape.map((d, i) => (d > 0 ? d : i === 0 ? batch : spatial))]),
);
const profiles = [Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, { min: s, opt: s, max: s }]))];

const t0 = performance.now();
await using engine = await createEngine({
  onnx: onnxBytes,
  device: "cuda",
  provider: "builtin",
  precision: values.precision as Precision,
  layout: values.layout as LayoutChoice,
  profiles,
});
const buildS = (performance.now() - t0) / 1000;
const ctx = engine.context;
using stream = new Stream();
const buffers: DeviceBuffer[] = [];
for (const t of engine.engine.ioTensors) {
  const shape = t.mode === TensorIOMode.INPUT ? shapes[t.name] : undefined;
  if (shape) ctx.setInputShape(t.name, shape);
}
for (const t of engine.engine.ioTensors) {
  const shape = ctx.getTensorShape(t.name);
  const bytes = shape.reduce((a, b) => a * b, 1) * (t.dtype === "float16" ? 2 : t.dtype === "int64" ? 8 : 4);
  const buf = new DeviceBuffer(Math.max(bytes, 1));
  if (t.mode === TensorIOMode.INPUT) {
    // Never zeros: uniform values in [-1, 1) of the input's type.
    const n = bytes / (t.dtype === "float16" ? 2 : 4);
    const data = t.dtype === "float16" ? new Float16Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.random() * 2 - 1;
    copyFromArray(buf, data);
  }
  buffers.push(buf);
  ctx.setTensorAddress(t.name, buf);
}

// Whole network: graph replays between two events, median of several batches of replays.
ctx.enqueueV3(stream);
await stream.synchronize();
const starts = new CudaEvent({ timing: true }), ends = new CudaEvent({ timing: true });
const whole: number[] = [];
for (let k = 0; k < 15; k++) {
  starts.record(stream);
  for (let i = 0; i < 10; i++) ctx.enqueueV3(stream);
  ends.record(stream);
  await ends.synchronize();
  whole.push(ends.elapsedSince(starts) / 10);
}
starts[Symbol.dispose]();
ends[Symbol.dispose]();
whole.sort((a, b) => a - b);
const networkMs = whole[whole.length >> 1];

const layers = ctx.profile(stream, Number(values.runs)).filter((l) => l.ms > 0);
for (const b of buffers) b[Symbol.dispose]();
const sum = layers.reduce((a, l) => a + l.ms, 0);
const groups = new Map<string, { ms: number; n: number }>();
for (const l of layers) {
  const key = `${l.op} · ${l.kernel}`;
  const g = groups.get(key) ?? { ms: 0, n: 0 };
  g.ms += l.ms;
  g.n++;
  groups.set(key, g);
}
const pct = (ms: number) => `${((100 * ms) / sum).toFixed(1)}%`;
const lines: string[] = [];
lines.push(`model ${values.onnx}, batch ${batch}, ${values.precision}, layout ${values.layout}; build ${buildS.toFixed(1)} s`);
lines.push(`network (graph replay): ${networkMs.toFixed(3)} ms = ${(batch / networkMs * 1000).toFixed(0)} img/s` +
  (values.gflop ? `, ${((Number(values.gflop) * batch / (networkMs / 1000)) / 989e3 * 100).toFixed(1)}% of the 989 TFLOP/s fp16 ceiling` : ""));
lines.push(`sum of ${layers.length} layers timed alone: ${sum.toFixed(3)} ms`);
lines.push("");
lines.push("| op · kernel | layers | ms | share |");
lines.push("|---|---:|---:|---:|");
for (const [k, g] of [...groups].sort((a, b) => b[1].ms - a[1].ms)) {
  lines.push(`| ${k} | ${g.n} | ${g.ms.toFixed(3)} | ${pct(g.ms)} |`);
}
lines.push("");
lines.push(`slowest ${values.top} layers:`);
lines.push("| layer | op | kernel | ms |");
lines.push("|---|---|---|---:|");
for (const l of [...layers].sort((a, b) => b.ms - a.ms).slice(0, Number(values.top))) {
  lines.push(`| ${l.name} | ${l.op} | ${l.kernel} | ${l.ms.toFixed(4)} |`);
}
console.log(lines.join("\n"));
if (values.json) {
  await Deno.writeTextFile(values.json, JSON.stringify({ batch, precision: values.precision, layout: values.layout, buildS, networkMs, layers }, null, 1));
}
