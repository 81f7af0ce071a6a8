/**
 * The first thing to run: builds an ONNX model into a plan, runs it on the GPU (or on the CPU reference executor
 * where there is none), and prints what ran and how long each stage took.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-env examples/quickstart.ts [--onnx model.onnx] [--device cpu|cuda]
 */
import { parseArgs } from "node:util";
import * as trt from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    onnx: { type: "string", default: new URL("../tests/fixtures/out/residual_block.onnx", import.meta.url).pathname },
    device: { type: "string" },
    runs: { type: "string", default: "20" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("usage: quickstart.ts [--onnx model.onnx] [--device cpu|cuda] [--runs N]\n" +
    "Builds the model with denotrt's built-in engine and runs it on random inputs.");
  Deno.exit(0);
}

try {
  await Deno.stat(values.onnx!);
} catch {
  console.error(`error: no model at ${values.onnx} (run \`make fixtures\` for the default one, or pass --onnx)`);
  Deno.exit(1);
}

const device = values.device as trt.DeviceKind | undefined;
if (trt.isGpuAvailable()) {
  const g = trt.getDeviceInfo(0);
  console.log(`GPU: ${g.name} (sm_${g.computeCapability.join("")}, ${(g.totalMemory / 2 ** 30).toFixed(0)} GiB, driver CUDA ${trt.formatCudaVersion(g.driverVersion)})`);
} else {
  console.log("GPU: none visible; running on the CPU reference executor");
}

let t0 = performance.now();
await using engine = await trt.createEngine({ onnx: values.onnx!, device });
const buildMs = performance.now() - t0;
console.log(`engine: ${engine.provider} on ${engine.device}, built in ${buildMs.toFixed(0)} ms`);
for (const t of engine.engine.ioTensors) console.log(`  ${trt.TensorIOMode[t.mode].toLowerCase()} ${t.name}: ${t.dtype} [${t.shape.join(", ")}]`);

const inputs: Record<string, trt.InferInput> = {};
for (const t of engine.inputs) {
  const shape = t.shape.map((d) => (d < 0 ? 1 : d));
  const n = shape.reduce((a, b) => a * b, 1);
  inputs[t.name] = { data: Float32Array.from({ length: n }, () => Math.random() * 2 - 1), shape };
}
t0 = performance.now();
let out = await engine.infer(inputs);
const firstMs = performance.now() - t0;
const runs = Number(values.runs);
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  t0 = performance.now();
  out = await engine.infer(inputs);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`infer: first ${firstMs.toFixed(2)} ms, then median ${times[Math.floor(runs / 2)].toFixed(3)} ms over ${runs} runs (end to end, with copies)`);
for (const [name, o] of Object.entries(out)) {
  const d = Array.from(o.data as Float32Array);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  console.log(`  ${name}: [${o.shape.join(", ")}] mean ${mean.toFixed(5)}, first ${d.slice(0, 3).map((v) => v.toFixed(4)).join(", ")}`);
}
