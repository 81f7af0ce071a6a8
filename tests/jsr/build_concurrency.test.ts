/**
 * ffi/build.ts with several processes at once, as several first uses of a JSR package start together. The builds run
 * on a stand-in toolchain (a shell script playing nvcc and cc: an object is its source's copy, and every compile
 * first checks that its whole source tree is still there), so a build takes a second and no CUDA is needed:
 *   - four concurrent first uses, three times: one builds, the others wait on the lock and take its library; the
 *     sources are fetched once; a dead builder's leftovers are removed; nothing temporary is left;
 *   - a builder killed while it holds the lock: the kernel frees the lock, a waiting process builds, and it removed
 *     the dead one's half-fetched sources, which it had left alone while their owner lived;
 *   - a package URL serving another source list than the loaded modules (Deno's module cache holding an earlier
 *     content of the URL): a LibraryError saying so and how to reload, before anything is compiled.
 * The builds are subprocesses: the build blocks its thread while fetching, so this process must stay free to serve.
 */
import { checkLibrary } from "../../ffi/cache.ts";
import { listDir } from "../../ffi/env.ts";
import { MANIFEST_FILE, manifestMismatch, parseManifest } from "../../ffi/fetch_sources.ts";
import { SHIM_SOURCES } from "../../ffi/shim_sources.ts";
import { assert, assertEquals } from "../_assert.ts";
import { buildLines, type PackageServer, servePackage, type ServeHooks, userEnv } from "./_package.ts";
import { manifestText, repoRoot } from "./_tree.ts";

/** The stand-in nvcc's release, which names the build directory. */
const FAKE_CUDA = "99.9";

/** nvcc and cc in one script: `--version`; compile (`-c src -o out`): copy; link (`*.o -o out`): concatenate. */
function fakeCompiler(sourceCount: number): string {
  return `#!/bin/sh
if [ "$1" = "--version" ]; then echo "Cuda compilation tools, release ${FAKE_CUDA}, V${FAKE_CUDA}.0"; exit 0; fi
out=; src=; prev=
for a in "$@"; do
  case "$prev" in -o) out=$a ;; -c) src=$a ;; esac
  prev=$a
done
sleep 0.02
if [ -n "$src" ]; then
  n=$(find c_shim -type f | wc -l)
  if [ "$n" -ne ${sourceCount} ] || [ ! -f "$src" ]; then
    echo "fake compiler: the sources in $PWD changed under it ($n of ${sourceCount} files)" >&2
    exit 1
  fi
  cp "$src" "$out"
else
  : > "$out"
  for a in "$@"; do case "$a" in *.o) cat "$a" >> "$out" ;; esac; done
fi
`;
}

/** The one build a subprocess runs: its result as JSON on stdout, or BUILD-ERROR and exit 3. */
const BUILD_SCRIPT = `import { buildLibrary } from ${JSON.stringify(import.meta.resolve("../../ffi/build.ts"))};
const [versionDir, root, envJson] = Deno.args;
const table = JSON.parse(envJson);
try {
  const r = buildLibrary({ versionDir, packageRoot: new URL(root), env: (name) => table[name] });
  console.log(JSON.stringify({ built: r.built, compiled: r.compiled, reused: r.reused, path: r.path }));
} catch (e) {
  console.error("BUILD-ERROR " + e.name + ": " + e.message);
  Deno.exit(3);
}
`;

interface Fixture {
  dir: string;
  server: PackageServer;
  script: string;
  /** What the build reads instead of the environment: only the stand-in toolchain. */
  env: Record<string, string>;
}

