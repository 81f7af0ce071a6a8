/**
 * The order of the multi-stream timing loop, checked with a fake runner: round-robin issue, at most `depth` in flight
 * per lane, a slot reused only after its previous iteration finished, the oldest waited for first, whole rounds,
 * everything in flight waited for when something fails; and the rule that decides whether another round starts.
 */
import { anotherRound, type LaneRunner, roundRobin } from "../../cli/schedule.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";

type Event = ["issue" | "done", number, number, number]; // kind, lane, k, slot

/** A runner that finishes each iteration after a random number of event-loop turns, and checks the rules. */
function fakeRunner(lanes: number, depth: number, failAt?: { kind: "issue" | "complete"; lane: number; k: number }) {
  const log: Event[] = [];
  const inFlight = new Map<string, { k: number; done: Promise<void> }>(); // `${lane}/${slot}`
  let maxInFlight = 0;
  const runner: LaneRunner<{ lane: number; k: number }> = {
    issue(lane, k, slot) {
      assert(lane >= 0 && lane < lanes && slot === k % depth, `lane ${lane}, k ${k}, slot ${slot}`);
      assert(
        !inFlight.has(`${lane}/${slot}`),
        `slot ${slot} of lane ${lane} reissued (k ${k}) while iteration ${
          inFlight.get(`${lane}/${slot}`)?.k
        } was in flight`,
      );
      if (failAt?.kind === "issue" && failAt.lane === lane && failAt.k === k) throw new Error("issue failed");
      const turns = Math.floor(Math.random() * 4);
      let done = Promise.resolve();
      for (let i = 0; i < turns; i++) done = done.then(() => new Promise((r) => setTimeout(r, 0)));
      inFlight.set(`${lane}/${slot}`, { k, done });
      maxInFlight = Math.max(maxInFlight, inFlight.size);
      log.push(["issue", lane, k, slot]);
    },
    async complete(lane, slot) {
      const f = inFlight.get(`${lane}/${slot}`);
      assert(f, `waited for slot ${slot} of lane ${lane}, which holds nothing`);
      await f.done;
      inFlight.delete(`${lane}/${slot}`);
      log.push(["done", lane, f.k, slot]);
      if (failAt?.kind === "complete" && failAt.lane === lane && failAt.k === f.k) throw new Error("complete failed");
      return { lane, k: f.k };
    },
  };
  return { runner, log, inFlight, maxInFlight: () => maxInFlight };
}

Deno.test("one lane, depth 2: the single-stream loop's order (issue i, then wait for i - 1)", async () => {
  const f = fakeRunner(1, 2);
  const records = await roundRobin(1, 2, f.runner, (i) => i < 4);
  assertEquals(f.log.map(([kind, , k]) => `${kind}${k}`), [
    "issue0",
    "issue1",
    "done0",
    "issue2",
    "done1",
    "issue3",
    "done2",
    "done3",
  ]);
  assertEquals(records.map((r) => r.k), [0, 1, 2, 3]);
});

Deno.test("several lanes: round-robin issue, records in issue order, at most depth in flight per lane", async () => {
  for (const [lanes, depth] of [[2, 2], [3, 2], [4, 1], [3, 3]]) {
    const f = fakeRunner(lanes, depth);
    const rounds = 5;
    const records = await roundRobin(lanes, depth, f.runner, (i) => i < rounds * lanes);
    const issues = f.log.filter((e) => e[0] === "issue");
    assertEquals(
      issues.map(([, lane, k]) => [lane, k]),
      Array.from({ length: rounds * lanes }, (_, i) => [i % lanes, Math.floor(i / lanes)]),
    );
    assertEquals(records.map((r) => [r.lane, r.k]), issues.map(([, lane, k]) => [lane, k]));
    // Every lane has `depth` iterations queued at the busiest point: the streams are kept fed.
    assertEquals(f.maxInFlight(), lanes * depth, `${lanes} lanes, depth ${depth}`);
    assertEquals(f.inFlight.size, 0, "nothing left in flight");
    // Before iteration i is issued, iteration i - lanes × depth (same lane and slot) has finished.
    for (const [idx, [kind, lane, k]] of f.log.entries()) {
      if (kind !== "issue" || k < depth) continue;
      const prev = f.log.findIndex(([kd, l, kk]) => kd === "done" && l === lane && kk === k - depth);
      assert(prev >= 0 && prev < idx, `lane ${lane}: iteration ${k - depth} finished before ${k} was issued`);
    }
  }
});

Deno.test("whole rounds: `more` is asked before each round with the count issued so far", async () => {
  const asked: number[] = [];
  const f = fakeRunner(3, 2);
  const records = await roundRobin(3, 2, f.runner, (i) => {
    asked.push(i);
    return i < 7;
  });
  assertEquals(asked, [0, 3, 6, 9]);
  assertEquals(records.length, 9);
  assertEquals((await roundRobin(2, 2, fakeRunner(2, 2).runner, () => false)).length, 0);
});

Deno.test("a failure still waits for everything in flight, then is thrown", async () => {
  for (const kind of ["issue", "complete"] as const) {
    const f = fakeRunner(2, 2, { kind, lane: 1, k: 3 });
    await assertRejects(() => roundRobin(2, 2, f.runner, (i) => i < 20), Error, new RegExp(`${kind} failed`));
    assertEquals(f.inFlight.size, 0, `${kind}: every issued iteration was waited for`);
  }
  await assertRejects(() => roundRobin(0, 2, fakeRunner(1, 2).runner, () => true), RangeError, /at least one lane/);
  await assertRejects(() => roundRobin(2, 0, fakeRunner(1, 2).runner, () => true), RangeError, /depth of at least 1/);
});

Deno.test("anotherRound: the first always, then the least count and duration, never past the cap", () => {
  const o = { iterations: 5, durationS: 0 };
  assertEquals([0, 1, 4, 5, 6].map((i) => anotherRound(i, 1, 0, o, 0)), [true, true, true, false, false]);
  assertEquals([0, 2, 4, 6].map((i) => anotherRound(i, 2, 0, o, 0)), [true, true, true, false]); // 6 = 5 rounded up
  // Duration: 1 s from t0 = 1000.
  const d = { iterations: 1, durationS: 1 };
  assertEquals([anotherRound(2, 2, 1000, d, 1500), anotherRound(2, 2, 1000, d, 2000)], [true, false]);
  // The cap stops the round that would pass it, even while the duration lasts; a cap below one round allows one.
  const cap = { iterations: 1, durationS: 100, maxIterations: 9 };
  assertEquals([
    anotherRound(6, 2, 0, cap, 0),
    anotherRound(8, 2, 0, cap, 0),
    anotherRound(8, 1, 0, cap, 0),
    anotherRound(9, 1, 0, cap, 0),
  ], [true, false, true, false]);
  assertEquals([
    anotherRound(0, 4, 0, { ...cap, maxIterations: 2 }, 0),
    anotherRound(4, 4, 0, { ...cap, maxIterations: 2 }, 0),
  ], [true, false]);
});
