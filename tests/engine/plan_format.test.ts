// Plan bytes: round trip through the shim, and refusal of truncated, corrupt, foreign and future-version plans with
// DENOTRT_PLAN_ERROR and a message that says which.
import { assert, assertEquals } from "../_assert.ts";
import { fnv1a64, PLAN_HEADER_BYTES, serializePlan } from "../../lib/builder/plan.ts";
import { deserializeError, STATUS } from "./_shim.ts";
import { GraphBuilder, int } from "./_graph.ts";

function samplePlan(): Uint8Array {
  const b = new GraphBuilder();
  b.input("x", ["N", 4]);
  const [y] = b.node("Add", ["x", b.constF32("bias", [4], [1, 2, 3, 4])], [["N", 4]]);
  const [z] = b.node("Softmax", [y], [["N", 4]], { axis: int(-1) });
  b.output(z).profile({ x: { min: [1, 4], opt: [2, 4], max: [8, 4] } });
  return serializePlan(b.g, { device: "cpu" });
}

/** Rewrites the header checksum after editing the body, so the edit reaches the body parser. */
function reseal(p: Uint8Array): Uint8Array {
  new DataView(p.buffer, p.byteOffset).setBigUint64(24, fnv1a64(p.subarray(PLAN_HEADER_BYTES)), true);
  return p;
}

function expectPlanError(p: Uint8Array, pattern: RegExp): void {
  const e = deserializeError(p);
  assert(e, "the plan was accepted");
  assertEquals(e!.status, STATUS.PLAN_ERROR, e!.message);
  assert(pattern.test(e!.message), e!.message);
}

Deno.test("plan: a valid plan deserializes on the CPU", () => {
  const p = samplePlan();
  assertEquals(new TextDecoder().decode(p.subarray(0, 8)), "DNRTPLAN");
  assertEquals(deserializeError(p), undefined);
});

Deno.test("plan: weights are 64-byte aligned in the file", () => {
  const p = samplePlan();
  const v = new DataView(p.buffer);
  const bodySize = Number(v.getBigUint64(16, true));
  assertEquals(p.length, PLAN_HEADER_BYTES + bodySize);
  // the last 16 bytes are the bias (4 floats) at the start of the weights section
  const w = p.length - 16;
  assertEquals(w % 64, 0);
  assertEquals(Array.from(new Float32Array(p.slice(w).buffer)), [1, 2, 3, 4]);
});

Deno.test("plan: foreign bytes are refused", () => {
  const p = samplePlan();
  p[0] = "X".charCodeAt(0);
  // the dispatcher checks the magic first; either way the message says this is not a denotrt plan
  const e = deserializeError(p);
  assert(e && e.status === STATUS.PLAN_ERROR && /not a denotrt plan|foreign plan/.test(e.message), e?.message);
});

Deno.test("plan: a future format version is refused", () => {
  const p = samplePlan();
  new DataView(p.buffer).setUint32(8, 99, true);
  expectPlanError(p, /plan format version 99 is newer than this shim reads \(version 2/);
});

Deno.test("plan: truncated plans are refused at every length", () => {
  const p = samplePlan();
  for (const n of [9, 20, 100, PLAN_HEADER_BYTES, PLAN_HEADER_BYTES + 7, p.length - 1]) {
    expectPlanError(p.slice(0, n), /truncated plan/);
  }
});

Deno.test("plan: a corrupted body fails the checksum", () => {
  const p = samplePlan();
  p[PLAN_HEADER_BYTES + 40] ^= 0x55;
  expectPlanError(p, /corrupt plan: body checksum mismatch/);
  const q = samplePlan();
  q[q.length - 3] ^= 1; // inside the weights
  expectPlanError(q, /checksum mismatch/);
});

Deno.test("plan: a resealed body with a bad count or index is refused by the bounded parser", () => {
  const p = samplePlan();
  new DataView(p.buffer).setUint32(PLAN_HEADER_BYTES, 0x7fffffff, true); // tensor count
  expectPlanError(reseal(p), /corrupt plan: a count larger than the remaining data/);
  // Fuzz: flipping any single body byte (then resealing) must never crash, only fail cleanly or still parse.
  const base = samplePlan();
  const bodyEnd = base.length - 64;
  for (let i = PLAN_HEADER_BYTES; i < bodyEnd; i += 3) {
    const q = base.slice();
    q[i] ^= 0xff;
    const e = deserializeError(reseal(q));
    if (e) assert(e.status === STATUS.PLAN_ERROR || e.status === STATUS.UNSUPPORTED || e.status === 11, e.message);
  }
});

Deno.test("plan: trailing bytes after the body are refused", () => {
  const p = samplePlan();
  const q = new Uint8Array(p.length + 8);
  q.set(p);
  expectPlanError(q, /unexpected bytes after/);
});
