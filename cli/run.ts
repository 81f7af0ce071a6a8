/** One timing run of an opened engine at given shapes: bind random inputs on each lane, measure, summarize. */
import type { InferenceEngine } from "../mod.ts";
import { Lanes } from "./lanes.ts";
import { measure, type MeasureOptions, type MeasureResult } from "./measure.ts";
import { type PerfSummary, summarizeRun } from "./report.ts";

export interface TimedRun {
  result: MeasureResult;
  summary: PerfSummary;
}

export interface TimeOptions extends MeasureOptions {
  inputSets: number;
  /** Concurrent lanes, each with its own execution context, stream and buffers (trtexec's --streams; default 1). */
  streams?: number;
}

export async function timeEngine(ie: InferenceEngine, shapes: Map<string, number[]>, options: TimeOptions): Promise<TimedRun> {
  const transfers = ie.device === "cuda" && options.dataTransfers;
  await using lanes = new Lanes(ie, shapes, options.streams ?? 1, options.inputSets, transfers);
  const result = await measure(lanes.lanes, { ...options, dataTransfers: transfers });
  const first = lanes.lanes[0].bindings.inputs[0]?.shape;
  return { result, summary: summarizeRun(result, first && first.length > 0 ? first[0] : null) };
}
