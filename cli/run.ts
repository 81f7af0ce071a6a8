/** One timing run of an opened engine at given shapes: bind random inputs, measure, summarize. */
import type { InferenceEngine } from "../mod.ts";
import { Bindings } from "./bindings.ts";
import { measure, type MeasureOptions, type MeasureResult } from "./measure.ts";
import { type PerfSummary, summarizeRun } from "./report.ts";

export interface TimedRun {
  result: MeasureResult;
  summary: PerfSummary;
}

export async function timeEngine(
  ie: InferenceEngine,
  shapes: Map<string, number[]>,
  options: MeasureOptions & { inputSets: number },
): Promise<TimedRun> {
  const transfers = ie.device === "cuda" && options.dataTransfers;
  using b = new Bindings(ie.context, shapes, ie.stream, options.inputSets, transfers);
  const result = await measure(ie.context, ie.stream, b, { ...options, dataTransfers: transfers });
  const first = b.inputs[0]?.shape;
  return { result, summary: summarizeRun(result, first && first.length > 0 ? first[0] : null) };
}
