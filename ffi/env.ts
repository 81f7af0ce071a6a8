/**
 * Small synchronous probes of the environment and the file system for the loader and the build. Each treats a
 * missing permission like an absent value, so finding the library never throws for a permission it turns out not
 * to need; the build checks the permissions it needs up front (ffi/build.ts).
 */

/** An environment variable's value; undefined when unset, empty, or not readable (no --allow-env). */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** Looks a variable up: the process environment by default; tests pass a fixed table. */
export type EnvLookup = (name: string) => string | undefined;

export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

export function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** The names in a directory (empty when it is absent or unreadable), sorted so every search is deterministic. */
export function listDir(path: string): string[] {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

export function readTextOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Joins path parts with "/" (the build only runs on Linux) without doubling separators. */
export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/").replace(/\/{2,}/g, "/");
}

/** The directory part of a path ("/a/b/c" → "/a/b"; "c" → "."). */
export function dirName(path: string): string {
  const i = path.replace(/\/+$/, "").lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/** A 64-bit non-cryptographic hash (two multiply-xor lanes) as 16 hex digits: cache keys and damage checks. */
export function hash64(data: Uint8Array, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed ^ data.length, h2 = 0x41c6ce57 ^ seed ^ data.length;
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
}
