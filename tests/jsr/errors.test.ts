/**
 * What a JSR user sees when the first use cannot build the shim: one LibraryError that says what is missing
 * (a permission, nvcc) and the ways out (setup, DENOTRT_LIB). The published package is imported from a temporary
 * copy with an empty cache and no DENOTRT_LIB; nothing here compiles, so it runs without a CUDA toolkit too.
 */
import { assert, assertEquals } from "../_assert.ts";
import { buildLines, copyPublishedPackage, type DenoRun, npmUnreachable, probeScript, runDeno, userEnv } from "./_package.ts";

function libraryError(r: DenoRun): string {
  assertEquals(r.code, 3, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  const error = r.stderr.match(/PROBE-ERROR ([\s\S]*)$/)?.[1] ?? "";
  assert(error.startsWith("LibraryError: "), r.stderr);
  assertEquals(buildLines(r.stderr), [], "nothing was built");
  return error;
}

/** No library file anywhere under `cache`. */
function nothingBuilt(cache: string): void {
  const found: string[] = [];
  const walk = (dir: string) => {
    try {
      for (const e of Deno.readDirSync(dir)) {
        if (e.isDirectory) walk(`${dir}/${e.name}`);
        else found.push(e.name);
      }
    } catch { /* never created */ }
  };
  walk(cache);
  assert(!found.some((n) => n.includes(".so")), found.join(" "));
}

if (npmUnreachable) console.log(`[skip] JSR first-use error tests skipped: ${npmUnreachable}`);

Deno.test({ name: "a first use that cannot build says what is missing and how else to get a library", ignore: !!npmUnreachable }, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "denotrt-jsr-errors-" });
  try {
    await copyPublishedPackage(`${dir}/pkg`);
    const probe = `${dir}/probe.ts`;
    await Deno.writeTextFile(probe, probeScript(`file://${dir}/pkg/mod.ts`));
    let runs = 0;
    /** Imports the package and loads the library with `flags`, an empty cache of its own, and `env` added. */
    const firstUse = async (flags: string[], env: Record<string, string> = {}) => {
      const cache = `${dir}/cache-${++runs}`;
      const r = await runDeno(
        ["run", ...flags, "--no-config", "--no-lock", probe],
        userEnv({ DENOTRT_CACHE: cache, ...env }),
        dir,
      );
      return { ...r, cache };
    };

    await t.step("without --allow-run: the permissions building needs, setup, DENOTRT_LIB", async () => {
      const r = await firstUse(["--allow-ffi", "--allow-env", "--allow-read", "--allow-write"]);
      const msg = libraryError(r);
      assert(msg.includes("--allow-run"), msg);
      assert(!/--allow-(read|write|env)\b/.test(msg.split("\n")[0]), `only what is missing is named: ${msg}`);
      assert(msg.includes("jsr:@denotrt/trt/setup") && msg.includes("DENOTRT_LIB"), msg);
      nothingBuilt(r.cache);
    });

    await t.step("without nvcc: what to install, or DENOTRT_LIB", async () => {
      const r = await firstUse(["-A"], { CUDA_HOME: `${dir}/no-cuda-here` });
      const msg = libraryError(r);
      assert(msg.includes("no CUDA compiler (nvcc)") && msg.includes(`${dir}/no-cuda-here/bin/nvcc`), msg);
      assert(msg.includes("Install the CUDA toolkit") && msg.includes("DENOTRT_LIB"), msg);
      nothingBuilt(r.cache);
    });

    await t.step("with --allow-ffi alone: the cache needs --allow-env", async () => {
      const msg = libraryError(await firstUse(["--allow-ffi"]));
      assert(msg.includes("--allow-env") && msg.includes("DENOTRT_LIB"), msg);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
