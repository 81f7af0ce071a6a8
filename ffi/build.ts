/**
 * Builds libdenotrt.so from the package's own C/CUDA sources into the per-version cache (ffi/cache.ts), for a
 * package used without a checkout (imported from JSR or a URL). The commands are the Makefile's
 * (ffi/build_plan.ts); compiles run in parallel, one per core.
 *
 * - Sources: read in place when the package is a local directory; fetched as text, file by file (the list is
 *   ffi/shim_sources.ts), into a scratch directory when it was imported from a URL (ffi/fetch_sources.ts).
 * - Concurrency: an exclusive flock on <dir>/.lock, taken before anything in <dir> is written and held until the
 *   build's own temporary files are gone. flock excludes every other process (each opens the file itself) and the
 *   kernel releases it when its holder exits or is killed, so a lock is never stale and never taken over. Whoever
 *   gets it second finds the library built and uses it. The `.building` file (the holder's pid) only names whom a
 *   waiting process waits for; it decides nothing.
 * - Temporary names: everything named `*.tmp-*` in <dir> (the fetched sources, the library and stamp before their
 *   rename) is created only by the lock's holder and removed by it before it lets go. So the holder may remove any
 *   it finds on arrival: they can only be a dead builder's (tests/jsr/build_concurrency.test.ts).
 * - Atomicity: objects and the library are written under temporary names and renamed into place; the stamp
 *   (size and hash) is written first, so a half-installed library reads as damaged, never as valid.
 * - Objects are kept, keyed by their command, source and headers: a damaged library is rebuilt by relinking.
 */
import { LibraryError } from "../lib/core/errors.ts";
import { VERSION } from "../lib/version.ts";
import { type BuildParts, type BuildPlan, linkArgv, planBuild } from "./build_plan.ts";
import { checkLibrary, LIBRARY_FILE, writeStamp } from "./cache.ts";
import { type EnvLookup, hash64, isFile, joinPath, listDir, readEnv, readTextOrUndefined } from "./env.ts";
import { obtainSources, type Sources } from "./fetch_sources.ts";
import { SHIM_SOURCES } from "./shim_sources.ts";
import { type Job, runJobsSync } from "./sync_jobs.ts";
import { detectToolchain, type Toolchain } from "./toolchain.ts";

/** The package's root: a directory on disk, or a URL (https://jsr.io/@denotrt/trt/<version>/) to fetch from. */
export const PACKAGE_ROOT: URL = new URL("../", import.meta.url);
/** What a JSR user runs to build ahead of time (printed in messages). */
export const SETUP_COMMAND = "deno run -A jsr:@denotrt/trt/setup";

export interface BuildOptions {
  /** <cache root>/<denotrt version>. */
  versionDir: string;
  /** The build directory's name under versionDir; default: the toolkit's CUDA version. */
  cuda?: string;
  /** Why it is built (e.g. the cached library is damaged), for the printed line. */
  reason?: string;
  /** Relink even when a valid library is there (objects are still reused unless `clean`). */
  force?: boolean;
  /** Drop the cached objects first: every file is compiled again. */
  clean?: boolean;
  packageRoot?: URL;
  env?: EnvLookup;
  /** Where the one "building" line goes; default stderr. */
  log?: (line: string) => void;
}

export interface BuildResult {
  path: string;
  /** False when a valid library was already there (built by another process, or earlier). */
  built: boolean;
  toolchain: Toolchain;
  parts: BuildParts;
  compiled: number;
  reused: number;
  seconds: number;
}

/** The permission flags building needs and this process lacks (queried, never prompted). */
export function missingBuildPermissions(versionDir: string | undefined, packageRoot: URL = PACKAGE_ROOT): string[] {
  const granted = (d: Deno.PermissionDescriptor) => {
    try {
      return Deno.permissions.querySync(d).state === "granted";
    } catch {
      return false;
    }
  };
  const missing: string[] = [];
  if (!granted({ name: "run" })) missing.push("--allow-run");
  if (!granted({ name: "env" })) missing.push("--allow-env");
  if (!granted({ name: "read" })) missing.push("--allow-read");
  if (!granted(versionDir ? { name: "write", path: versionDir } : { name: "write" })) missing.push("--allow-write");
  if (packageRoot.protocol !== "file:" && !granted({ name: "net", host: packageRoot.host })) {
    missing.push(`--allow-net=${packageRoot.host}`);
  }
  return missing;
}

