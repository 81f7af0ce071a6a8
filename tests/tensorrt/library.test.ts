/**
 * How the shim finds libnvinfer and what it says when it cannot: DENOTRT_TENSORRT_LIB pointing at nothing, at a
 * library that is not TensorRT, at a TensorRT of another major or an older minor (a stub library that only reports
 * a version, tests/tensorrt/fixtures/stub_nvinfer.c), and the refusal of a plan built by another TensorRT before
 * deserializing. Each scenario runs in its own process (_probe.ts): a loaded TensorRT stays loaded.
 * Needs a shim compiled against TensorRT's headers (denotrt_build_features() & 2); none of it needs TensorRT.
 */
import { assert, assertEquals } from "../_assert.ts";
import { compiledVersion, hasTensorRTSupport, openFailure, probe, Status, syntheticPlan, trtLib } from "./_shim.ts";

const reason = openFailure() ??
  (hasTensorRTSupport()
    ? undefined
    : "this libdenotrt.so was built without TensorRT headers (make TENSORRT_INCLUDE=...)");
if (reason) console.log(`[skip] TensorRT library tests skipped: ${reason}`);

function test(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: !!reason, fn });
}

async function haveCompiler(): Promise<boolean> {
  try {
    return (await new Deno.Command("cc", { args: ["--version"], stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

/** Builds the stub libnvinfer reporting `version` into a temporary directory; returns its path. */
async function stubLibrary(dir: string, major: number, minor: number, patch = 0): Promise<string> {
  const src = new URL("./fixtures/stub_nvinfer.c", import.meta.url).pathname;
  const out = `${dir}/libnvinfer.so.${major}`;
  const r = await new Deno.Command("cc", {
    args: ["-shared", "-fPIC", "-O0", `-DSTUB_VERSION=${major * 10000 + minor * 100 + patch}`, src, "-o", out],
  }).output();
  if (!r.success) throw new Error(`cc failed: ${new TextDecoder().decode(r.stderr)}`);
  return out;
}

test("TensorRT library: a nonexistent DENOTRT_TENSORRT_LIB is a LIBRARY_ERROR naming the path and how to install", async () => {
  const path = "/nonexistent/dir/libnvinfer.so.10";
  const r = await probe("load", { DENOTRT_TENSORRT_LIB: path });
  assertEquals(r.rc, Status.LIBRARY_ERROR, r.raw);
  assert(r.error!.message.includes(path), r.error!.message);
  assert(/No such file/.test(r.error!.message), r.error!.message);
  assert(/Install TensorRT \d+\.x/.test(r.error!.message), r.error!.message);
  assert(r.error!.message.includes("DENOTRT_TENSORRT_LIB"), r.error!.message);
  assertEquals(r.error!.api, "dlopen");
});

test("TensorRT library: a shared library that is not TensorRT is refused by its missing entry point", async () => {
  const path = trtLib()!.path; // libdenotrt.so itself: a real .so without createInferRuntime_INTERNAL
  const r = await probe("load", { DENOTRT_TENSORRT_LIB: path });
  assertEquals(r.rc, Status.LIBRARY_ERROR, r.raw);
  assert(/not TensorRT's libnvinfer/.test(r.error!.message), r.error!.message);
  assert(r.error!.message.includes("createInferRuntime_INTERNAL"), r.error!.message);
});

test("TensorRT library: without TensorRT installed, the default search lists what it tried", async () => {
  const r = await probe("load", { DENOTRT_TENSORRT_LIB: "" });
  if (r.rc === Status.OK) {
    console.log(`[skip] TensorRT is installed (${r.path}): the not-found message cannot be observed`);
    return;
  }
  const [major] = compiledVersion();
  assertEquals(r.rc, Status.LIBRARY_ERROR, r.raw);
  assert(r.error!.message.includes(`libnvinfer.so.${major} was not found`), r.error!.message);
  assert(r.error!.message.includes("Tried:"), r.error!.message);
  assert(r.error!.message.includes("pip install tensorrt-cu13"), r.error!.message);
});

test("TensorRT library: a TensorRT of another major is refused with both versions", async () => {
  if (!(await haveCompiler())) return console.log("[skip] no C compiler (cc) for the stub library");
  const dir = await Deno.makeTempDir();
  try {
    const [major, minor] = compiledVersion();
    const other = major === 10 ? 11 : major - 1;
    const r = await probe("load", { DENOTRT_TENSORRT_LIB: await stubLibrary(dir, other, 1) });
    assertEquals(r.rc, Status.LIBRARY_ERROR, r.raw);
    assert(r.error!.message.includes(`is TensorRT ${other}.1.0`), r.error!.message);
    assert(
      r.error!.message.includes(`compiled against TensorRT ${major} headers (${major}.${minor}.`),
      r.error!.message,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("TensorRT library: a TensorRT older than the headers the shim was compiled with is refused", async () => {
  if (!(await haveCompiler())) return console.log("[skip] no C compiler (cc) for the stub library");
  const [major, minor] = compiledVersion();
  if (minor === 0) return console.log("[skip] compiled against x.0 headers: no older minor exists");
  const dir = await Deno.makeTempDir();
  try {
    const r = await probe("load", { DENOTRT_TENSORRT_LIB: await stubLibrary(dir, major, minor - 1) });
    assertEquals(r.rc, Status.LIBRARY_ERROR, r.raw);
    assert(/older than the TensorRT/.test(r.error!.message), r.error!.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("TensorRT library: the matching version loads and is reported with its path", async () => {
  if (!(await haveCompiler())) return console.log("[skip] no C compiler (cc) for the stub library");
  const [major, minor] = compiledVersion();
  const dir = await Deno.makeTempDir();
  try {
    const path = await stubLibrary(dir, major, minor, 7);
    const r = await probe("load", { DENOTRT_TENSORRT_LIB: path });
    assertEquals(r.rc, Status.OK, r.raw);
    assertEquals(r.version, major * 10000 + minor * 100 + 7);
    assertEquals(r.path, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("TensorRT plans: a plan built by another TensorRT is refused before deserializing, naming both versions", async () => {
  if (!(await haveCompiler())) return console.log("[skip] no C compiler (cc) for the stub library");
  const [major, minor] = compiledVersion();
  const dir = await Deno.makeTempDir();
  try {
    const env = { DENOTRT_TENSORRT_LIB: await stubLibrary(dir, major, minor) };
    const r = await probe("deserialize", env, syntheticPlan(major, minor + 1, 0));
    assertEquals(r.rc, Status.PLAN_ERROR, r.raw);
    assert(
      r.error!.message.includes(`plan built by TensorRT ${major}.${minor + 1}, loaded library is ${major}.${minor}`),
      r.error!.message,
    );
    const old = await probe("deserialize", env, syntheticPlan(8, 6, 1));
    assertEquals(old.rc, Status.PLAN_ERROR, old.raw);
    assert(
      old.error!.message.includes(`plan built by TensorRT 8.6, loaded library is ${major}.${minor}`),
      old.error!.message,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("TensorRT plans: bytes that are not a plan are refused as such; a matching plan reaches TensorRT", async () => {
  if (!(await haveCompiler())) return console.log("[skip] no C compiler (cc) for the stub library");
  const [major, minor] = compiledVersion();
  const dir = await Deno.makeTempDir();
  try {
    const env = { DENOTRT_TENSORRT_LIB: await stubLibrary(dir, major, minor) };
    const junk = new Uint8Array(64).fill(0x41);
    const r = await probe("deserialize", env, junk);
    assertEquals(r.rc, Status.PLAN_ERROR, r.raw);
    assert(/not a TensorRT plan/.test(r.error!.message), r.error!.message);
    // The header check passes; the stub then cannot create a runtime, which surfaces as a TensorRT error naming
    // the factory call. (The stub runs nothing: this only shows the version check let the plan through.)
    const ok = await probe("deserialize", env, syntheticPlan(major, minor, 0));
    assertEquals(ok.rc, Status.TENSORRT_ERROR, ok.raw);
    assertEquals(ok.error!.api, "createInferRuntime_INTERNAL");
    // The escape hatch for plans whose header the shim cannot read skips the check altogether.
    const skipped = await probe("deserialize", { ...env, DENOTRT_TENSORRT_SKIP_PLAN_CHECK: "1" }, junk);
    assertEquals(skipped.rc, Status.TENSORRT_ERROR, skipped.raw);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
