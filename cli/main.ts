/**
 * `denotrt`: trtexec's workflow over denotrt — build or load an engine, time it on random inputs, print the summary.
 * Exit codes: 0 passed, 1 the run failed (the engine's error is printed), 2 a bad command line.
 */
import {
  formatCudaVersion,
  getDeviceInfo,
  InvalidArgumentError,
  isGpuAvailable,
  setDevice,
  TensorIOMode,
  VERSION,
} from "../mod.ts";
import { type CliOptions, parseCliArgs, USAGE } from "./args.ts";
import { openEngine, runShapes } from "./build.ts";
import { progressReporter } from "./progress.ts";
import { exportTimesJson, formatSummary } from "./report.ts";
import { timeEngine } from "./run.ts";
import { formatShape } from "./shapes.ts";

export interface CliIo {
  out: (line: string) => void;
  err: (text: string) => void;
  errIsTerminal: boolean;
}

const encoder = new TextEncoder();
export const denoIo: CliIo = {
  out: (line) => console.log(line),
  err: (text) => Deno.stderr.writeSync(encoder.encode(text)),
  errIsTerminal: Deno.stderr.isTerminal(),
};

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message.split("\n")[0]}`;
  return String(e);
}

/** Runs the command line; returns the process exit code. */
export async function main(args: string[], io: CliIo = denoIo): Promise<number> {
  let o: CliOptions | null;
  try {
    o = parseCliArgs(args);
  } catch (e) {
    io.err(`denotrt: error: ${e instanceof InvalidArgumentError ? e.message : describe(e)}\n`);
    return 2;
  }
  if (o === null) {
    io.out(USAGE);
    return 0;
  }
  // With --json, stdout carries exactly one JSON object; everything human goes to stderr.
  const say = o.json ? (line: string) => io.err(`${line}\n`) : io.out;
  say(`&&&& RUNNING denotrt [denotrt v${VERSION}] # denotrt ${args.join(" ")}`);
  try {
    const code = await run(o, say, io);
    say(`&&&& ${code === 0 ? "PASSED" : "FAILED"} denotrt [denotrt v${VERSION}] # denotrt ${args.join(" ")}`);
    return code;
  } catch (e) {
    io.err(`denotrt: error: ${describe(e)}\n`);
    say(`&&&& FAILED denotrt [denotrt v${VERSION}] # denotrt ${args.join(" ")}`);
    return e instanceof InvalidArgumentError ? 2 : 1;
  }
}

async function run(o: CliOptions, say: (line: string) => void, io: CliIo): Promise<number> {
  if (o.deviceIndex !== 0) setDevice(o.deviceIndex);
  const device = o.device ?? (isGpuAvailable() ? "cuda" : "cpu");
  if (device === "cuda") {
    const g = getDeviceInfo(o.deviceIndex);
    say(`[I] Selected Device: ${g.name} (sm_${g.computeCapability.join("")}, ${(g.totalMemory / 2 ** 30).toFixed(0)} GiB, driver CUDA ${formatCudaVersion(g.driverVersion)})`);
  } else {
    if (o.useCudaGraph) throw new InvalidArgumentError("--useCudaGraph needs a CUDA device; none is in use");
    say("[I] Selected Device: CPU (the reference executor)");
  }
  const flags = { shapes: o.shapes, minShapes: o.minShapes, optShapes: o.optShapes, maxShapes: o.maxShapes, batch: o.batch };
  const opened = await openEngine({
    onnx: o.onnx,
    loadEngine: o.loadEngine,
    saveEngine: o.saveEngine,
    timingCacheFile: o.timingCacheFile,
    provider: o.provider,
    device,
    precision: o.precision,
    flags,
    onProgress: progressReporter(io.err, io.errIsTerminal),
  });
  await using ie = opened.engine;
  say(`[I] Engine ${opened.built ? "built" : "loaded"} in ${(opened.buildMs / 1000).toFixed(3)} s: provider ${ie.provider}, device ${ie.device}, precision ${o.loadEngine ? "(from the plan)" : o.precision}`);
  if (o.saveEngine) say(`[I] Engine saved to ${o.saveEngine}`);
  for (const t of ie.engine.ioTensors) {
    say(`[I]   ${TensorIOMode[t.mode].toLowerCase()} ${t.name}: ${t.dtype} [${t.shape.join(", ")}]`);
  }
  if (o.exportLayerInfo) {
    await Deno.writeTextFile(o.exportLayerInfo, JSON.stringify(ie.inspect(), null, 2) + "\n");
    say(`[I] Layer information written to ${o.exportLayerInfo}`);
  }
  const shapes = runShapes(ie, flags);
  say(`[I] Shapes: ${[...shapes].map(([n, s]) => `${n}:${formatShape(s)}`).join(",") || "(no inputs)"}`);
  const { result, summary } = await timeEngine(ie, shapes, {
    iterations: o.iterations,
    durationS: o.durationS,
    warmUpMs: o.warmUpMs,
    useCudaGraph: o.useCudaGraph,
    dataTransfers: !o.noDataTransfers,
    inputSets: o.inputSets,
    streams: o.streams,
  });
  if (o.exportTimes) {
    await Deno.writeTextFile(o.exportTimes, exportTimesJson(result.trace));
    say(`[I] Times written to ${o.exportTimes}`);
  }
  if (o.json) {
    io.out(JSON.stringify({
      version: VERSION,
      provider: ie.provider,
      precision: o.loadEngine ? null : o.precision,
      shapes: Object.fromEntries(shapes),
      buildMs: opened.buildMs,
      ...summary,
    }));
  } else {
    for (const line of formatSummary(summary, o.verbose)) say(line);
  }
  if (!summary.outputsWritten) {
    io.err("denotrt: error: the engine left an output unwritten (it still holds the poison pattern set before the timed runs)\n");
    return 1;
  }
  return 0;
}
