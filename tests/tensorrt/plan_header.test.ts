/**
 * denotrt_tensorrt_plan_version: the TensorRT version read from a plan's header, without TensorRT. Compiled into
 * every build, so these tests run everywhere. The headers are synthetic, laid out as c_shim/src/tensorrt/
 * plan_header.cpp documents (magic "ftrt"/"ptrt" at 0, major/minor/patch bytes at 24/25/26).
 */
import { assert, assertEquals } from "../_assert.ts";
import { i32, newErrorRecord, openFailure, readErrorRecord, Status, syntheticPlan, trtLib } from "./_shim.ts";

const failure = openFailure();
if (failure) console.log(`[skip] TensorRT plan header tests skipped: ${failure}`);

function test(name: string, fn: () => void): void {
  Deno.test({ name, ignore: !!failure, fn });
}

function read(plan: Uint8Array | null, bytes = plan?.length ?? 0) {
  const major = i32(), minor = i32(), patch = i32();
  const err = newErrorRecord();
  const rc = trtLib()!.lib.symbols.denotrt_tensorrt_plan_version(plan, BigInt(bytes), major, minor, patch, err);
  return { rc, version: [major[0], minor[0], patch[0]], error: readErrorRecord(err) };
}

test("plan header: reads major.minor.patch from an 'ftrt' plan", () => {
  const r = read(syntheticPlan(10, 16, 0));
  assertEquals(r.rc, Status.OK, r.error.message);
  assertEquals(r.version, [10, 16, 0]);
});

test("plan header: reads other versions, including 11.x and two-digit fields", () => {
  for (const v of [[8, 6, 1], [10, 3, 0], [11, 1, 0], [10, 13, 3]] as const) {
    const r = read(syntheticPlan(v[0], v[1], v[2]));
    assertEquals(r.rc, Status.OK, r.error.message);
    assertEquals(r.version, [...v]);
  }
});

test("plan header: accepts the 'ptrt' magic tag", () => {
  const r = read(syntheticPlan(10, 8, 0, { magic: "ptrt" }));
  assertEquals(r.rc, Status.OK, r.error.message);
  assertEquals(r.version, [10, 8, 0]);
});

test("plan header: the smallest readable header is 32 bytes", () => {
  assertEquals(read(syntheticPlan(10, 16, 0, { bytes: 32 })).rc, Status.OK);
  const r = read(syntheticPlan(10, 16, 0, { bytes: 31 }));
  assertEquals(r.rc, Status.PLAN_ERROR);
  assert(/too short/.test(r.error.message), r.error.message);
  assertEquals(r.error.api, "denotrt_tensorrt_plan_version");
});

test("plan header: bytes that are not a TensorRT plan are refused with what they start with", () => {
  // An ONNX file's first bytes (protobuf field 1, ir_version): a common mistake is to pass the model, not the plan.
  const onnx = new Uint8Array(64);
  onnx.set([0x08, 0x08, 0x12, 0x07]);
  const r = read(onnx);
  assertEquals(r.rc, Status.PLAN_ERROR);
  assert(/not a TensorRT plan/.test(r.error.message), r.error.message);
  assert(r.error.message.includes("08 08 12 07"), r.error.message);
  assert(r.error.message.includes('"ftrt"'), r.error.message);
});

test("plan header: a denotrt built-in plan is named as such", () => {
  const plan = new Uint8Array(64);
  plan.set(new TextEncoder().encode("DNRTPLAN"));
  const r = read(plan);
  assertEquals(r.rc, Status.PLAN_ERROR);
  assert(/built-in plan/.test(r.error.message), r.error.message);
});

test("plan header: a header without a version byte is refused, not guessed", () => {
  const r = read(syntheticPlan(0, 0, 0));
  assertEquals(r.rc, Status.PLAN_ERROR);
  assert(/no readable version/.test(r.error.message), r.error.message);
});

test("plan header: the serialization version at byte 8 is not mistaken for the product version", () => {
  const plan = syntheticPlan(10, 16, 0);
  plan[8] = 232; // 8.5.3's internal serialization version
  assertEquals(read(plan).version, [10, 16, 0]);
});

test("plan header: NULL plan is an argument error", () => {
  const r = read(null, 64);
  assertEquals(r.rc, Status.INVALID_ARGUMENT);
});