function describeParts(tc: Toolchain, parts: BuildParts): string {
  const on = [parts.cudnn && "cuDNN", parts.cublaslt && "cuBLASLt", parts.tensorrt && "TensorRT"].filter(Boolean);
  const off = [!parts.cudnn && "cuDNN", !parts.cublaslt && "cuBLASLt", !parts.tensorrt && "TensorRT"].filter(Boolean);
  return `CUDA ${tc.cudaVersion}` + (on.length ? `, with ${on.join(", ")}` : "") +
    (off.length ? `, without ${off.join(", ")} (no headers)` : "");
}

interface ObjectJob {
  argv: string[];
  obj: string;
}

/** Each compile's object path in the cache, named by a hash of its command, its source and every header. */
function objectPaths(plan: BuildPlan, srcDir: string, objDir: string): ObjectJob[] {
  const enc = new TextEncoder();
  const headers = SHIM_SOURCES.filter((f) => /\.(h|hpp|cuh|inc)$/.test(f))
    .map((f) => `${f}\n${hash64(Deno.readFileSync(joinPath(srcDir, f)))}`).join("\n");
  const headersHash = hash64(enc.encode(headers));
  return plan.compiles.map(({ src, argv }) => {
    const source = hash64(Deno.readFileSync(joinPath(srcDir, src)));
    const key = hash64(enc.encode(`${JSON.stringify(argv)}\n${source}\n${headersHash}`));
    const name = src.replace(/^c_shim\/src\//, "").replaceAll("/", "__");
    return { argv, obj: joinPath(objDir, `${name}.${key}.o`) };
  });
}

function commandLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch { /* already gone */ }
}

/** Compiles what is not cached yet, in parallel; returns how many were compiled. */
function compileMissing(objs: ObjectJob[], srcDir: string): number {
  const todo = objs.filter((o) => !isFile(o.obj));
  const tmp = (o: ObjectJob) => `${o.obj}.tmp-${Deno.pid}`;
  const jobs: Job[] = todo.map((o) => ({
    kind: "run",
    cmd: o.argv[0],
    args: [...o.argv.slice(1), "-o", tmp(o)],
    cwd: srcDir,
  }));
  const results = runJobsSync(jobs, Math.max(1, navigator.hardwareConcurrency || 1));
  let failure: string | undefined;
  results.forEach((r, i) => {
    if (r.ok) Deno.renameSync(tmp(todo[i]), todo[i].obj);
    else {
      removeQuietly(tmp(todo[i]));
      if (!r.skipped && !failure) {
        failure = `\`${commandLine([...todo[i].argv, "-o", tmp(todo[i])])}\` ` +
          `(in ${srcDir}) failed with exit code ${r.code}:\n${r.output.trim()}`;
      }
    }
  });
  if (failure) throw new LibraryError(`building libdenotrt.so failed: ${failure}`, [srcDir]);
  return todo.length;
}

function link(tc: Toolchain, objs: ObjectJob[], out: string): { ok: true } | { ok: false; message: string } {
  const argv = linkArgv(tc, objs.map((o) => o.obj), out);
  try {
    const r = new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" }).outputSync();
    if (r.success) return { ok: true };
    const text = new TextDecoder().decode(r.stderr) + new TextDecoder().decode(r.stdout);
    return {
      ok: false,
      message: `\`${commandLine(argv)}\` failed with exit code ${r.code}:\n${text.trim().slice(-6000)}`,
    };
  } catch (e) {
    return { ok: false, message: `${argv[0]}: ${e instanceof Error ? e.message : e}` };
  }
}

