/**
 * Finds and opens libdenotrt.so, once per process. Order: DENOTRT_LIB; the library built next to this module
 * (a local checkout's build/); the system search path. A missing library or one of another ABI version fails
 * with a LibraryError that lists every path tried and how to build one.
 */
import { LibraryError } from "../lib/core/errors.ts";
import { ABI_VERSION, symbols, type Symbols } from "./symbols.ts";

export const LIBRARY_NAME = "libdenotrt.so";
const ENV_VAR = "DENOTRT_LIB";

let opened: { lib: Deno.DynamicLibrary<typeof symbols>; path: string } | undefined;

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

/** The candidate paths, in the order they are tried. */
export function libraryCandidates(): string[] {
  const fromEnv = readEnv(ENV_VAR);
  if (fromEnv) return [fromEnv];
  const out: string[] = [];
  const here = new URL(`../build/${LIBRARY_NAME}`, import.meta.url);
  if (here.protocol === "file:") out.push(decodeURIComponent(here.pathname));
  out.push(LIBRARY_NAME); // the dynamic linker's own search: LD_LIBRARY_PATH, ldconfig cache
  return out;
}

/** Opens the library at `path` and checks its ABI version; throws LibraryError on any failure. */
export function openLibraryAt(path: string): Deno.DynamicLibrary<typeof symbols> {
  const lib = Deno.dlopen(path, symbols);
  const abi = lib.symbols.denotrt_abi_version();
  if (abi !== ABI_VERSION) {
    lib.close();
    throw new LibraryError(
      `${path} has ABI version ${abi}, but this module needs ${ABI_VERSION}: rebuild it with \`make lib\` ` +
        `from the same version of denotrt`,
      [path],
    );
  }
  return lib;
}

/** The opened library, loading it on first use. */
export function library(): { symbols: Symbols; path: string } {
  if (opened) return { symbols: opened.lib.symbols, path: opened.path };
  const tried: string[] = [];
  const reasons: string[] = [];
  for (const path of libraryCandidates()) {
    tried.push(path);
    try {
      const lib = openLibraryAt(path);
      opened = { lib, path };
      return { symbols: lib.symbols, path };
    } catch (e) {
      if (e instanceof LibraryError) throw e; // found, but the wrong version: don't silently take another
      if (e instanceof Deno.errors.NotCapable || (e instanceof Error && /--allow-ffi/.test(e.message))) {
        throw new LibraryError(`loading ${LIBRARY_NAME} needs the --allow-ffi permission (${e.message})`, [path]);
      }
      reasons.push(`  ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new LibraryError(
    `could not load ${LIBRARY_NAME}. Tried:\n${reasons.join("\n")}\n` +
      `Build it with \`make lib\` in a checkout of denotrt (needs nvcc from the CUDA toolkit), ` +
      `or set ${ENV_VAR} to the path of a built library.`,
    tried,
  );
}

/** Shorthand for `library().symbols`. */
export function sym(): Symbols {
  return library().symbols;
}

/** Closes the library (tests only: every handle must already be released). */
export function closeLibrary(): void {
  opened?.lib.close();
  opened = undefined;
}
