/**
 * The command line, in trtexec's `--flag=value` form, parsed with node:util's parseArgs (strict: an unknown flag is an
 * error, never silently ignored) and checked into one typed options object.
 */
import { parseArgs } from "node:util";
import { type DeviceKind, InvalidArgumentError, type Precision } from "../mod.ts";
import { MAX_STREAMS } from "./lanes.ts";
import { parseShapeSpec, type ShapeSpec } from "./shapes.ts";

export type ProviderChoice = "auto" | "builtin" | "tensorrt";

export interface CliOptions {
  onnx?: string;
  loadEngine?: string;
  saveEngine?: string;
  /** Built-in engine on CUDA: kernel choices read from and written back to this file. */
  timingCacheFile?: string;
  precision: Precision;
  shapes: ShapeSpec;
  minShapes: ShapeSpec;
  optShapes: ShapeSpec;
  maxShapes: ShapeSpec;
  /** The batch (first) dimension of dynamic inputs that --shapes does not name. */
  batch?: number;
  /** Least number of timed iterations. */
  iterations: number;
  /** Least seconds of timed iterations. */
  durationS: number;
  warmUpMs: number;
  useCudaGraph: boolean;
  noDataTransfers: boolean;
  /** Execution contexts run at once, each with its own stream and buffers (trtexec's --streams). */
  streams: number;
  provider: ProviderChoice;
  /** Undefined: CUDA when a GPU is present, else the CPU. */
  device?: DeviceKind;
  /** The CUDA device index (--device=N). */
  deviceIndex: number;
  exportTimes?: string;
  exportLayerInfo?: string;
  json: boolean;
  /** Distinct random input sets the timed loop rotates through (so caches do not hold one input). */
  inputSets: number;
  verbose: boolean;
}

export const USAGE = `usage: denotrt (--onnx=model.onnx | --loadEngine=model.plan) [options]

Builds (or loads) an engine, runs it on random inputs and prints trtexec's performance summary.

Model and build:
  --onnx=FILE               build an engine from this ONNX model
  --loadEngine=FILE         load a serialized plan instead of building
  --saveEngine=FILE         write the built plan here
  --timingCacheFile=FILE    kernel timing cache: read before building, updated after (created when missing)
  --fp16 | --tf32           reduced precision (default: strict fp32; TensorRT's own default allows TF32)
  --minShapes=SPEC, --optShapes=SPEC, --maxShapes=SPEC
                            the optimization profile, e.g. --minShapes=x:1x3x224x224 (SPEC: name:NxCxHxW,...)
  --provider=auto|builtin|tensorrt   (default auto: TensorRT where its libraries load)
  --device=cuda|cpu|N       where to run; N picks CUDA device N (default: cuda when a GPU is present)

Inference:
  --shapes=SPEC             run-time input shapes (default: the profile's opt shapes)
  --batch=N                 the first dimension of dynamic inputs --shapes does not name (default 1)
  --iterations=N            run at least N timed iterations (default 10)
  --duration=S              run at least S seconds (default 3)
  --warmUp=MS               warm up for MS milliseconds first (default 200)
  --useCudaGraph            capture the enqueue into a CUDA graph and launch that
  --noDataTransfers         leave the inputs and outputs on the device (no H2D/D2H copies)
  --streams=N               run N execution contexts at once, each with its own stream, pinned buffers and
                            copies, so one stream's copies overlap another's compute (default 1, at most ${MAX_STREAMS})
  --inputSets=N             rotate through N random input sets (default 4)

Reporting:
  --exportTimes=FILE        write every timed iteration's times (trtexec's JSON trace)
  --exportLayerInfo=FILE    write the engine's layers and chosen kernels as JSON
  --json                    print the summary as one JSON object on stdout instead of text
  --verbose                 print the explanations of the metrics
  --help                    this text`;