/** The process that holds the build lock, if a live one said so. */
function builderPid(marker: string): number | undefined {
  const pid = Number(readTextOrUndefined(marker)?.trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === Deno.pid) return undefined;
  try {
    Deno.statSync(`/proc/${pid}`);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure <versionDir>/<cuda>/libdenotrt.so is a complete, current build, building it when it is not;
 * throws LibraryError (what is missing, or the failing command and its output) when it cannot.
 */
export function buildLibrary(opts: BuildOptions): BuildResult {
  const t0 = performance.now();
  const env = opts.env ?? readEnv;
  const log = opts.log ?? ((line: string) => console.error(line));
  const root = opts.packageRoot ?? PACKAGE_ROOT;
  const missing = missingBuildPermissions(opts.versionDir, root);
  if (missing.length) {
    throw new LibraryError(
      `libdenotrt.so has to be built (once per version) and this process lacks the permissions to build it: ` +
        `${missing.join(" ")}. Run \`${SETUP_COMMAND}\` once, or run with ${missing.join(" ")} ` +
        `(or -A), or set DENOTRT_LIB to a prebuilt libdenotrt.so.`,
      [opts.versionDir],
    );
  }
  const tc = detectToolchain(env);
  const cuda = opts.cuda ?? tc.cudaVersion;
  const dir = joinPath(opts.versionDir, cuda);
  const libPath = joinPath(dir, LIBRARY_FILE);
  Deno.mkdirSync(dir, { recursive: true });
  const marker = joinPath(dir, ".building");
  const lock = Deno.openSync(joinPath(dir, ".lock"), { create: true, write: true });
  try {
    const other = builderPid(marker);
    if (other) log(`denotrt: waiting for process ${other}, which is building ${LIBRARY_FILE} in ${dir}`);
    lock.lockSync(true);
    const plan = planBuild(tc, SHIM_SOURCES);
    const result = (built: boolean, compiled = 0, reused = 0): BuildResult => ({
      path: libPath,
      built,
      toolchain: tc,
      parts: plan.parts,
      compiled,
      reused,
      seconds: (performance.now() - t0) / 1000,
    });
    if (!opts.force && checkLibrary(dir).state === "valid") return result(false);
    const objDir = joinPath(dir, "obj");
    let sources: Sources | undefined;
    try {
      Deno.writeTextFileSync(marker, `${Deno.pid}\n`);
      // A dead builder's leftovers: only a lock holder creates `.tmp-` names here, and it removes its own before
      // letting go, so with the lock held none of these is live.
      for (const name of listDir(dir)) if (name.includes(".tmp-")) removeQuietly(joinPath(dir, name));
      if (opts.clean) removeQuietly(objDir);
      Deno.mkdirSync(objDir, { recursive: true });
      sources = obtainSources(root, dir);
      let objs = objectPaths(plan, sources.dir, objDir);
      const toCompile = objs.filter((o) => !isFile(o.obj)).length;
      const work = toCompile
        ? `compiling ${toCompile} files from the package's sources, a few minutes once per version ` +
          `(\`${SETUP_COMMAND}\` does this ahead of time)`
        : "relinking the cached objects";
      log(
        `denotrt: ${opts.reason ? `${opts.reason}; re` : ""}building ${LIBRARY_FILE} ` +
          `(${describeParts(tc, plan.parts)}) in ${dir}: ${work}`,
      );
      let compiled = compileMissing(objs, sources.dir);
      const tmpLib = `${libPath}.tmp-${Deno.pid}`;
      let linked = link(tc, objs, tmpLib);
      if (!linked.ok && compiled < objs.length) {
        // A cached object may be damaged: compile everything once more before giving up.
        removeQuietly(objDir);
        Deno.mkdirSync(objDir, { recursive: true });
        objs = objectPaths(plan, sources.dir, objDir);
        compiled = compileMissing(objs, sources.dir);
        linked = link(tc, objs, tmpLib);
      }
      if (!linked.ok) {
        removeQuietly(tmpLib);
        throw new LibraryError(`linking libdenotrt.so failed: ${linked.message}`, [dir]);
      }
      writeStamp(dir, tmpLib, { version: VERSION, cuda, parts: plan.parts });
      Deno.renameSync(tmpLib, libPath);
      const keep = new Set(objs.map((o) => o.obj.slice(objDir.length + 1)));
      for (const name of listDir(objDir)) if (!keep.has(name)) removeQuietly(joinPath(objDir, name));
      return result(true, compiled, objs.length - compiled);
    } finally {
      sources?.cleanup();
      removeQuietly(marker);
    }
  } finally {
    lock.close(); // closing releases the lock
  }
}
