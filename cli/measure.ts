/**
 * The timing loop, trtexec's way: warm up for a while, then run until both the least iteration count and the least
 * duration are reached. On CUDA every iteration records events around its H2D copies, its enqueue and its D2H copies
 * on the one stream, and two iterations are kept in flight so the host's waiting never idles the GPU. On the CPU the
 * executor runs on a worker thread and the wall clock times it.
 */
import { CudaEvent, type ExecutionContext, type Graph, type Stream } from "../mod.ts";
import type { Bindings } from "./bindings.ts";

/** One timed iteration, in trtexec's --exportTimes fields (ms; starts relative to the timed loop's start). */
export interface Trace {
  startEnqMs: number;
  endEnqMs: number;
  startH2dMs: number;
  endH2dMs: number;
  startComputeMs: number;
  endComputeMs: number;
  startD2hMs: number;
  endD2hMs: number;
  h2dMs: number;
  computeMs: number;
  d2hMs: number;
  latencyMs: number;
}

export interface MeasureOptions {
  iterations: number;
  durationS: number;
  warmUpMs: number;
  useCudaGraph: boolean;
  dataTransfers: boolean;
  /** Stop after this many timed iterations even if the duration is not reached (the benchmark's cap). */
  maxIterations?: number;
}

export interface MeasureResult {
  device: "cuda" | "cpu";
  warmups: number;
  warmupMs: number;
  trace: Trace[];
  /** First timed H2D start to last D2H end (trtexec's "Total Host Walltime"), ms. */
  walltimeMs: number;
  dataTransfers: boolean;
  useCudaGraph: boolean;
  /** Every output was written (they are poisoned first, then checked after the last iteration). */
  outputsWritten: boolean;
}

interface Slot {
  h2dStart: CudaEvent;
  computeStart: CudaEvent;
  computeEnd: CudaEvent;
  d2hEnd: CudaEvent;
  enqStart: number;
  enqEnd: number;
}

function keepGoing(i: number, t0: number, o: MeasureOptions): boolean {
  if (o.maxIterations !== undefined && i >= o.maxIterations) return false;
  return i < o.iterations || performance.now() - t0 < o.durationS * 1000;
}

/** Times `ctx` on `stream` (CUDA) or on the CPU (stream null). */
export function measure(ctx: ExecutionContext, stream: Stream | null, b: Bindings, o: MeasureOptions): Promise<MeasureResult> {
  return stream ? measureCuda(ctx, stream, b, o) : measureCpu(ctx, b, o);
}

