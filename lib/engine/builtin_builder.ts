/** The built-in engine's builder: ONNX → IR → optimization passes → plan bytes, all in TypeScript. */
import { loadOnnx } from "../builder/onnx.ts";
import { optimize, type OptimizeReport } from "../builder/optimize.ts";
import { serializePlan } from "../builder/plan.ts";
import { UnsupportedError } from "../core/errors.ts";
import { VERSION } from "../version.ts";
import type { DeviceKind, Precision, ProfileShapes } from "./types.ts";

export interface BuiltinBuildOptions {
  precision: Precision;
  profiles: ProfileShapes[];
  device: DeviceKind;
  /** Directory that the model's external-data files are relative to. */
  baseDir?: string;
  gpu?: { name: string; computeCapability: [number, number] };
  onProgress?: (phase: string, step: number, steps: number) => void;
}

export interface BuiltinBuildResult {
  plan: Uint8Array;
  report: OptimizeReport;
}

export async function buildBuiltinPlan(onnx: Uint8Array, opts: BuiltinBuildOptions): Promise<BuiltinBuildResult> {
  if (opts.precision !== "fp32") {
    // Reduced precision needs the precision pass and kernel timing of the performance issue; until then say so
    // rather than hand back an fp32 plan labelled otherwise.
    throw new UnsupportedError(`precision '${opts.precision}' is not yet supported by the built-in engine's builder; use 'fp32'`);
  }
  const progress = opts.onProgress ?? (() => {});
  progress("parse", 0, 3);
  const graph = await loadOnnx(onnx, { baseDir: opts.baseDir, profiles: opts.profiles.length ? opts.profiles : undefined });
  progress("optimize", 1, 3);
  const report = optimize(graph);
  progress("serialize", 2, 3);
  const plan = serializePlan(graph, {
    device: opts.device,
    gpuName: opts.gpu?.name ?? "",
    computeCapability: opts.gpu?.computeCapability ?? [0, 0],
    version: VERSION,
  });
  progress("done", 3, 3);
  return { plan, report };
}
