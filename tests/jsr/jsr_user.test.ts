/**
 * The JSR user, end to end: the published file set (no Makefile outputs) in a temporary directory, served over
 * HTTP (on a URL no earlier run used: _package.ts servePackage) so it is a remote module as from jsr:, imported by
 * Deno subprocesses with an empty DENOTRT_CACHE and no DENOTRT_LIB. The shim is built once (by the first step) and
 * reused by the others:
 *   - three concurrent first uses: all load, exactly one build, the sources fetched once, as text;
 *   - the second use (now from the local copy): reuses the library, no build line, fast;
 *   - a truncated cached library: detected, rebuilt (relinked from the cached objects), loads;
 *   - setup (the `./setup` export): reports the toolchain and the library it found.
 * Needs nvcc (CI has it); skipped with one printed reason without it.
 */
import { planBuild } from "../../ffi/build_plan.ts";
import { detectToolchain, locateNvcc } from "../../ffi/toolchain.ts";
import { SHIM_SOURCES } from "../../ffi/shim_sources.ts";
import { VERSION } from "../../lib/version.ts";
import { assert, assertEquals } from "../_assert.ts";
import {
  npmUnreachable,
  buildLines,
  copyPublishedPackage,
  type DenoRun,
  probeScript,
  runDeno,
  servePackage,
  userEnv,
} from "./_package.ts";

const nvcc = locateNvcc();
const skip = npmUnreachable ?? ("nvcc" in nvcc ? undefined : "no nvcc (CUDA toolkit) here, so the first use cannot build the shim");
if (skip) console.log(`[skip] JSR user tests skipped: ${skip}`);

function show(r: DenoRun): string {
  return `exit ${r.code} after ${(r.ms / 1000).toFixed(1)} s\n--- stdout\n${r.stdout}\n--- stderr\n${
    r.stderr.slice(-4000)
  }`;
}

interface Loaded {
  path: string;
  version: string;
  abiVersion: number;
}

function loaded(r: DenoRun): Loaded {
  assertEquals(r.code, 0, show(r));
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

Deno.test({
  name: "a JSR user's first use builds the shim into the cache once; later uses reuse or repair it",
  ignore: !!skip,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "denotrt-jsr-" });
    const pkg = `${dir}/pkg`;
    const cache = `${dir}/cache`;
    const files = await copyPublishedPackage(pkg);
    assert(!files.some((f) => f.startsWith("build/")), "no Makefile outputs in the package");
    const server = servePackage(pkg);
    const env = userEnv({ DENOTRT_CACHE: cache });
    const run = (script: string) => runDeno(["run", "-A", "--no-config", "--no-lock", script], env, dir);
    const remoteProbe = `${dir}/probe_remote.ts`;
    const localProbe = `${dir}/probe_local.ts`;
    await Deno.writeTextFile(remoteProbe, probeScript(new URL("mod.ts", server.url).href));
    await Deno.writeTextFile(localProbe, probeScript(`file://${pkg}/mod.ts`));
    let libPath = "";
    const fetchedSources = () => server.requests.filter((p) => p.startsWith("/c_shim/"));
    const objects = () =>
      [...Deno.readDirSync(`${libPath.slice(0, libPath.lastIndexOf("/"))}/obj`)].map((e) => e.name).sort();
    try {
      await t.step("three concurrent first uses from a URL all load; one builds, the others wait for it", async () => {
        // More than two, so that two of them wait on the lock at once.
        const runs = await Promise.all([run(remoteProbe), run(remoteProbe), run(remoteProbe)]);
        const all = runs.map(show).join("\n");
        assert(runs.every((r) => r.code === 0), all);
        const [la, ...others] = runs.map(loaded);
        libPath = la.path;
        for (const l of others) assertEquals(l.path, la.path);
        assert(libPath.startsWith(`${cache}/${VERSION}/`) && libPath.endsWith("/libdenotrt.so"), libPath);
        assertEquals(la.abiVersion, 2);
        const lines = runs.flatMap((r) => buildLines(r.stderr));
        assertEquals(lines.length, 1, all);
        assert(lines[0].includes(libPath.slice(0, libPath.lastIndexOf("/"))), lines[0]);
        // A fresh cache compiles every file of the plan (fewer: objects from elsewhere, or another version's code).
        const plan = planBuild(detectToolchain(), SHIM_SOURCES);
        assert(lines[0].includes(`: compiling ${plan.compiles.length} files`), lines[0]);
        // Fetched as text from the package's URL: every source exactly once (one build).
        assertEquals(fetchedSources().sort(), SHIM_SOURCES.map((f) => `/${f}`).sort());
        const left = [...Deno.readDirSync(libPath.slice(0, libPath.lastIndexOf("/")))].map((e) => e.name);
        assert(!left.some((n) => n.includes(".tmp-")), `temporary files left: ${left.join(" ")}`);
        console.log(`first use (with the build): ${(Math.max(...runs.map((r) => r.ms)) / 1000).toFixed(1)} s`);
      });

      await t.step("the second use reuses the cached library: no build line, fast", async () => {
        const before = Deno.statSync(libPath).mtime?.getTime();
        const objs = objects();
        const r = await run(localProbe);
        assertEquals(loaded(r).path, libPath);
        assertEquals(buildLines(r.stderr), [], show(r));
        assertEquals(Deno.statSync(libPath).mtime?.getTime(), before);
        assertEquals(objects(), objs);
        assert(r.ms < 20_000, `the second use took ${r.ms} ms`);
        console.log(`second use: ${(r.ms / 1000).toFixed(1)} s`);
      });

      await t.step("a truncated cached library is detected and rebuilt from the cached objects", async () => {
        const size = Deno.statSync(libPath).size;
        Deno.truncateSync(libPath, Math.floor(size / 2));
        const objs = objects();
        const requestsBefore = fetchedSources().length;
        const r = await run(localProbe);
        assertEquals(loaded(r).path, libPath);
        const lines = buildLines(r.stderr);
        assertEquals(lines.length, 1, show(r));
        assert(/damaged: it has \d+ bytes.*rebuilding.*relinking the cached objects/.test(lines[0]), lines[0]);
        assertEquals(Deno.statSync(libPath).size, size);
        assertEquals(objects(), objs, "every object was reused (relinked only)");
        assertEquals(fetchedSources().length, requestsBefore, "a local package's sources are read, not fetched");
        const again = await run(localProbe);
        assertEquals(buildLines(again.stderr), [], show(again));
      });

      await t.step("setup, run from the package's URL, reports what it found and the library", async () => {
        const r = await runDeno(
          ["run", "-A", "--no-config", "--no-lock", new URL("setup.ts", server.url).href],
          env,
          dir,
        );
        assertEquals(r.code, 0, show(r));
        for (const key of ["CUDA toolkit:", "cuDNN headers:", "cuBLASLt headers:", "TensorRT headers:", "GPU:"]) {
          assert(r.stdout.includes(key), `${key}\n${show(r)}`);
        }
        assert(r.stdout.includes(`${libPath} (already built`), show(r));
        assert(r.stdout.includes(`in use:`) && r.stdout.includes(libPath), show(r));
      });
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
