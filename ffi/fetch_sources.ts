/**
 * The shim's sources on disk for a build (ffi/build.ts): the package directory itself when the package is local, or
 * a scratch copy fetched file by file from the package's URL (a remote directory cannot be listed, so the list is
 * ffi/shim_sources.ts).
 *
 * A fetched copy is checked against the list this process was loaded with. Deno caches a URL's modules in
 * DENO_DIR and does not fetch them again, while the sources are fetched live: when the URL's contents changed since
 * the modules were cached (a branch, a local server on a reused port), the old list would fetch a set of files that
 * lacks the new ones and the compile would fail on a missing header. The package's own ffi/shim_sources.ts, fetched
 * alongside, shows that, and the error says so and how to reload.
 */
import { LibraryError } from "../lib/core/errors.ts";
import { isFile, joinPath, readTextOrUndefined } from "./env.ts";
import { SHIM_SOURCES } from "./shim_sources.ts";
import { type Job, runJobsSync } from "./sync_jobs.ts";

const FETCH_PARALLEL = 8;
/** The list's own path in the package (the file this module imports as SHIM_SOURCES). */
export const MANIFEST_FILE = "ffi/shim_sources.ts";
/** Scratch copies are named `${SCRATCH_PREFIX}<pid>-<random>` inside the build directory. */
export const SCRATCH_PREFIX = "src.tmp-";

export interface Sources {
  dir: string;
  /** Removes a fetched copy (nothing for a local package). */
  cleanup: () => void;
}

export function fileUrlPath(url: URL): string {
  return decodeURIComponent(url.pathname).replace(/\/$/, "");
}

/**
 * The paths listed in the text of ffi/shim_sources.ts: one JSON string per line inside the array, as
 * tests/jsr/_tree.ts manifestText writes it.
 */
export function parseManifest(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*("(?:[^"\\]|\\.)*"),?\s*$/);
    if (m) out.push(JSON.parse(m[1]));
  }
  return out;
}

/** What differs between the list a package serves and the one this process runs with; undefined when they agree. */
export function manifestMismatch(served: readonly string[], loaded: readonly string[]): string | undefined {
  const have = new Set(loaded);
  const serves = new Set(served);
  const added = served.filter((f) => !have.has(f));
  const removed = loaded.filter((f) => !serves.has(f));
  if (!added.length && !removed.length) return undefined;
  const few = (l: string[]) => l.slice(0, 3).join(", ") + (l.length > 3 ? ", …" : "");
  return [
    added.length ? `it lists ${added.length} file(s) the loaded list lacks (${few(added)})` : "",
    removed.length ? `it lacks ${removed.length} file(s) the loaded list has (${few(removed)})` : "",
  ].filter(Boolean).join(", and ");
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch { /* already gone */ }
}

/**
 * The sources: the package directory itself, or a copy fetched from the package's URL into a new directory under
 * `scratchParent` (the caller holds the build lock, which is what makes the name's directory its own).
 */
export function obtainSources(root: URL, scratchParent: string): Sources {
  if (root.protocol === "file:") {
    const dir = fileUrlPath(root);
    const missing = SHIM_SOURCES.filter((f) => !isFile(joinPath(dir, f)));
    if (missing.length) {
      throw new LibraryError(
        `the package at ${dir} lacks ${missing.length} of the shim's sources (${missing.slice(0, 3).join(", ")}…)`,
        missing,
      );
    }
    return { dir, cleanup: () => {} };
  }
  const dir = joinPath(scratchParent, `${SCRATCH_PREFIX}${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  // The manifest goes last, so a package that serves nothing is reported by its first source.
  const jobs: Job[] = [...SHIM_SOURCES, MANIFEST_FILE].map((f) => ({
    kind: "fetch",
    url: new URL(f, root).href,
    path: joinPath(dir, f),
  }));
  const failed = runJobsSync(jobs, FETCH_PARALLEL).find((r) => !r.ok && !r.skipped);
  if (failed) {
    removeQuietly(dir);
    throw new LibraryError(`could not fetch the shim's sources from ${root.href}: ${failed.output}`, [root.href]);
  }
  const mismatch = manifestMismatch(parseManifest(readTextOrUndefined(joinPath(dir, MANIFEST_FILE)) ?? ""), SHIM_SOURCES);
  if (mismatch) {
    removeQuietly(dir);
    throw new LibraryError(
      `the package at ${root.href} now serves other shim sources than the denotrt modules this process loaded ` +
        `from it: its ${MANIFEST_FILE} differs (${mismatch}). Deno had those modules cached from an earlier ` +
        `content of that URL. Run once with \`deno run --reload=${root.href} …\` (or import a versioned URL, ` +
        `e.g. jsr:@denotrt/trt@<version>), or set DENOTRT_LIB to a prebuilt libdenotrt.so.`,
      [new URL(MANIFEST_FILE, root).href],
    );
  }
  return { dir, cleanup: () => removeQuietly(dir) };
}
