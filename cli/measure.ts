/**
 * The timing loop, trtexec's way: warm up for a while, then run until both the least iteration count and the least
 * duration are reached. It drives one or more lanes (--streams=N: an execution context, a stream and buffers each)
 * in the order cli/schedule.ts gives. On CUDA every iteration records events around its H2D copies, its enqueue and
 * its D2H copies on its lane's stream, and each lane keeps two iterations in flight, so the host's waiting never
 * idles the GPU and, with several lanes, one stream's copies overlap another's compute. On the CPU each lane's
 * executor runs on a worker thread and the wall clock times it. The CLI and `deno task bench` both time through here.
 */
import { CudaEvent, type ExecutionContext, type Graph, type Stream } from "../mod.ts";
import type { Bindings } from "./bindings.ts";
import { anotherRound, type LaneRunner, roundRobin } from "./schedule.ts";

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
  /** The lane (stream) that ran it; only present with more than one stream. */
  stream?: number;
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

/** What one lane runs on: its own context, stream (null on the CPU) and bound I/O memory. */
export interface Lane {
  ctx: ExecutionContext;
  stream: Stream | null;
  bindings: Bindings;
}

export interface MeasureResult {
  device: "cuda" | "cpu";
  /** Lanes (streams) that ran concurrently. */
  streams: number;
  warmups: number;
  warmupMs: number;
  /** Every timed iteration of every lane, in issue order (round-robin over the lanes). */
  trace: Trace[];
  /** Earliest timed H2D start to latest D2H end over all lanes (trtexec's "Total Host Walltime"), ms. */
  walltimeMs: number;
  dataTransfers: boolean;
  useCudaGraph: boolean;
  /** Every output of every lane was written (they are poisoned first, then checked after the last iteration). */
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

/** Times the lanes together: all CUDA (each with its stream) or all CPU (streams null). */
export async function measure(lanes: readonly Lane[], o: MeasureOptions): Promise<MeasureResult> {
  if (lanes.length === 0) throw new RangeError("measure needs at least one lane");
  if (lanes.some((l) => (l.stream === null) !== (lanes[0].stream === null))) throw new RangeError("lanes must all be CUDA or all CPU");
  return await (lanes[0].stream ? measureCuda(lanes, o) : measureCpu(lanes, o));
}

function span(trace: readonly Trace[]): number {
  let start = Infinity, end = -Infinity;
  for (const t of trace) {
    start = Math.min(start, t.startH2dMs);
    end = Math.max(end, t.endD2hMs);
  }
  return end - start;
}

async function syncAll(lanes: readonly Lane[]): Promise<void> {
  await Promise.all(lanes.map((l) => l.stream!.synchronize()));
}

async function measureCuda(lanes: readonly Lane[], o: MeasureOptions): Promise<MeasureResult> {
  const n = lanes.length;
  const graphs: Graph[][] = lanes.map(() => []);
  const events: CudaEvent[] = [];
  const event = () => {
    const e = new CudaEvent();
    events.push(e);
    return e;
  };
  try {
    // One plain run per bound input set and lane first: it allocates and plans whatever the engine does lazily
    // (which a stream capture would forbid) and leaves nothing of the first run's cost in the timings.
    for (const [l, { ctx, stream, bindings: b }] of lanes.entries()) {
      const bound = o.dataTransfers ? 1 : b.inputSets;
      for (let s = 0; s < bound; s++) {
        b.bindSet(ctx, s);
        ctx.enqueueV3(stream);
      }
      await stream!.synchronize();
      if (o.useCudaGraph) {
        for (let s = 0; s < bound; s++) {
          b.bindSet(ctx, s);
          graphs[l].push(stream!.capture((st) => ctx.enqueueV3(st)));
        }
      }
    }
    const slots: Slot[][] = lanes.map(() =>
      [0, 1].map(() => ({ h2dStart: event(), computeStart: event(), computeEnd: event(), d2hEnd: event(), enqStart: 0, enqEnd: 0 }))
    );
    const ref = event();
    let hostZero = 0;

    const runner: LaneRunner<Trace> = {
      issue(l, k, s) {
        const { ctx, stream, bindings: b } = lanes[l], st = stream!, slot = slots[l][s];
        const set = k % b.inputSets;
        if (!o.dataTransfers && !o.useCudaGraph && b.inputSets > 1) b.bindSet(ctx, set);
        slot.h2dStart.record(st);
        if (o.dataTransfers) b.copyIn(set, st);
        slot.computeStart.record(st);
        slot.enqStart = performance.now() - hostZero;
        if (o.useCudaGraph) graphs[l][o.dataTransfers ? 0 : set].launch(st);
        else ctx.enqueueV3(st);
        slot.enqEnd = performance.now() - hostZero;
        slot.computeEnd.record(st);
        if (o.dataTransfers) b.copyOut(st);
        slot.d2hEnd.record(st);
      },
      async complete(l, s) {
        const slot = slots[l][s];
        await slot.d2hEnd.synchronize();
        const at = (e: CudaEvent) => e.elapsedSince(ref);
        const startH2dMs = at(slot.h2dStart), endH2dMs = at(slot.computeStart);
        const endComputeMs = at(slot.computeEnd), endD2hMs = at(slot.d2hEnd);
        const t: Trace = {
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
        if (n > 1) t.stream = l;
        return t;
      },
    };

    // Warm-up: at least one pass over every input set on every lane, then until warmUpMs has passed. The events
    // are recorded before the reference exists, so the warm-up's records are never read (only waited for).
    const sets = lanes[0].bindings.inputSets;
    const w0 = performance.now();
    const warm: LaneRunner<null> = { issue: runner.issue, complete: (l, s) => slots[l][s].d2hEnd.synchronize().then(() => null) };
    const warmups = (await roundRobin(n, 2, warm, (i) => i < sets * n || performance.now() - w0 < o.warmUpMs)).length;
    await syncAll(lanes);
    const warmupMs = performance.now() - w0;
    // Poisoned again, on both sides, so the check after the loop proves the timed iterations wrote the outputs.
    for (const l of lanes) l.bindings.poisonOutputs(l.stream);
    await syncAll(lanes);

    // Every stream is idle, so the reference event fires as it is recorded: GPU and host times share an origin,
    // and events of every lane's stream are measured from it (the other streams wait for it, so none of their
    // events can precede it).
    hostZero = performance.now();
    ref.record(lanes[0].stream!);
    for (const l of lanes.slice(1)) l.stream!.waitEvent(ref);
    const trace = await roundRobin(n, 2, runner, (i) => anotherRound(i, n, hostZero, o));

    if (!o.dataTransfers) {
      // The timed loop left the outputs on the device; bring them back once to check them.
      for (const l of lanes) l.bindings.copyOut(l.stream!);
      await syncAll(lanes);
    }
    return {
      device: "cuda",
      streams: n,
      warmups,
      warmupMs,
      trace,
      walltimeMs: span(trace),
      dataTransfers: o.dataTransfers,
      useCudaGraph: o.useCudaGraph,
      outputsWritten: lanes.every((l) => l.bindings.outputsWritten()),
    };
  } finally {
    await Promise.all(lanes.map((l) => l.stream!.synchronize().catch(() => {})));
    for (const g of graphs.flat()) g[Symbol.dispose]();
    for (const e of events) e[Symbol.dispose]();
  }
}

async function measureCpu(lanes: readonly Lane[], o: MeasureOptions): Promise<MeasureResult> {
  const n = lanes.length;
  // One run in flight per lane: a context cannot run twice at once. The end time is taken when the run finishes,
  // not when the loop gets round to waiting for it.
  const runs: { start: number; end: number; done: Promise<void> }[] = lanes.map(() => ({ start: 0, end: 0, done: Promise.resolve() }));
  let zero = 0;
  const runner: LaneRunner<Trace> = {
    issue(l, k) {
      const { ctx, bindings: b } = lanes[l], run = runs[l];
      b.bindSet(ctx, k % b.inputSets);
      run.start = performance.now() - zero;
      run.done = ctx.execute(null).then(() => {
        run.end = performance.now() - zero;
      });
      run.done.catch(() => {}); // a failure is thrown where the run is waited for, not as an unhandled rejection
    },
    async complete(l) {
      const run = runs[l];
      await run.done;
      const s = run.start, e = run.end;
      // The CPU engine reads and writes host memory in place: no transfers, and the enqueue is the whole run.
      const t: Trace = {
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
      };
      if (n > 1) t.stream = l;
      return t;
    },
  };
  const w0 = performance.now();
  const warmups = (await roundRobin(n, 1, runner, (i) => i < n || performance.now() - w0 < o.warmUpMs)).length;
  const warmupMs = performance.now() - w0;
  for (const l of lanes) l.bindings.poisonOutputs();
  zero = performance.now();
  const trace = await roundRobin(n, 1, runner, (i) => anotherRound(i, n, zero, o));
  return {
    device: "cpu",
    streams: n,
    warmups,
    warmupMs,
    trace,
    walltimeMs: span(trace),
    dataTransfers: false,
    useCudaGraph: false,
    outputsWritten: lanes.every((l) => l.bindings.outputsWritten()),
  };
}
