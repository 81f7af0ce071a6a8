// The CUDA executor against the CPU executor on the same model, with fresh random inputs: every fixture model, run
// twice per engine (the second enqueue replays the captured CUDA graph), fp32 plans within rel L2 1e-4 (no TF32) and
// fp16 plans within 2e-2 of the CPU executor's fp32 results. (tests/gpu/precision.test.ts checks every precision
// against onnxruntime.)
import { createEngine } from "../../lib/engine/session.ts";
import type { AnyTypedArray } from "../../lib/core/dtype.ts";
import { assert } from "../_assert.ts";
import { buildAndCheck } from "./_fixture_engine.ts";
import { gpuTest } from "../_gpu.ts";
import { FP16_OPS } from "../../lib/builder/passes/precision.ts";
import { belowFloat16Range } from "./_precision.ts";
import { FIXTURES, fixturesPresent, loadReference, profilesOf, referenceModels, relativeL2 } from "../engine/_models.ts";

// "unsupported": a builder-only fixture.
const SKIP = new Set(["unsupported"]);
const models = fixturesPresent() ? referenceModels().filter((n) => !SKIP.has(n)) : [];

// Float inputs get fresh values distributed like the reference's: normal with its mean and standard deviation,
// clamped to its range (so inputs that must be positive stay so). A uniform spread over the whole range would
// have ~2.6x the deviation of a normal sample and push networks whose BatchNorm was calibrated on normal inputs out
// of their regime. Integer/bool inputs (indices, shapes) keep theirs. Float scalars (Range's start/limit/delta)
// are scaled by a random 0.75..1.25, so they keep their sign and their order.
function freshInputs(ref: ReturnType<typeof loadReference>) {
  const out: Record<string, { data: AnyTypedArray; shape: number[] }> = {};
  for (const [k, v] of Object.entries(ref.inputs)) {
    const d = v.data;
    if (d instanceof Float32Array && d.length === 1) {
      out[k] = { data: Float32Array.of(d[0] * (0.75 + 0.5 * Math.random())), shape: v.shape };
    } else if (d instanceof Float32Array) {
      let lo = Infinity, hi = -Infinity, mean = 0, sq = 0;
      for (const x of d) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
        mean += x / d.length;
        sq += (x * x) / d.length;
      }
      if (!(hi > lo)) [lo, hi, mean, sq] = [-1, 1, 0, 1 / 3];
      const std = Math.sqrt(Math.max(sq - mean * mean, 0));
      const r = new Float32Array(d.length);
      for (let i = 0; i < r.length; i++) {
        const normal = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
        r[i] = Math.min(hi, Math.max(lo, mean + std * normal));
      }
      out[k] = { data: r, shape: v.shape };
    } else {
      out[k] = { data: d, shape: v.shape };
    }
  }
  return out;
}

// The CPU executor is the oracle here: a model it cannot run is noted, not failed (its own tests cover it).
async function cpuOracle(name: string, ref: ReturnType<typeof loadReference>, inputs: ReturnType<typeof freshInputs>) {
  try {
    await using cpu = await createEngine({ onnx: `${FIXTURES}${name}.onnx`, device: "cpu", provider: "builtin", profiles: profilesOf(ref) });
    return await cpu.infer(inputs);
  } catch (e) {
    console.log(`[note] ${name}: the CPU executor cannot run it (${e instanceof Error ? e.message : e})`);
    return undefined;
  }
}

for (const name of models) for (const layout of ["nchw", "nhwc"] as const) {
  gpuTest(`exec_cuda ${name}: fp32 (${layout}) matches the CPU executor on fresh inputs, twice (graph replay)`, async () => {
    const ref = loadReference(name);
    const inputs = freshInputs(ref);
    const want = await cpuOracle(name, ref, inputs);
    if (!want) return;
    await using _ = await buildAndCheck(name, ref, { layout }, inputs, want, 1e-4, "the CPU executor");
  });
}

for (const name of models) {
  gpuTest(`exec_cuda ${name}: the fp16 plan matches the CPU executor within 2e-2 on fresh inputs, twice (graph replay)`, async () => {
    const ref = loadReference(name);
    const inputs = freshInputs(ref);
    const want = await cpuOracle(name, ref, inputs);
    if (!want) return;
    await using cuda = await createEngine({
      onnx: `${FIXTURES}${name}.onnx`,
      device: "cuda",
      provider: "builtin",
      precision: "fp16",
      profiles: profilesOf(ref),
    });
    // Every layer of a kind the CUDA executor runs in float16 did convert, unless its data is not float.
    const layers = (cuda.inspect() as { layers: { name: string; op: string; precision: string; host: boolean }[] }).layers;
    for (const l of layers.filter((l) => !l.host && ["Conv", "ConvTranspose", "MatMul", "Gemm"].includes(l.op))) {
      assert(l.precision === "float16", `${l.name} (${l.op}) runs in ${l.precision}`);
    }
    assert(layers.every((l) => l.precision !== "float16" || FP16_OPS.has(l.op) || l.op === "Cast"), "float16 layers");
    for (let run = 0; run < 2; run++) {
      const got = await cuda.infer(inputs);
      for (const [k, w] of Object.entries(want)) {
        assert(got[k], `missing output ${k}`);
        assert(JSON.stringify(got[k].shape) === JSON.stringify(w.shape), `${k}: shape ${got[k].shape} vs ${w.shape}`);
        assert(got[k].dtype === w.dtype, `${k}: the fp16 plan returns ${got[k].dtype}, fp32 ${w.dtype}`);
        if (belowFloat16Range(w.data)) {
          if (run === 0) console.log(`[note] ${name}/${k}: values below float16's normal range; fp16 not compared`);
          continue;
        }
        const err = relativeL2(got[k].data as ArrayLike<number>, w.data as ArrayLike<number>);
        assert(err <= 2e-2, `${k} (run ${run}): relative L2 ${err} vs the CPU executor (fp16)`);
      }
    }
  });
}
