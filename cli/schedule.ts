/**
 * The order in which a timing loop issues and waits for iterations over several lanes (trtexec's --streams: one
 * execution context, stream and set of buffers each). Iteration i goes to lane i mod N, in whole rounds of N; each
 * lane keeps up to `depth` iterations in flight, and the host always waits for the oldest one, on that lane alone
 * (an event of its stream, never the whole device), so every stream has queued work while the host waits.
 * Knows nothing of CUDA: the runner issues and waits, which lets tests check the order with a fake one.
 */

export interface LaneRunner<R> {
  /** Queues iteration `k` of `lane` into the lane's in-flight slot `slot` (= k mod depth); must not wait for it. */
  issue(lane: number, k: number, slot: number): void;
  /** Waits until what slot `slot` of `lane` last received has finished, and returns its record. */
  complete(lane: number, slot: number): Promise<R>;
}

/**
 * Issues rounds of one iteration per lane while `more(issued)` (asked before each round, with the count issued so
 * far) is true, and returns every iteration's record in issue order. After issuing iteration i it waits for
 * iteration i - (lanes × depth - 1), so a slot is reused only once its previous iteration has finished. On an
 * error it still waits for everything in flight (buffers must outlive the work that uses them), then throws.
 */
export async function roundRobin<R>(
  lanes: number,
  depth: number,
  runner: LaneRunner<R>,
  more: (issued: number) => boolean,
): Promise<R[]> {
  if (!Number.isInteger(lanes) || lanes < 1 || !Number.isInteger(depth) || depth < 1) {
    throw new RangeError(`roundRobin needs at least one lane and a depth of at least 1, got ${lanes} and ${depth}`);
  }
  const window = lanes * depth;
  const pending: { lane: number; slot: number }[] = [];
  const records: R[] = [];
  let issued = 0;
  try {
    while (more(issued)) {
      for (let lane = 0; lane < lanes; lane++, issued++) {
        const slot = Math.floor(issued / lanes) % depth;
        runner.issue(lane, Math.floor(issued / lanes), slot);
        pending.push({ lane, slot });
        if (pending.length >= window) {
          const oldest = pending.shift()!;
          records.push(await runner.complete(oldest.lane, oldest.slot));
        }
      }
    }
    while (pending.length) {
      const oldest = pending.shift()!;
      records.push(await runner.complete(oldest.lane, oldest.slot));
    }
    return records;
  } catch (e) {
    for (const p of pending) await runner.complete(p.lane, p.slot).catch(() => {});
    throw e;
  }
}

/**
 * Whether the timed loop starts another round of `lanes` iterations after `issued`: always the first; never one
 * that would pass the cap (unless the cap is below one round); otherwise until both the least iteration count and
 * the least duration (since `t0`, performance.now() ms) are reached. Counts therefore round up to whole rounds.
 */
export function anotherRound(
  issued: number,
  lanes: number,
  t0: number,
  o: { iterations: number; durationS: number; maxIterations?: number },
  now: number = performance.now(),
): boolean {
  if (issued === 0) return true;
  if (o.maxIterations !== undefined && issued + lanes > Math.max(o.maxIterations, lanes)) return false;
  return issued < o.iterations || now - t0 < o.durationS * 1000;
}
