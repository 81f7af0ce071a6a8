/**
 * Opening a model for an example: an ONNX file is built into a plan once and the plan cached next to it
 * (createEngine's `cache`), so later runs load it; a plan file is loaded as it is. Build progress goes to stderr.
 */
import * as trt from "../../mod.ts";

export interface OpenOptions {
  device?: trt.DeviceKind;
  profiles?: trt.ProfileShapes[];
  /** Distinguishes plans of one model built with different profiles, e.g. "max960". */
  cacheTag?: string;
  /** Where progress lines go (default stderr); tests pass a collector. */
  log?: (line: string) => void;
}

export interface OpenedEngine {
  engine: trt.InferenceEngine;
  /** "built" (from ONNX, now cached), "cached" (a plan cached by an earlier run) or "plan" (a plan file given). */
  source: "built" | "cached" | "plan";
  /** The plan file used or written, if any. */
  planPath?: string;
}

const PLAN_MAGIC = "DNRTPLAN";

/** The device createEngine will pick: the option, else DENOTRT_DEVICE, else CUDA when a GPU is visible. */
export function resolveDevice(requested?: string): trt.DeviceKind {
  const d = requested ?? Deno.env.get("DENOTRT_DEVICE") ?? (trt.isGpuAvailable() ? "cuda" : "cpu");
  if (d !== "cuda" && d !== "cpu") throw new trt.InvalidArgumentError(`device must be "cuda" or "cpu", got "${d}"`);
  return d;
}

/** A .onnx file is ONNX; .plan/.engine/.trt files and anything starting with the built-in plan magic are plans. */
async function isPlanFile(path: string): Promise<boolean> {
  if (/\.onnx$/i.test(path)) return false;
  if (/\.(plan|engine|trt)$/i.test(path)) return true;
  const f = await Deno.open(path);
  try {
    const head = new Uint8Array(8);
    return (await f.read(head)) === 8 && new TextDecoder().decode(head) === PLAN_MAGIC;
  } finally {
    f.close();
  }
}

/** `model.onnx` -> `model.<device>[.<tag>].plan` beside it. */
export function cachePath(model: string, device: trt.DeviceKind, tag?: string): string {
  return `${model.replace(/\.onnx$/, "")}.${device}${tag ? `.${tag}` : ""}.plan`;
}

async function writable(dir: string): Promise<boolean> {
  try {
    const f = await Deno.makeTempFile({ dir, prefix: ".denotrt-probe-" });
    await Deno.remove(f);
    return true;
  } catch {
    return false;
  }
}

/** A cached plan older than its model was built from an earlier version of it: removed, so it is rebuilt. */
async function dropStaleCache(cache: string, model: string): Promise<void> {
  try {
    const [p, m] = [await Deno.stat(cache), await Deno.stat(model)];
    if (p.mtime && m.mtime && p.mtime < m.mtime) await Deno.remove(cache);
  } catch { /* no cache yet */ }
}

function progressLogger(log: (line: string) => void): (phase: string, step: number, steps: number) => void {
  const t0 = performance.now();
  return (phase, step, steps) => {
    const bar = "#".repeat(Math.round((20 * step) / steps)).padEnd(20, ".");
    log(`  building plan [${bar}] ${step}/${steps} ${phase} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  };
}

export async function openEngine(model: string, options: OpenOptions = {}): Promise<OpenedEngine> {
  const log = options.log ?? ((line: string) => console.error(line));
  try {
    const st = await Deno.stat(model);
    if (!st.isFile) throw new trt.InvalidArgumentError(`the model '${model}' is not a file`);
  } catch (e) {
    if (e instanceof trt.DenotrtError) throw e;
    throw new trt.InvalidArgumentError(`no model at '${model}': ${e instanceof Deno.errors.NotFound ? "the file does not exist" : (e as Error).message}`);
  }
  const device = resolveDevice(options.device);
  if (await isPlanFile(model)) {
    return { engine: await trt.createEngine({ plan: model, device }), source: "plan", planPath: model };
  }
  const dir = model.includes("/") ? model.slice(0, model.lastIndexOf("/")) || "/" : ".";
  const cache = (await writable(dir)) ? cachePath(model, device, options.cacheTag) : undefined;
  if (!cache) log(`  (the model's folder is not writable: the plan is not cached)`);
  else await dropStaleCache(cache, model);
  let built = false;
  const progress = progressLogger(log);
  try {
    const engine = await trt.createEngine({
      onnx: model,
      device,
      profiles: options.profiles,
      cache,
      onProgress: (phase, step, steps) => {
        built = true;
        progress(phase, step, steps);
      },
    });
    return { engine, source: built ? "built" : "cached", planPath: cache };
  } catch (e) {
    if (e instanceof trt.DenotrtError) throw e;
    // The ONNX parser reports a file that is not a model as a plain protobuf error.
    throw new trt.InvalidArgumentError(`cannot build '${model}' (is it an ONNX model?): ${e instanceof Error ? e.message : e}`);
  }
}

/** One line naming what runs: provider, device and, on CUDA, the GPU. */
export function describeEngine(e: trt.InferenceEngine): string {
  if (e.device === "cuda") {
    const g = trt.getDeviceInfo(0);
    return `${e.provider} engine on CUDA: ${g.name} (sm_${g.computeCapability.join("")})`;
  }
  return `${e.provider} engine on the CPU reference executor (no GPU${trt.isGpuAvailable() ? " requested" : " visible"})`;
}

/**
 * The first input of an ONNX model file, or undefined when the file is missing, a plan, or not ONNX (then
 * openEngine reports what is wrong with it).
 */
export async function onnxFirstInput(model: string): Promise<trt.OnnxInput | undefined> {
  try {
    return trt.onnxInputs(await Deno.readFile(model))[0];
  } catch {
    return undefined;
  }
}