async function withFixture(hooks: ServeHooks, fn: (fx: Fixture) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "denotrt-build-race-" });
  const cuda = `${dir}/cuda`;
  await Deno.mkdir(`${cuda}/bin`, { recursive: true });
  await Deno.mkdir(`${cuda}/include`);
  const nvcc = `${cuda}/bin/nvcc`;
  await Deno.writeTextFile(nvcc, fakeCompiler(SHIM_SOURCES.length), { mode: 0o755 });
  const script = `${dir}/build.ts`;
  await Deno.writeTextFile(script, BUILD_SCRIPT);
  const env = {
    CUDA_HOME: cuda,
    CC: nvcc,
    PYTHON: `${dir}/no-python`,
    CUDNN_INCLUDE: `${cuda}/include`,
    CUBLAS_INCLUDE: `${cuda}/include`,
    TENSORRT_INCLUDE: `${cuda}/include`,
    CUDA_INCLUDE: `${cuda}/include`,
  };
  const server = servePackage(repoRoot(), hooks);
  try {
    await fn({ dir, server, script, env });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

interface Running {
  pid: number;
  child: Deno.ChildProcess;
  /** stderr so far. */
  stderr: () => string;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

function spawnBuild(fx: Fixture, versionDir: string): Running {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", "--no-lock", fx.script, versionDir, fx.server.url, JSON.stringify(fx.env)],
    env: userEnv({}),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let err = "";
  const readErr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) err += chunk;
  })();
  const out = new Response(child.stdout).text();
  const done = (async () => {
    const [status, stdout] = await Promise.all([child.status, out, readErr]);
    return { code: status.code, stdout, stderr: err };
  })();
  return { pid: child.pid, child, stderr: () => err, done };
}

interface Built {
  built: boolean;
  compiled: number;
  reused: number;
  path: string;
}

