/**
 * ffi/cache.ts: where builds live, how a damaged one is told from a good one, and which build the loader picks:
 * the directory of the toolkit's CUDA version when its cuda.h is readable, else the newest valid build.
 */
import { cacheRoot, checkLibrary, findCachedLibrary, writeStamp } from "../../ffi/cache.ts";
import { VERSION } from "../../lib/version.ts";
import { assert, assertEquals } from "../_assert.ts";

const parts = { cudnn: true, cublaslt: true, tensorrt: false };

/** A fake library (random bytes, never zeros) with its stamp in `dir`. */
function plantBuild(dir: string, builtAt?: string): Uint8Array {
  Deno.mkdirSync(dir, { recursive: true });
  const bytes = crypto.getRandomValues(new Uint8Array(4096)).map((b) => b | 1);
  Deno.writeFileSync(`${dir}/libdenotrt.so.tmp`, bytes);
  writeStamp(dir, `${dir}/libdenotrt.so.tmp`, { version: VERSION, cuda: "13.0", parts });
  Deno.renameSync(`${dir}/libdenotrt.so.tmp`, `${dir}/libdenotrt.so`);
  if (builtAt) {
    const stampPath = `${dir}/libdenotrt.so.stamp.json`;
    const stamp = JSON.parse(Deno.readTextFileSync(stampPath));
    Deno.writeTextFileSync(stampPath, JSON.stringify({ ...stamp, builtAt }));
  }
  return bytes;
}

async function withTemp(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "denotrt-cache-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the cache root is DENOTRT_CACHE, else XDG_CACHE_HOME/denotrt, else ~/.cache/denotrt", () => {
  const table = (t: Record<string, string>) => (n: string) => t[n];
  assertEquals(cacheRoot(table({ DENOTRT_CACHE: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" })), "/c");
  if (Deno.build.os === "linux") {
    assertEquals(cacheRoot(table({ XDG_CACHE_HOME: "/x", HOME: "/h" })), "/x/denotrt");
    assertEquals(cacheRoot(table({ HOME: "/h" })), "/h/.cache/denotrt");
  }
  assertEquals(cacheRoot(table({})), undefined);
});

Deno.test("a build matches its stamp; truncated, overwritten or unstamped ones are damaged", () =>
  withTemp((dir) => {
    assertEquals(checkLibrary(dir).state, "missing");
    const bytes = plantBuild(dir);
    const ok = checkLibrary(dir);
    assertEquals(ok.state, "valid");
    assertEquals(ok.state === "valid" && ok.stamp.size, bytes.length);

    Deno.truncateSync(`${dir}/libdenotrt.so`, 1000);
    const cut = checkLibrary(dir);
    assert(cut.state === "damaged" && cut.reason.includes("1000 bytes"), JSON.stringify(cut));

    const flipped = bytes.slice();
    flipped[2000] ^= 0x40;
    Deno.writeFileSync(`${dir}/libdenotrt.so`, flipped);
    const changed = checkLibrary(dir);
    assert(changed.state === "damaged" && changed.reason.includes("hash"), JSON.stringify(changed));

    Deno.writeFileSync(`${dir}/libdenotrt.so`, bytes);
    assertEquals(checkLibrary(dir).state, "valid");
    Deno.removeSync(`${dir}/libdenotrt.so.stamp.json`);
    assertEquals(checkLibrary(dir).state, "damaged");
  }));

Deno.test("with a toolkit's cuda.h, the build of that CUDA version is the one looked for", () =>
  withTemp((dir) => {
    Deno.mkdirSync(`${dir}/cuda/bin`, { recursive: true });
    Deno.mkdirSync(`${dir}/cuda/include`, { recursive: true });
    Deno.writeTextFileSync(`${dir}/cuda/bin/nvcc`, "#!/bin/sh\n");
    Deno.writeTextFileSync(`${dir}/cuda/include/cuda.h`, "#define CUDA_VERSION 12080\n");
    const env = (n: string) =>
      ({ DENOTRT_CACHE: `${dir}/cache`, CUDA_HOME: `${dir}/cuda` } as Record<string, string>)[n];
    plantBuild(`${dir}/cache/${VERSION}/13.0`); // another toolkit's build is not taken
    const slot = findCachedLibrary(env);
    assertEquals(slot?.cuda, "12.8");
    assertEquals(slot?.path, `${dir}/cache/${VERSION}/12.8/libdenotrt.so`);
    assertEquals(slot?.lib.state, "missing");
    plantBuild(`${dir}/cache/${VERSION}/12.8`);
    assertEquals(findCachedLibrary(env)?.lib.state, "valid");
  }));

Deno.test("without a readable CUDA version, the newest valid build is used, else a damaged one is repaired", () =>
  withTemp((dir) => {
    const env = (n: string) =>
      ({ DENOTRT_CACHE: `${dir}/cache`, CUDA_HOME: `${dir}/no-cuda` } as Record<string, string>)[n];
    assertEquals(findCachedLibrary(env), { versionDir: `${dir}/cache/${VERSION}`, lib: { state: "missing" } });
    plantBuild(`${dir}/cache/${VERSION}/12.8`, "2026-01-01T00:00:00.000Z");
    plantBuild(`${dir}/cache/${VERSION}/13.0`, "2026-02-01T00:00:00.000Z");
    assertEquals(findCachedLibrary(env)?.cuda, "13.0");
    Deno.truncateSync(`${dir}/cache/${VERSION}/13.0/libdenotrt.so`, 10);
    assertEquals(findCachedLibrary(env)?.cuda, "12.8", "a valid build beats a newer damaged one");
    Deno.truncateSync(`${dir}/cache/${VERSION}/12.8/libdenotrt.so`, 10);
    const slot = findCachedLibrary(env);
    assert(slot?.lib.state === "damaged" && slot.path?.endsWith("/libdenotrt.so"), JSON.stringify(slot));
  }));
