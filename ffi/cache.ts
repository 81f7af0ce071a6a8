/**
 * The per-version cache of libdenotrt.so builds: <root>/<denotrt version>/<CUDA version>/libdenotrt.so, where root
 * is DENOTRT_CACHE or the platform's cache directory (~/.cache/denotrt on Linux). Beside each library, a stamp
 * records its size and hash: a library that does not match its stamp (truncated, overwritten, or a build that
 * never finished) is damaged and gets rebuilt, instead of being handed to dlopen, which would crash on a truncated
 * file (SIGBUS) rather than fail.
 */
import { VERSION } from "../lib/version.ts";
import { type EnvLookup, hash64, isFile, joinPath, listDir, readEnv, readTextOrUndefined } from "./env.ts";
import { cudaVersionFromHeaders, locateNvcc } from "./toolchain.ts";
import type { BuildParts } from "./build_plan.ts";

export const LIBRARY_FILE = "libdenotrt.so";
const STAMP_FILE = "libdenotrt.so.stamp.json";

export interface Stamp {
  size: number;
  hash: string;
  version: string;
  cuda: string;
  parts: BuildParts;
  builtAt: string;
}

/** The cache root, or undefined when no directory can be named (no DENOTRT_CACHE and no HOME, or no --allow-env). */
export function cacheRoot(env: EnvLookup = readEnv): string | undefined {
  const given = env("DENOTRT_CACHE");
  if (given) return given;
  const home = env("HOME");
  switch (Deno.build.os) {
    case "darwin":
      return home && joinPath(home, "Library", "Caches", "denotrt");
    case "windows": {
      const local = env("LOCALAPPDATA");
      return local && joinPath(local, "denotrt");
    }
    default: {
      const xdg = env("XDG_CACHE_HOME");
      return xdg ? joinPath(xdg, "denotrt") : home && joinPath(home, ".cache", "denotrt");
    }
  }
}

export type LibraryState = { state: "valid"; stamp: Stamp } | { state: "missing" } | {
  state: "damaged";
  reason: string;
};

/** Whether `dir` holds a complete library matching its stamp. */
export function checkLibrary(dir: string): LibraryState {
  const lib = joinPath(dir, LIBRARY_FILE);
  if (!isFile(lib)) return { state: "missing" };
  const stampText = readTextOrUndefined(joinPath(dir, STAMP_FILE));
  let stamp: Stamp;
  try {
    stamp = JSON.parse(stampText ?? "");
  } catch {
    return { state: "damaged", reason: "its stamp is missing or unreadable (an unfinished build?)" };
  }
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(lib);
  } catch (e) {
    return { state: "damaged", reason: `it cannot be read (${e instanceof Error ? e.message : e})` };
  }
  if (bytes.length !== stamp.size) {
    return { state: "damaged", reason: `it has ${bytes.length} bytes, not ${stamp.size}` };
  }
  if (hash64(bytes) !== stamp.hash) {
    return { state: "damaged", reason: "its contents do not match the hash recorded when it was built" };
  }
  return { state: "valid", stamp };
}

/** Writes the stamp for the library at `libPath` (about to be renamed into `dir`), atomically. */
export function writeStamp(dir: string, libPath: string, fields: Omit<Stamp, "size" | "hash" | "builtAt">): Stamp {
  const bytes = Deno.readFileSync(libPath);
  const stamp: Stamp = { size: bytes.length, hash: hash64(bytes), ...fields, builtAt: new Date().toISOString() };
  const tmp = joinPath(dir, `${STAMP_FILE}.tmp-${Deno.pid}`);
  Deno.writeTextFileSync(tmp, JSON.stringify(stamp, null, 2) + "\n");
  Deno.renameSync(tmp, joinPath(dir, STAMP_FILE));
  return stamp;
}

/** Where this machine's build lives (or will): the version's directory and, when known, the CUDA version. */
export interface CacheSlot {
  versionDir: string;
  /** The CUDA version that names the build's directory; unknown when the toolkit's cuda.h is not found. */
  cuda?: string;
  /** The library's path (existing or to be built), when the directory is known. */
  path?: string;
  lib: LibraryState;
}

/**
 * Finds this version's cached build without running anything: for the toolkit whose cuda.h is next to nvcc,
 * its directory; when no toolkit's version can be read, the newest valid build of this version, if any.
 */
export function findCachedLibrary(env: EnvLookup = readEnv): CacheSlot | undefined {
  const root = cacheRoot(env);
  if (!root) return undefined;
  const versionDir = joinPath(root, VERSION);
  const nvcc = locateNvcc(env);
  const cuda = "nvcc" in nvcc ? cudaVersionFromHeaders(nvcc) : undefined;
  if (cuda) {
    const dir = joinPath(versionDir, cuda);
    return { versionDir, cuda, path: joinPath(dir, LIBRARY_FILE), lib: checkLibrary(dir) };
  }
  // No toolkit version to go by: the newest valid build of this version; else a damaged one, to be rebuilt in place.
  const builds = listDir(versionDir)
    .map((name) => ({ name, lib: checkLibrary(joinPath(versionDir, name)) }))
    .filter((b) => b.lib.state !== "missing")
    .sort((a, b) => rank(b.lib) - rank(a.lib));
  const pick = builds[0];
  if (!pick) return { versionDir, lib: { state: "missing" } };
  return { versionDir, cuda: pick.name, path: joinPath(versionDir, pick.name, LIBRARY_FILE), lib: pick.lib };
}

/** Valid builds first, newest first. */
function rank(s: LibraryState): number {
  return s.state === "valid" ? 1 + (Date.parse(s.stamp.builtAt) || 0) : 0;
}
