/**
 * Build-time kernel timing of the built-in engine on the GPU: the plan keeps each layer's measured choice (its
 * tactics section) so engines run it without timing again; a TimingCache makes rebuilding skip the timing and
 * produce the same plan; caches from other GPUs and choices cuDNN refuses are handled.
 */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { assertNoLiveHandles, gpuTest } from "../_gpu.ts";
import { FIXTURES, fixturesPresent, loadReference, profilesOf, relativeL2 } from "../engine/_models.ts";
import { convEntry, decodeCache, encodeCache } from "../engine/_timing_cache_codec.ts";
import { buildBuiltinPlan } from "../../lib/engine/builtin_builder.ts";
import { createEngine } from "../../lib/engine/session.ts";
import { Engine } from "../../lib/engine/engine.ts";
import { TimingCache } from "../../lib/engine/timing_cache.ts";
import { getDeviceInfo } from "../../lib/cuda/device.ts";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { drainLog, getLogger, type Logger, setLogger, Severity } from "../../lib/core/log.ts";

interface Layer { name: string; op: string; kernel: string }

function convKernels(engine: Engine | { inspect(): unknown }): Record<string, string> {
  const layers = (engine.inspect() as { layers: Layer[] }).layers;
  return Object.fromEntries(layers.filter((l) => l.op === "Conv").map((l) => [l.name, l.kernel]));
}

async function build(name: string, precision: "fp16" | "tf32" | "fp32", cache?: TimingCache, ignoreMismatch = false) {
  const ref = loadReference(name);
  const gpu = getDeviceInfo(0);
  return await buildBuiltinPlan(await Deno.readFile(`${FIXTURES}${name}.onnx`), {
    precision,
    profiles: profilesOf(ref),
    device: "cuda",
    gpu: { name: gpu.name, computeCapability: gpu.computeCapability },
    timing: { cache, ignoreMismatch },
  });
}

/** Collects the shim's log records while fn runs. */
async function withLog<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const previous = getLogger();
  const logger: Logger = { minSeverity: Severity.VERBOSE, log: (_s, m) => lines.push(m) };
  setLogger(logger);
  try {
    const result = await fn();
    drainLog();
    return { result, lines };
  } finally {
    setLogger(previous);
  }
}

// layout_mix's depthwise conv runs on the own NHWC kernel; every other conv on a cuDNN algorithm or engine.
const DEPTHWISE = "dtops_depthwise_nhwc";
const SPLITK = /^dtops_splitk_conv_/;
/** Every conv on a kernel timing may choose (cuDNN, graph engines only when allowed; the own split-K kernel when
 * allowed), and the one depthwise conv on the own kernel. */
const timedChoices = (kernels: string[], graphAllowed = true, splitkAllowed = true) =>
  kernels.filter((k) => k === DEPTHWISE).length === 1 &&
  kernels.every((k) =>
    k === DEPTHWISE || (splitkAllowed && SPLITK.test(k)) ||
    (k.startsWith("cudnn_") && (graphAllowed || !k.startsWith("cudnn_graph")))
  );

