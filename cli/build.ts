/**
 * Opening an engine the way the command line asks: build from ONNX (with the profile the shape flags give, writing
 * the plan with --saveEngine) or load a plan; then the run-time shapes. Shared by the CLI and `deno task bench`.
 */
import { createEngine, type DeviceKind, type InferenceEngine, InvalidArgumentError, type Precision } from "../mod.ts";
import type { ProviderChoice } from "./args.ts";
import { onnxInputs } from "./onnx_inputs.ts";
import { type EngineInput, resolveProfile, resolveRunShapes, type ShapeFlags } from "./resolve.ts";

export interface OpenRequest {
  onnx?: string;
  loadEngine?: string;
  saveEngine?: string;
  timingCacheFile?: string;
  provider: ProviderChoice;
  device: DeviceKind;
  precision: Precision;
  flags: ShapeFlags;
  onProgress?: (phase: string, step: number, steps: number) => void;
}

export interface Opened {
  engine: InferenceEngine;
  /** Milliseconds spent building or loading. */
  buildMs: number;
  built: boolean;
}

export async function openEngine(req: OpenRequest): Promise<Opened> {
  const t0 = performance.now();
  if (req.loadEngine !== undefined) {
    const engine = await createEngine({ plan: req.loadEngine, device: req.device, provider: req.provider });
    return { engine, buildMs: performance.now() - t0, built: false };
  }
  const path = req.onnx!;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new InvalidArgumentError(`cannot read the ONNX file '${path}': ${e instanceof Error ? e.message : e}`);
  }
  const profile = resolveProfile(onnxInputs(bytes), req.flags);
  if (req.saveEngine !== undefined) {
    // createEngine's cache loads an existing plan; --saveEngine means "build and overwrite", so clear it first.
    await Deno.remove(req.saveEngine).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
  const engine = await createEngine({
    onnx: path,
    provider: req.provider,
    device: req.device,
    precision: req.precision,
    profiles: profile ? [profile] : undefined,
    cache: req.saveEngine,
    timingCache: req.timingCacheFile,
    onProgress: req.onProgress,
  });
  return { engine, buildMs: performance.now() - t0, built: true };
}

/** The run-time shape of every input of an opened engine. */
export function runShapes(ie: InferenceEngine, flags: Pick<ShapeFlags, "shapes" | "batch">): Map<string, number[]> {
  const inputs: EngineInput[] = ie.inputs.map((t) => ({
    name: t.name,
    shape: t.shape,
    opt: t.shape.some((d) => d < 0) ? ie.engine.getProfileShape(t.name, 0).opt : t.shape,
  }));
  return resolveRunShapes(inputs, flags);
}
