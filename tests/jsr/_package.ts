/**
 * Plays the JSR user: the exact file set `deno publish` would upload (read from its --dry-run list), copied into a
 * temporary directory, optionally served over HTTP (so the package is a remote module, as from jsr:), and Deno
 * subprocesses that import it with a chosen cache directory and DENOTRT_LIB unset.
 */
import { repoRoot } from "./_tree.ts";

export interface PublishedFile {
  /** Relative to the package root. */
  path: string;
  /** The size `deno publish` printed, in bytes (approximate: it prints e.g. "5.46KB"). */
  bytes: number;
}

// Colour codes, should NO_COLOR be ignored.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 * 1024 };

/** The files `deno publish --dry-run` lists for this checkout. */
export async function publishedFiles(): Promise<PublishedFile[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: repoRoot(),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = (new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr))
    .replace(ANSI, "");
  if (!out.success) throw new Error(`deno publish --dry-run failed:\n${text}`);
  const prefix = `file://${repoRoot()}/`;
  const files: PublishedFile[] = [];
  for (const line of text.split("\n")) {
    const m = line.trim().match(/^(file:\/\/\S+) \(([\d.]+)(B|KB|MB)\)$/);
    if (!m) continue;
    if (!m[1].startsWith(prefix)) throw new Error(`a published file outside the repository: ${m[1]}`);
    files.push({ path: decodeURIComponent(m[1].slice(prefix.length)), bytes: Math.round(Number(m[2]) * UNITS[m[3]]) });
  }
  if (files.length === 0) throw new Error(`no files in deno publish --dry-run's output:\n${text}`);
  return files;
}

/** Copies the published file set into `dest`; returns the relative paths copied. */
export async function copyPublishedPackage(dest: string): Promise<string[]> {
  const files = await publishedFiles();
  for (const { path } of files) {
    const to = `${dest}/${path}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${repoRoot()}/${path}`, to);
  }
  return files.map((f) => f.path);
}

export interface PackageServer {
  /** http://127.0.0.1:<port>/<random>/: a URL no earlier run has used (see servePackage). */
  url: string;
  /** Every path requested, relative to `url` (with a leading "/"), in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Test doubles for servePackage: other contents for some paths, and a wait before answering (a slow network). */
export interface ServeHooks {
  /** Path (relative, with a leading "/") → the text served instead of the file. */
  replace?: Record<string, string>;
  before?: (path: string) => Promise<void> | undefined;
}

/**
 * Serves `dir` over HTTP with the content types Deno needs to import TypeScript from it, under a random path.
 * Deno caches remote modules by URL in DENO_DIR, which every test run on the machine shares, and never fetches a
 * cached one again; the kernel hands out ports again. On a URL an earlier run had used (an earlier version of the
 * code), the subprocesses would run that version's modules against this version's sources: the flaky "fatal error:
 * timing_cache.h: No such file or directory" of a CI run. A fresh path per server makes every URL new.
 */
export function servePackage(dir: string, hooks: ServeHooks = {}): PackageServer {
  const requests: string[] = [];
  const prefix = `/${crypto.randomUUID()}`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const full = decodeURIComponent(new URL(req.url).pathname);
    const path = full.startsWith(`${prefix}/`) ? full.slice(prefix.length) : full;
    requests.push(path);
    if (path === full || path.includes("..")) return new Response("not found", { status: 404 });
    await hooks.before?.(path);
    try {
      const body = hooks.replace?.[path] ?? await Deno.readFile(`${dir}${path}`);
      const type = path.endsWith(".ts")
        ? "application/typescript"
        : path.endsWith(".json")
        ? "application/json"
        : "text/plain";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}${prefix}/`,
    requests,
    close: () => server.shutdown(),
  };
}

export interface DenoRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** This process's environment without DENOTRT_LIB (and other denotrt settings), plus `extra`. */
export function userEnv(extra: Record<string, string>): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of ["DENOTRT_LIB", "DENOTRT_CACHE", "DENOTRT_REQUIRE_GPU"]) delete env[name];
  return { ...env, NO_COLOR: "1", ...extra };
}

/** Runs `deno <args>` in `cwd` with exactly `env` (no config file or lockfile of this repository applies). */
export async function runDeno(args: string[], env: Record<string, string>, cwd: string): Promise<DenoRun> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    env,
    clearEnv: true,
    cwd,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), ms: performance.now() - t0 };
}

/** A script that imports the package from `modUrl`, loads the library and prints {path, version, features} as JSON. */
export function probeScript(modUrl: string): string {
  return `import { libraryInfo } from ${JSON.stringify(modUrl)};
try {
  console.log(JSON.stringify(libraryInfo()));
} catch (e) {
  console.error("PROBE-ERROR " + e.name + ": " + e.message);
  Deno.exit(3);
}
`;
}

/** Lines that announce a build (ffi/build.ts prints exactly one per build). */
export function buildLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^denotrt: (?:.*; re)?building libdenotrt\.so \(CUDA /.test(l));
}

/**
 * Why a copied package cannot be imported here, or undefined. Its npm dependency (protobufjs) is fetched from the
 * registry on first import, so a machine without it (the GPU device has no network) cannot play the JSR user.
 */
export const npmUnreachable: string | undefined = await (async () => {
  try {
    const r = await fetch("https://registry.npmjs.org/protobufjs", { method: "HEAD", signal: AbortSignal.timeout(5000) });
    await r.body?.cancel();
    return r.ok ? undefined : `the npm registry answered ${r.status}`;
  } catch (e) {
    return `the npm registry is unreachable (${e instanceof Error ? e.message : e}), and a fresh package needs protobufjs from it`;
  }
})();
