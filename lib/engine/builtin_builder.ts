/** The built-in engine's builder: ONNX → IR → optimization passes → plan bytes, all in TypeScript. */
import { loadOnnx } from "../builder/onnx.ts";
import { optimize, type OptimizeReport, PASS_NAMES } from "../builder/optimize.ts";
import { serializePlan } from "../builder/plan.ts";
import { PLAN_PRECISIONS } from "../builder/passes/precision.ts";
import { optionalEnv } from "../core/env.ts";
import { DenotrtError, InvalidArgumentError, Status, UnsupportedError } from "../core/errors.ts";
import { VERSION } from "../version.ts";
import { timePlanKernels } from "./kernel_timing.ts";
import type { TimingCache } from "./timing_cache.ts";
import { type DeviceKind, LAYOUT_CHOICES, type LayoutChoice, type Precision, type ProfileShapes } from "./types.ts";

export interface BuiltinBuildOptions {
  precision: Precision;
  profiles: ProfileShapes[];
  device: DeviceKind;
  /** Directory that the model's external-data files are relative to. */
  baseDir?: string;
  gpu?: { name: string; computeCapability: [number, number] };
  /** Most activation memory (bytes, at the largest profile shapes) a context of this plan may need. */
  memoryLimit?: number;
  onProgress?: (phase: string, step: number, steps: number) => void;
  /** "auto" (default): NHWC around convolutions for CUDA fp16/tf32 plans, else NCHW (passes/choose_layout.ts). */
  layout?: LayoutChoice;
  /**
   * Kernel timing of CUDA plans on the GPU given in `gpu` (default on): choices come from `cache` where it has them
   * and are measured otherwise (and added to it); the plan keeps what its layers chose. `false` leaves the choice to
   * each engine at run time.
   */
  timing?: false | { cache?: TimingCache; ignoreMismatch?: boolean };
}

export interface BuiltinBuildResult {
  plan: Uint8Array;
  report: OptimizeReport;
  /** Kernel timing, when it ran: milliseconds and how many kernel choices the plan keeps. */
  kernelTiming?: { ms: number; choices: number };
}

export async function buildBuiltinPlan(onnx: Uint8Array, opts: BuiltinBuildOptions): Promise<BuiltinBuildResult> {
  if (!PLAN_PRECISIONS.includes(opts.precision)) {
    throw new InvalidArgumentError(`precision must be one of ${PLAN_PRECISIONS.map((p) => `'${p}'`).join(", ")}, got '${opts.precision}'`);
  }
  if (opts.precision === "fp16" && opts.device === "cpu") {
    // The CPU executor computes every float in float32: float16 storage would only cost accuracy there. Refusing
    // beats handing back a plan whose precision is not what was asked for.
    throw new UnsupportedError(
      "precision 'fp16' needs the CUDA executor: the CPU executor computes in float32, so build for device 'cpu' " +
        "with 'fp32' (or 'tf32', which the CPU runs as float32); a plan built in fp16 for CUDA still runs on a CPU engine",
    );
  }
  const progress = opts.onProgress ?? (() => {});
  progress("parse", 0, 3);
  const graph = await loadOnnx(onnx, { baseDir: opts.baseDir, profiles: opts.profiles.length ? opts.profiles : undefined });
  progress("optimize", 1, 3);
  // fp16 converts layers the CUDA executor runs in float16 (Casts at the graph's I/O); tf32 marks Conv/MatMul/Gemm
  // for TF32 tensor cores; fp32 keeps TF32 off (passes/precision.ts).
  const layout = opts.layout ?? "auto";
  if (!LAYOUT_CHOICES.includes(layout)) {
    throw new InvalidArgumentError(`layout must be one of ${LAYOUT_CHOICES.map((l) => `'${l}'`).join(", ")}, got '${layout}'`);
  }
  // DENOTRT_SKIP_PASSES=a,b builds without those optimizer passes, to measure what one buys (as the executor's
  // DENOTRT_NO_* knobs do for its kernels); a name that is no pass is refused rather than silently measuring nothing.
  const skip = optionalEnv("DENOTRT_SKIP_PASSES")?.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = skip?.filter((name) => !PASS_NAMES.includes(name));
  if (unknown?.length) {
    throw new InvalidArgumentError(
      `DENOTRT_SKIP_PASSES names ${unknown.map((n) => `'${n}'`).join(", ")}, which the builder cannot skip; ` +
        `passes: ${PASS_NAMES.join(", ")}`,
    );
  }
  const report = optimize(graph, {
    precision: opts.precision,
    // NHWC pays where tensor cores run the convolutions (fp16, TF32); strict fp32 keeps cuDNN's NCHW FMA kernels.
    layout: layout === "auto" ? (opts.device === "cuda" && opts.precision !== "fp32" ? "nhwc" : "nchw") : layout,
    skip,
  });
  const limit = opts.memoryLimit ?? Infinity;
  if (report.memory.arenaBytes > limit) {
    throw new DenotrtError(
      `the plan needs ${mib(report.memory.arenaBytes)} MiB of activation memory at the largest profile shapes, over the ` +
        `${mib(limit)} MiB memory limit: lower the profiles' max shapes or raise the limit`,
      Status.OUT_OF_MEMORY,
    );
  }
  const timing = opts.timing ?? {};
  const timed = opts.device === "cuda" && opts.gpu !== undefined && timing !== false;
  const steps = timed ? 4 : 3;
  progress("serialize", 2, steps);
  const header = {
    device: opts.device,
    gpuName: opts.gpu?.name ?? "",
    computeCapability: opts.gpu?.computeCapability ?? [0, 0] as [number, number],
    version: VERSION,
  };
  let plan = serializePlan(graph, header);
  let kernelTiming: BuiltinBuildResult["kernelTiming"];
  if (timed) {
    progress("time kernels", 3, steps);
    const t = await timePlanKernels(plan, {
      cache: timing.cache,
      ignoreMismatch: timing.ignoreMismatch,
      layerNameBytes: graph.nodes.reduce((n, node) => n + 3 * node.name.length + 72, 0),
    });
    plan = serializePlan(graph, { ...header, kernels: t.kernels, tactics: t.tactics });
    kernelTiming = { ms: t.ms, choices: t.choices };
  }
  progress("done", steps, steps);
  return { plan, report, kernelTiming };
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
