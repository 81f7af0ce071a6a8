/**
 * denotrt's side of the benchmark: for each model, provider, precision and batch, build an engine for that shape
 * (as trtexec --shapes does) and time it with and without H2D/D2H copies, through the same code the CLI uses; where
 * the plan's `streams` names the model, batch and precision, also with copies on several streams at once (the CLI's
 * --streams, variant "N streams"). A precision or provider the build refuses is reported n/a with the engine's
 * reason, once per model.
 */
import { openEngine } from "../cli/build.ts";
import { timeEngine } from "../cli/run.ts";
import { type DeviceKind, LibraryError, TensorRTError, UnsupportedError } from "../mod.ts";
import type { BenchPlan, ModelSpec } from "./config.ts";
import type { ResultRow } from "./results.ts";

export interface ModelInput {
  name: string;
  /** The input's per-sample dimensions (the model's static dims, the spec's defaults where dynamic). */
  sample: number[];
}

/** The first input's name and per-sample shape: the model's own dims where static, the spec's where dynamic. */
export function modelInput(inputs: { name: string; dims: number[] }[], spec: Pick<ModelSpec, "name" | "sampleDims">): ModelInput {
  if (inputs.length !== 1) throw new Error(`${spec.name}: the bench drives single-input models; this one has ${inputs.length} inputs`);
  const dims = inputs[0].dims.slice(1);
  if (dims.length !== spec.sampleDims.length) {
    throw new Error(`${spec.name}: input '${inputs[0].name}' has rank ${dims.length + 1}, expected ${spec.sampleDims.length + 1}`);
  }
  return { name: inputs[0].name, sample: dims.map((d, i) => (d > 0 ? d : spec.sampleDims[i])) };
}

function short(e: unknown): string {
  return (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split("\n")[0].slice(0, 300);
}

/** A refusal that will repeat at every batch (the precision, the provider, a missing library). */
function isRefusal(e: unknown): boolean {
  return e instanceof UnsupportedError || e instanceof LibraryError || e instanceof TensorRTError;
}

const RUNTIME = { builtin: "denotrt", tensorrt: "denotrt-tensorrt" } as const;

export interface Setting {
  transfers: boolean;
  streams: number;
  variant?: string;
}

/** What one built engine is timed with: without and with copies, and with copies on several streams where asked. */
export function settingsFor(plan: Pick<BenchPlan, "streams">, model: string, batch: number, precision: string): Setting[] {
  const out: Setting[] = [{ transfers: false, streams: 1 }, { transfers: true, streams: 1 }];
  const s = plan.streams;
  if (s.count > 1 && (s.batches[model] ?? []).includes(batch) && (s.precisions as string[]).includes(precision)) {
    out.push({ transfers: true, streams: s.count, variant: `${s.count} streams` });
  }
  return out;
}

export async function runDenotrt(
  spec: ModelSpec,
  path: string,
  input: ModelInput,
  plan: BenchPlan,
  deadline: number,
  log: (line: string) => void,
  device: DeviceKind = "cuda",
): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const t = plan.timing;
  for (const provider of plan.providers) {
    for (const precision of plan.precisions) {
      let refused: string | undefined;
      for (const batch of spec.batches) {
        const base = { model: spec.name, batch, runtime: RUNTIME[provider], precision };
        const settings = settingsFor(plan, spec.name, batch, precision);
        // The settings from `from` on (those not timed yet) are n/a for `reason`.
        const na = (reason: string, from = 0) => {
          for (const { transfers, variant } of settings.slice(from)) rows.push({ ...base, ...(variant ? { variant } : {}), transfers, status: "n/a", reason });
        };
        let timed = 0;
        if (refused) {
          na(refused);
          continue;
        }
        if (Date.now() > deadline) {
          na("skipped: the bench's time budget ran out");
          continue;
        }
        const shape = [batch, ...input.sample];
        try {
          const opened = await openEngine({
            onnx: path,
            provider,
            device,
            precision,
            flags: { shapes: new Map([[input.name, shape]]), minShapes: new Map(), optShapes: new Map(), maxShapes: new Map() },
          });
          await using ie = opened.engine;
          for (const { transfers, streams, variant } of settings) {
            const { summary } = await timeEngine(ie, new Map([[input.name, shape]]), {
              iterations: t.minIters,
              durationS: t.minS,
              warmUpMs: t.warmUpMs,
              maxIterations: t.maxIters,
              useCudaGraph: false,
              dataTransfers: transfers,
              inputSets: t.inputSets,
              streams,
            });
            const l = summary.latency;
            const row: ResultRow = {
              ...base,
              ...(variant ? { variant } : {}),
              transfers,
              status: summary.outputsWritten ? "ok" : "n/a",
              reason: summary.outputsWritten ? undefined : "the engine left an output unwritten (poison pattern still there)",
              latencyMs: { min: l.min, max: l.max, mean: l.mean, median: l.median, p90: l.p90, p95: l.p95, p99: l.p99 },
              throughput: summary.samplesPerSecond ?? summary.throughputQps * batch,
              iterations: summary.iterations,
              extra: {
                buildMs: Math.round(opened.buildMs),
                provider: ie.provider,
                computeMedianMs: summary.compute.median,
                enqueueMedianMs: summary.enqueue.median,
                h2dMedianMs: summary.h2d?.median ?? null,
                d2hMedianMs: summary.d2h?.median ?? null,
                ...(summary.perStream ? { streams, perStreamMedianMs: summary.perStream.map((p) => p.latency.median) } : {}),
              },
            };
            rows.push(row);
            timed++;
            log(`denotrt ${spec.name} b${batch} ${provider} ${precision}${transfers ? " +H2D/D2H" : ""}${variant ? `, ${variant}` : ""}: ` +
              `median ${l.median.toFixed(3)} ms, ${row.throughput!.toFixed(0)}/s (built in ${(opened.buildMs / 1000).toFixed(1)} s)`);
          }
        } catch (e) {
          const reason = short(e);
          log(`denotrt ${spec.name} b${batch} ${provider} ${precision}: n/a (${reason})`);
          if (isRefusal(e)) refused = reason;
          na(reason, timed);
        }
      }
    }
  }
  return rows;
}
