// Every ONNX fixture from tests/fixtures/make_fixtures.py: builder (ONNX -> IR -> passes -> plan.ts) -> CPU
// executor, compared with onnxruntime's outputs stored beside the model (relative L2 <= 1e-5).
import { assert } from "../_assert.ts";
import { loadOnnx } from "../../lib/builder/onnx.ts";
import { optimize } from "../../lib/builder/optimize.ts";
import { serializePlan } from "../../lib/builder/plan.ts";
import { allocDtype, CpuRunner, type HostArray, relL2 } from "./_shim.ts";

const DIR = new URL("../fixtures/out/", import.meta.url).pathname;
const DTYPES: Record<string, number> = {
  float32: 0,
  float16: 1,
  int8: 3,
  uint8: 4,
  int32: 5,
  int64: 6,
  bool: 7,
  float64: 9,
};
/* Fixtures that are expected to fail to build or run (tested elsewhere). */
const SKIP = new Set(["unsupported"]);

function decode(t: { dtype: string; shape: number[]; b64: string }): HostArray {
  const bytes = Uint8Array.from(atob(t.b64), (c) => c.charCodeAt(0));
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = allocDtype(DTYPES[t.dtype], n);
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.byteLength));
  return out;
}

const names: string[] = [];
try {
  for (const e of Deno.readDirSync(DIR)) if (e.name.endsWith(".onnx")) names.push(e.name.slice(0, -5));
} catch { /* no fixtures generated: nothing to test */ }
names.sort();

// Every fixture twice: as built for the CPU (NCHW), and with the NHWC layout CUDA plans get (choose_layout), which
// the CPU executor runs through its generic NHWC path; both must match onnxruntime.
for (const name of names) for (const layout of ["nchw", "nhwc"] as const) {
  if (SKIP.has(name)) continue;
  Deno.test(`cpu fixture ${name}${layout === "nhwc" ? " (NHWC layout)" : ""}`, async () => {
    const ref = JSON.parse(await Deno.readTextFile(`${DIR}${name}.json`));
    const onnx = await Deno.readFile(`${DIR}${name}.onnx`);
    let g = await loadOnnx(onnx, { baseDir: DIR });
    // Dynamic inputs: a profile around the fixture's own shape (max twice as large, to exercise ranges).
    const dynamic = g.inputs.filter((n) => g.tensors.get(n)!.shape.some((d) => typeof d === "string"));
    if (dynamic.length) {
      const p: Record<string, { min: number[]; opt: number[]; max: number[] }> = {};
      for (const n of dynamic) {
        const s: number[] = ref.inputs[n].shape;
        const sym = g.tensors.get(n)!.shape.map((d) => typeof d === "string");
        p[n] = { min: s.map((d, i) => (sym[i] ? 1 : d)), opt: s, max: s.map((d, i) => (sym[i] ? 2 * d : d)) };
      }
      g = await loadOnnx(onnx, { baseDir: DIR, profiles: [p] });
    }
    optimize(g, { layout });
    const runner = new CpuRunner(serializePlan(g, { device: "cpu" }));
    try {
      const inputs: Record<string, { shape: number[]; data: HostArray }> = {};
      for (const [k, t] of Object.entries(ref.inputs) as [string, { dtype: string; shape: number[]; b64: string }][]) {
        // the generator stores scalars as shape [1]; the engine's declared rank decides
        const rank = g.tensors.get(k)!.shape.length;
        inputs[k] = { shape: rank === 0 && t.shape.length === 1 && t.shape[0] === 1 ? [] : t.shape, data: decode(t) };
      }
      const outs = runner.run(inputs);
      for (const [k, t] of Object.entries(ref.outputs) as [string, { dtype: string; shape: number[]; b64: string }][]) {
        const got = outs[k];
        assert(got, `output ${k} missing`);
        assert(JSON.stringify(got.shape) === JSON.stringify(t.shape), `${k}: shape ${got.shape} vs ${t.shape}`);
        const want = decode(t);
        const g2 = Array.from(got.data as ArrayLike<number | bigint>, Number);
        const w2 = Array.from(want as ArrayLike<number | bigint>, Number);
        const err = relL2(g2, w2);
        assert(err <= 1e-5, `${k}: relative L2 ${err}`);
      }
    } finally {
      runner.close();
    }
  });
}