const OPTIONS = {
  onnx: { type: "string" },
  loadEngine: { type: "string" },
  saveEngine: { type: "string" },
  timingCacheFile: { type: "string" },
  fp16: { type: "boolean" },
  tf32: { type: "boolean" },
  shapes: { type: "string" },
  minShapes: { type: "string" },
  optShapes: { type: "string" },
  maxShapes: { type: "string" },
  batch: { type: "string" },
  iterations: { type: "string" },
  duration: { type: "string" },
  warmUp: { type: "string" },
  useCudaGraph: { type: "boolean" },
  noDataTransfers: { type: "boolean" },
  streams: { type: "string" },
  provider: { type: "string" },
  device: { type: "string" },
  exportTimes: { type: "string" },
  exportLayerInfo: { type: "string" },
  json: { type: "boolean" },
  inputSets: { type: "string" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function int(flag: string, text: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min || Number(text) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new InvalidArgumentError(`--${flag} must be an integer ${range}, got "${text}"`);
  }
  return Number(text);
}

function num(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new InvalidArgumentError(`--${flag} must be a non-negative number, got "${text}"`);
  return Number(text);
}

/** Turns parseArgs' TypeErrors into one line a user can act on. */
function explain(e: unknown): never {
  const code = (e as { code?: string }).code;
  const msg = e instanceof Error ? e.message : String(e);
  const flag = /'(-[^' ]+)/.exec(msg)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new InvalidArgumentError(`unknown flag ${flag} (see --help)`);
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = /'([^']*)'/.exec(msg)?.[1] ?? "";
    throw new InvalidArgumentError(`unexpected argument "${arg}": flags take the form --flag=value (see --help)`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    throw new InvalidArgumentError(/argument missing/.test(msg) ? `${flag.split(" ")[0]} needs a value (--flag=value)` : `${flag.split(" ")[0]} takes no value`);
  }
  throw new InvalidArgumentError(msg);
}

/** Parses the command line; returns null for --help. Throws InvalidArgumentError with one clear line. */
export function parseCliArgs(args: string[]): CliOptions | null {
  let values: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]["type"] extends "string" ? string : boolean };
  try {
    values = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    explain(e);
  }
  if (values.help) return null;
  if (values.onnx === undefined && values.loadEngine === undefined) {
    throw new InvalidArgumentError("give a model: --onnx=model.onnx or --loadEngine=model.plan (see --help)");
  }
  if (values.onnx !== undefined && values.loadEngine !== undefined) throw new InvalidArgumentError("give --onnx or --loadEngine, not both");
  if (values.loadEngine !== undefined && values.saveEngine !== undefined) {
    throw new InvalidArgumentError("--saveEngine needs --onnx: a loaded engine is already saved");
  }
  for (const f of ["onnx", "loadEngine", "saveEngine", "exportTimes", "exportLayerInfo"] as const) {
    if (values[f] === "") throw new InvalidArgumentError(`--${f} needs a file name`);
  }
  const profile = (["minShapes", "optShapes", "maxShapes"] as const).map((f) => values[f] === undefined ? new Map() : parseShapeSpec(values[f]!, `--${f}`));
  if (values.loadEngine !== undefined && profile.some((p) => p.size > 0)) {
    throw new InvalidArgumentError("--minShapes/--optShapes/--maxShapes describe a build: use them with --onnx");
  }
  const provider = values.provider ?? "auto";
  if (provider !== "auto" && provider !== "builtin" && provider !== "tensorrt") {
    throw new InvalidArgumentError(`--provider must be auto, builtin or tensorrt, got "${provider}"`);
  }
  let device: DeviceKind | undefined, deviceIndex = 0;
  const d = values.device;
  if (d === "cpu" || d === "cuda") device = d;
  else if (d !== undefined && /^\d+$/.test(d)) {
    device = "cuda";
    deviceIndex = Number(d);
  } else if (d !== undefined) throw new InvalidArgumentError(`--device must be cuda, cpu or a CUDA device index, got "${d}"`);
  if (device === "cpu" && values.useCudaGraph) throw new InvalidArgumentError("--useCudaGraph needs a CUDA device, not --device=cpu");
  return {
    onnx: values.onnx,
    loadEngine: values.loadEngine,
    saveEngine: values.saveEngine,
    timingCacheFile: values.timingCacheFile,
    precision: values.fp16 ? "fp16" : values.tf32 ? "tf32" : "fp32",
    shapes: values.shapes === undefined ? new Map() : parseShapeSpec(values.shapes, "--shapes"),
    minShapes: profile[0],
    optShapes: profile[1],
    maxShapes: profile[2],
    batch: values.batch === undefined ? undefined : int("batch", values.batch, 1, 1),
    iterations: int("iterations", values.iterations, 10, 1),
    durationS: num("duration", values.duration, 3),
    warmUpMs: num("warmUp", values.warmUp, 200),
    useCudaGraph: values.useCudaGraph ?? false,
    noDataTransfers: values.noDataTransfers ?? false,
    streams: int("streams", values.streams, 1, 1, MAX_STREAMS),
    provider,
    device,
    deviceIndex,
    exportTimes: values.exportTimes,
    exportLayerInfo: values.exportLayerInfo,
    json: values.json ?? false,
    inputSets: int("inputSets", values.inputSets, 4, 1),
    verbose: values.verbose ?? false,
  };
}