async function measureCuda(ctx: ExecutionContext, stream: Stream, b: Bindings, o: MeasureOptions): Promise<MeasureResult> {
  const sets = b.inputSets;
  const graphs: Graph[] = [];
  const events: CudaEvent[] = [];
  const event = () => {
    const e = new CudaEvent();
    events.push(e);
    return e;
  };
  try {
    // One plain run per bound input set first: it allocates and plans whatever the engine does lazily (which a
    // stream capture would forbid) and leaves nothing of the first run's cost in the timings.
    const bound = o.dataTransfers ? 1 : sets;
    for (let s = 0; s < bound; s++) {
      b.bindSet(ctx, s);
      ctx.enqueueV3(stream);
    }
    await stream.synchronize();
    if (o.useCudaGraph) {
      for (let s = 0; s < bound; s++) {
        b.bindSet(ctx, s);
        graphs.push(stream.capture((st) => ctx.enqueueV3(st)));
      }
    }
    const slots: Slot[] = [0, 1].map(() => ({
      h2dStart: event(),
      computeStart: event(),
      computeEnd: event(),
      d2hEnd: event(),
      enqStart: 0,
      enqEnd: 0,
    }));
    const ref = event();
    let hostZero = 0;

    const issue = (i: number, slot: Slot): void => {
      const set = i % sets;
      if (!o.dataTransfers && !o.useCudaGraph && sets > 1) b.bindSet(ctx, set);
      slot.h2dStart.record(stream);
      if (o.dataTransfers) b.copyIn(set, stream);
      slot.computeStart.record(stream);
      slot.enqStart = performance.now() - hostZero;
      if (o.useCudaGraph) graphs[o.dataTransfers ? 0 : set].launch(stream);
      else ctx.enqueueV3(stream);
      slot.enqEnd = performance.now() - hostZero;
      slot.computeEnd.record(stream);
      if (o.dataTransfers) b.copyOut(stream);
      slot.d2hEnd.record(stream);
    };
    const collect = (slot: Slot): Trace => {
      const at = (e: CudaEvent) => e.elapsedSince(ref);
      const startH2dMs = at(slot.h2dStart), endH2dMs = at(slot.computeStart);
      const endComputeMs = at(slot.computeEnd), endD2hMs = at(slot.d2hEnd);
      return {
        startEnqMs: slot.enqStart,
        endEnqMs: slot.enqEnd,
        startH2dMs,
        endH2dMs,
        startComputeMs: endH2dMs,
        endComputeMs,
        startD2hMs: endComputeMs,
        endD2hMs,
        h2dMs: endH2dMs - startH2dMs,
        computeMs: endComputeMs - endH2dMs,
        d2hMs: endD2hMs - endComputeMs,
        latencyMs: endD2hMs - startH2dMs,
      };
    };

    // Warm-up: at least one pass over every input set, then until warmUpMs has passed.
    const w0 = performance.now();
    let warmups = 0;
    while (warmups < sets || performance.now() - w0 < o.warmUpMs) {
      issue(warmups, slots[warmups % 2]);
      if (warmups > 0) await slots[(warmups - 1) % 2].d2hEnd.synchronize();
      warmups++;
    }
    await stream.synchronize();
    const warmupMs = performance.now() - w0;
    // Poisoned again, on both sides, so the check after the loop proves the timed iterations wrote the outputs.
    b.poisonOutputs(stream);
    await stream.synchronize();

    // The stream is idle, so the reference event fires as it is recorded: GPU and host times share an origin.
    hostZero = performance.now();
    ref.record(stream);
    const trace: Trace[] = [];
    let i = 0;
    while (keepGoing(i, hostZero, o)) {
      issue(i, slots[i % 2]);
      if (i > 0) {
        const prev = slots[(i - 1) % 2];
        await prev.d2hEnd.synchronize();
        trace.push(collect(prev));
      }
      i++;
    }
    const last = slots[(i - 1) % 2];
    await last.d2hEnd.synchronize();
    trace.push(collect(last));
    const walltimeMs = trace[trace.length - 1].endD2hMs - trace[0].startH2dMs;

    if (!o.dataTransfers) {
      b.copyOut(stream); // the timed loop left the outputs on the device; bring them back once to check them
      await stream.synchronize();
    }
    return {
      device: "cuda",
      warmups,
      warmupMs,
      trace,
      walltimeMs,
      dataTransfers: o.dataTransfers,
      useCudaGraph: o.useCudaGraph,
      outputsWritten: b.outputsWritten(),
    };
  } finally {
    await stream.synchronize().catch(() => {});
    for (const g of graphs) g[Symbol.dispose]();
    for (const e of events) e[Symbol.dispose]();
  }
}

async function measureCpu(ctx: ExecutionContext, b: Bindings, o: MeasureOptions): Promise<MeasureResult> {
  const sets = b.inputSets;
  const run = async (i: number): Promise<[number, number]> => {
    b.bindSet(ctx, i % sets);
    const t0 = performance.now();
    await ctx.execute(null);
    return [t0, performance.now()];
  };
  const w0 = performance.now();
  let warmups = 0;
  while (warmups < 1 || performance.now() - w0 < o.warmUpMs) await run(warmups++);
  const warmupMs = performance.now() - w0;
  b.poisonOutputs();
  const zero = performance.now();
  const trace: Trace[] = [];
  let i = 0;
  while (keepGoing(i, zero, o)) {
    const [s, e] = (await run(i++)).map((t) => t - zero);
    // The CPU engine reads and writes host memory in place: no transfers, and the enqueue is the whole run.
    trace.push({
      startEnqMs: s,
      endEnqMs: e,
      startH2dMs: s,
      endH2dMs: s,
      startComputeMs: s,
      endComputeMs: e,
      startD2hMs: e,
      endD2hMs: e,
      h2dMs: 0,
      computeMs: e - s,
      d2hMs: 0,
      latencyMs: e - s,
    });
  }
  return {
    device: "cpu",
    warmups,
    warmupMs,
    trace,
    walltimeMs: trace[trace.length - 1].endD2hMs - trace[0].startH2dMs,
    dataTransfers: false,
    useCudaGraph: false,
    outputsWritten: b.outputsWritten(),
  };
}