if (fixturesPresent()) {
  for (const precision of ["fp16", "tf32"] as const) {
    gpuTest(`kernel timing ${precision}: the plan keeps the measured convs and a fresh engine runs them unchanged`, async () => {
      using cache = new TimingCache();
      const first = await build("layout_mix", precision, cache);
      assert(first.kernelTiming && first.kernelTiming.choices > 0, JSON.stringify(first.kernelTiming));
      assert(cache.size >= first.kernelTiming.choices, `cache ${cache.size}`);
      assertEquals(cache.device?.name, getDeviceInfo(0).name);
      // Before any context exists, inspect() shows the plan's kernels: every conv on a cuDNN algorithm (but the
      // depthwise one).
      {
        using engine = new Engine(first.plan, "cuda");
        const planned = convKernels(engine);
        assert(Object.keys(planned).length >= 5, JSON.stringify(planned));
        assert(timedChoices(Object.values(planned)), JSON.stringify(planned));
      }
      // Rebuilding from the cache measures nothing new and chooses the same kernels: the choice is deterministic.
      const sizeBefore = cache.size;
      const again = await build("layout_mix", precision, cache);
      assertEquals(again.kernelTiming?.choices, first.kernelTiming.choices);
      assertEquals(cache.size, sizeBefore);
      {
        using a = new Engine(first.plan, "cuda");
        using b = new Engine(again.plan, "cuda");
        assertEquals(convKernels(b), convKernels(a));
      }
      // The engine runs what the plan says, and the results match onnxruntime.
      const ref = loadReference("layout_mix");
      await using engine = await createEngine({ plan: first.plan, device: "cuda" });
      const planned = convKernels(engine.engine);
      const got = await engine.infer(ref.inputs);
      for (const [k, w] of Object.entries(ref.outputs)) {
        const err = relativeL2(got[k].data as ArrayLike<number>, w.data as ArrayLike<number>);
        assert(err <= (precision === "fp16" ? 2e-2 : 5e-3), `${k}: relative L2 ${err}`);
      }
      assertEquals(convKernels(engine.engine), planned);
    });
  }

  gpuTest("kernel timing: fp16 convs choose between cuDNN graph engines, legacy algorithms and the split-K kernel; DENOTRT_NO_CUDNN_GRAPH with DENOTRT_NO_SPLITK keeps legacy", async () => {
    const ref = loadReference("layout_mix");
    const run = async () => {
      const built = await build("layout_mix", "fp16");
      using engine = new Engine(built.plan, "cuda");
      return Object.values(convKernels(engine));
    };
    const chosen = await run();
    assert(timedChoices(chosen), chosen.join(", "));
    console.log(`  layout_mix fp16 convs: ${chosen.join(", ")}`);
    Deno.env.set("DENOTRT_NO_CUDNN_GRAPH", "1");
    Deno.env.set("DENOTRT_NO_SPLITK", "1");
    try {
      const legacy = await run();
      assert(timedChoices(legacy, false, false), legacy.join(", "));
    } finally {
      Deno.env.delete("DENOTRT_NO_CUDNN_GRAPH");
      Deno.env.delete("DENOTRT_NO_SPLITK");
    }
    await using engine = await createEngine({ plan: (await build("layout_mix", "fp16")).plan, device: "cuda" });
    const got = await engine.infer(ref.inputs);
    const err = relativeL2(got.y.data as ArrayLike<number>, ref.outputs.y.data as ArrayLike<number>);
    assert(err <= 2e-2, `relative L2 ${err}`);
  });

  gpuTest("kernel timing: a cache from another GPU is refused unless ignoreMismatch", async () => {
    using other = new TimingCache(encodeCache({ version: 1, gpu: "NVIDIA A100-SXM4-80GB", cc: [8, 0], entries: [convEntry(1)] }));
    await assertRejects(() => build("layout_mix", "fp16", other), InvalidArgumentError, /measured on 'NVIDIA A100-SXM4-80GB'.*ignoreMismatch/);
    const built = await build("layout_mix", "fp16", other, true);
    assert(built.kernelTiming!.choices > 0);
    assert(other.size > 1, "the build adds its measurements to the cache it was given");
  });

  gpuTest("kernel timing: a stored choice cuDNN refuses is searched again, with a log line saying why", async () => {
    using cache = new TimingCache();
    await build("layout_mix", "fp16", cache);
    const contents = decodeCache(cache.serialize());
    // Kind 1 (legacy): no such cudnnConvolutionFwdAlgo_t. Kind 2 (graph): no such engine.
    for (const e of contents.entries) e.value[0] = e.key[0] === 1n ? 99n : 9999n;
    using broken = new TimingCache(encodeCache(contents));
    const { result, lines } = await withLog(() => build("layout_mix", "fp16", broken));
    assert(lines.some((l) => /searching again/.test(l)), lines.join("\n"));
    const repaired = decodeCache(broken.serialize()).entries;
    assert(repaired.every((e) => e.key[0] === 1n ? e.value[0] >= 0n && e.value[0] < 8n : e.value[0] !== 9999n), "repaired choices");
    const ref = loadReference("layout_mix");
    await using engine = await createEngine({ plan: result.plan, device: "cuda" });
    const got = await engine.infer(ref.inputs);
    const err = relativeL2(got.logits.data as ArrayLike<number>, ref.outputs.logits.data as ArrayLike<number>);
    assert(err <= 2e-2, `relative L2 ${err}`);
  });

  gpuTest("kernel timing: createEngine's timingCache file is written by the build and reused by the next", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const file = `${dir}/layout_mix.timing`;
      const ref = loadReference("layout_mix");
      const opts = { onnx: `${FIXTURES}layout_mix.onnx`, device: "cuda" as const, provider: "builtin" as const, precision: "fp16" as const, profiles: profilesOf(ref), timingCache: file };
      {
        await using _e = await createEngine(opts);
      }
      const written = await Deno.readFile(file);
      assert(decodeCache(written).entries.length > 0, "entries written");
      {
        await using _e = await createEngine(opts);
      }
      assertEquals([...await Deno.readFile(file)], [...written]);
      await Deno.writeFile(file, new TextEncoder().encode("not a cache"));
      await assertRejects(() => createEngine(opts), InvalidArgumentError, /timing cache file .* is not usable.*magic/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    assertNoLiveHandles("timing cache file");
  });

  gpuTest("kernel timing: ResNet-50 fp16 b32 builds with timing in under 60 s, and a cached rebuild is faster", async () => {
    let onnx: Uint8Array;
    try {
      onnx = await Deno.readFile(`${FIXTURES}resnet50.onnx`);
    } catch {
      console.log("  (resnet50.onnx absent: make it with make_fixtures.py --big)");
      return;
    }
    const gpu = getDeviceInfo(0);
    using cache = new TimingCache();
    const opts = {
      precision: "fp16" as const,
      profiles: [{ x: { min: [1, 3, 224, 224], opt: [32, 3, 224, 224], max: [128, 3, 224, 224] } }],
      device: "cuda" as const,
      gpu: { name: gpu.name, computeCapability: gpu.computeCapability },
    };
    let t0 = performance.now();
    const first = await buildBuiltinPlan(onnx, { ...opts, timing: { cache } });
    const cold = performance.now() - t0;
    t0 = performance.now();
    const warm = await buildBuiltinPlan(onnx, { ...opts, timing: { cache } });
    const cached = performance.now() - t0;
    using engine = new Engine(first.plan, "cuda");
    const kernels = Object.values(convKernels(engine));
    const graphConvs = kernels.filter((k) => k.startsWith("cudnn_graph")).length;
    console.log(`  ResNet-50 fp16 build: ${(cold / 1000).toFixed(2)} s with timing (${first.kernelTiming!.ms.toFixed(0)} ms of it timing ` +
      `${first.kernelTiming!.choices} choices), ${(cached / 1000).toFixed(2)} s from the cache; ${graphConvs} of ` +
      `${kernels.length} convs on cuDNN graph engines`);
    assert(cold < 60_000, `build took ${cold} ms`);
    assert(warm.kernelTiming!.ms < first.kernelTiming!.ms, "the cached rebuild times less");
    // A batch other than the profile's opt runs the choices measured at opt (as TensorRT does), without timing again:
    // the same kernels as the plan's, and a first inference (rebuilding the stored choices, capturing the graph) that
    // costs less than the build's timing did.
    await using session = await createEngine({ plan: first.plan, device: "cuda" });
    const planned = convKernels(session.engine);
    const x = new Float32Array(8 * 3 * 224 * 224).map(() => Math.random() * 2 - 1);
    t0 = performance.now();
    const out = await session.infer({ x: { data: x, shape: [8, 3, 224, 224] } });
    const firstRun = performance.now() - t0;
    console.log(`  first inference at batch 8 (opt 32): ${firstRun.toFixed(0)} ms`);
    assertEquals(out.y.shape, [8, 1000]);
    assertEquals(convKernels(session.engine), planned);
    assert(firstRun < first.kernelTiming!.ms, `first run at a new batch took ${firstRun} ms: was it timed again?`);
  });
}