function result(r: { code: number; stdout: string; stderr: string }): Built {
  assertEquals(r.code, 0, `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

/** Every name under `dir` that is a temporary one. */
function temporaries(dir: string): string[] {
  const out: string[] = [];
  for (const name of listDir(dir)) {
    if (name.includes(".tmp-")) out.push(name);
    out.push(...temporaries(`${dir}/${name}`).map((n) => `${name}/${n}`));
  }
  return out;
}

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fetchedSources = (requests: string[]) => requests.filter((p) => p.startsWith("/c_shim/")).sort();
const ALL_SOURCES = SHIM_SOURCES.map((f) => `/${f}`).sort();

Deno.test("four concurrent first uses, three times: one builds, the others use its library; nothing is left", async () => {
  await withFixture({}, async (fx) => {
    for (let round = 0; round < 3; round++) {
      const versionDir = `${fx.dir}/cache-${round}`;
      const dir = `${versionDir}/${FAKE_CUDA}`;
      if (round === 1) {
        // A builder that died mid-build (no process has this pid: it is above Linux's pid_max).
        await Deno.mkdir(`${dir}/src.tmp-999999999-deadbeef/c_shim/src`, { recursive: true });
        await Deno.writeTextFile(`${dir}/src.tmp-999999999-deadbeef/c_shim/src/a.c`, "int a;\n");
        await Deno.writeTextFile(`${dir}/libdenotrt.so.tmp-999999999`, "half a library");
      }
      const before = fx.server.requests.length;
      const runs = await Promise.all(Array.from({ length: 4 }, () => spawnBuild(fx, versionDir).done));
      const shown = runs.map((r) => `exit ${r.code}\n${r.stdout}${r.stderr}`).join("\n---\n");
      const results = runs.map(result);
      assertEquals(results.filter((r) => r.built).length, 1, shown);
      assertEquals(runs.flatMap((r) => buildLines(r.stderr)).length, 1, shown);
      const builder = results.find((r) => r.built)!;
      assert(builder.compiled > 0 && builder.reused === 0, JSON.stringify(builder));
      for (const r of results) assertEquals(r.path, `${dir}/libdenotrt.so`);
      assertEquals(fetchedSources(fx.server.requests.slice(before)), ALL_SOURCES, "every source fetched once");
      assertEquals(temporaries(versionDir), [], "nothing temporary left");
      assertEquals(checkLibrary(dir).state, "valid");
    }
  });
});

Deno.test("a builder killed while holding the lock: the waiting process builds and removes its leftovers", async () => {
  // The first builder's fetches stall after 10 sources, so it is killed with the lock held and its copy half made.
  const gate = Promise.withResolvers<void>();
  let served = 0;
  const hooks: ServeHooks = { before: (p) => (p.startsWith("/c_shim/") && ++served > 10 ? gate.promise : undefined) };
  await withFixture(hooks, async (fx) => {
    const versionDir = `${fx.dir}/cache`;
    const dir = `${versionDir}/${FAKE_CUDA}`;
    const first = spawnBuild(fx, versionDir);
    const itsCopy = () => listDir(dir).filter((n) => n.startsWith(`src.tmp-${first.pid}-`));
    try {
      await until("the first builder to stall in its fetches", () => served > 10 && itsCopy().length === 1);
      const second = spawnBuild(fx, versionDir);
      await until("the second process to wait for the first", () => second.stderr().includes(`process ${first.pid}`));
      // While its owner lives, the waiting process leaves the half-made copy alone and makes none of its own.
      await new Promise((r) => setTimeout(r, 300));
      assertEquals(temporaries(dir).filter((n) => !n.startsWith(`${itsCopy()[0]}/`)), itsCopy());
      assert(listDir(`${dir}/${itsCopy()[0]}/c_shim`).length > 0, "the first builder's copy is still there");
      first.child.kill("SIGKILL");
      await first.done;
      gate.resolve();
      const r = await second.done;
      const built = result(r);
      assert(built.built && built.compiled > 0, JSON.stringify(built));
      assertEquals(buildLines(r.stderr).length, 1, r.stderr);
      assertEquals(temporaries(versionDir), [], "the dead builder's copy was removed; nothing temporary left");
      assertEquals(checkLibrary(dir).state, "valid");
    } finally {
      gate.resolve();
      try {
        first.child.kill("SIGKILL");
      } catch { /* already gone */ }
      await first.done;
    }
  });
});

Deno.test("a package URL serving another source list than the loaded modules is a LibraryError that says to reload", async () => {
  const later = "c_shim/src/builtin/added_later.h";
  const served = manifestText([...SHIM_SOURCES, later].sort());
  await withFixture({ replace: { [`/${MANIFEST_FILE}`]: served } }, async (fx) => {
    const versionDir = `${fx.dir}/cache`;
    const r = await spawnBuild(fx, versionDir).done;
    assertEquals(r.code, 3, r.stdout + r.stderr);
    const error = r.stderr.match(/BUILD-ERROR ([\s\S]*)$/)?.[1] ?? "";
    assert(error.startsWith("LibraryError: "), r.stderr);
    assert(error.includes(`serves other shim sources`) && error.includes(later), error);
    assert(error.includes(`--reload=${fx.server.url}`), error);
    assertEquals(buildLines(r.stderr), [], "stopped before compiling");
    assertEquals(temporaries(versionDir), [], "the fetched copy was removed");
    assertEquals(checkLibrary(`${versionDir}/${FAKE_CUDA}`).state, "missing");
  });
});

Deno.test("the manifest parser reads what tests/jsr/_tree.ts writes; the mismatch names both sides", () => {
  const text = Deno.readTextFileSync(`${repoRoot()}/${MANIFEST_FILE}`);
  assertEquals(parseManifest(text), [...SHIM_SOURCES]);
  assertEquals(parseManifest(manifestText(["c_shim/a.h", "c_shim/b \"q\".c"])), ["c_shim/a.h", "c_shim/b \"q\".c"]);
  assertEquals(manifestMismatch(SHIM_SOURCES, SHIM_SOURCES), undefined);
  const m = manifestMismatch(["a", "n1", "n2", "n3", "n4"], ["a", "old"]) ?? "";
  assert(m.includes("lists 4 file(s) the loaded list lacks (n1, n2, n3, …)"), m);
  assert(m.includes("lacks 1 file(s) the loaded list has (old)"), m);
});
