/**
 * Finds and opens libdenotrt.so, once per process. Order:
 *   1. DENOTRT_LIB, if set (the only candidate then);
 *   2. build/libdenotrt.so next to this module (a local checkout after `make lib`);
 *   3. this version's build in the cache (ffi/cache.ts), checked against its stamp first;
 *   4. the dynamic linker's search path;
 *   5. otherwise it is built into the cache from the package's sources (ffi/build.ts), saying so in one line.
 * A library of another ABI version fails with a LibraryError (a cached one is rebuilt instead); so does a failed
 * build, with what to install or how to point DENOTRT_LIB at a prebuilt library.
 */
import { LibraryError } from "../lib/core/errors.ts";
import { buildLibrary, SETUP_COMMAND } from "./build.ts";
import { findCachedLibrary } from "./cache.ts";
import { readEnv } from "./env.ts";
import { ABI_VERSION, type Symbols, symbols } from "./symbols.ts";

export const LIBRARY_NAME = "libdenotrt.so";
const ENV_VAR = "DENOTRT_LIB";

let opened: { lib: Deno.DynamicLibrary<typeof symbols>; path: string } | undefined;

/** build/libdenotrt.so beside this module, when the module is a local directory. */
function checkoutLibrary(): string | undefined {
  const here = new URL(`../build/${LIBRARY_NAME}`, import.meta.url);
  return here.protocol === "file:" ? decodeURIComponent(here.pathname) : undefined;
}

/** The candidate paths, in the order they are tried before building one (a cached build only when it is intact). */
export function libraryCandidates(): string[] {
  const fromEnv = readEnv(ENV_VAR);
  if (fromEnv) return [fromEnv];
  const out: string[] = [];
  const checkout = checkoutLibrary();
  if (checkout) out.push(checkout);
  const cached = findCachedLibrary();
  if (cached?.path && cached.lib.state === "valid") out.push(cached.path);
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

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isFfiDenied(e: unknown): boolean {
  return e instanceof Deno.errors.NotCapable || (e instanceof Error && /--allow-ffi/.test(e.message));
}

/** The opened library, loading it on first use (and building it first when nothing loadable exists). */
export function library(): { symbols: Symbols; path: string } {
  if (opened) return { symbols: opened.lib.symbols, path: opened.path };
  const tried: string[] = [];
  const reasons: string[] = [];
  const use = (lib: Deno.DynamicLibrary<typeof symbols>, path: string) => {
    opened = { lib, path };
    return { symbols: lib.symbols, path };
  };
  const attempt = (path: string) => {
    tried.push(path);
    try {
      return use(openLibraryAt(path), path);
    } catch (e) {
      if (e instanceof LibraryError) throw e; // found, but the wrong version: don't silently take another
      if (isFfiDenied(e)) {
        throw new LibraryError(`loading ${LIBRARY_NAME} needs the --allow-ffi permission (${message(e)})`, [path]);
      }
      reasons.push(`  ${path}: ${message(e)}`);
      return undefined;
    }
  };

  const fromEnv = readEnv(ENV_VAR);
  if (fromEnv) {
    const fromEnvLib = attempt(fromEnv);
    if (fromEnvLib) return fromEnvLib;
    throw new LibraryError(
      `could not load ${LIBRARY_NAME}. Tried:\n${reasons.join("\n")}\n` +
        `Build it with \`make lib\` in a checkout of denotrt (needs nvcc from the CUDA toolkit), ` +
        `or set ${ENV_VAR} to the path of a built library.`,
      tried,
    );
  }
  const checkout = checkoutLibrary();
  const fromCheckout = checkout ? attempt(checkout) : undefined;
  if (fromCheckout) return fromCheckout;

  const slot = findCachedLibrary();
  let damaged: string | undefined;
  if (slot?.path && slot.lib.state === "valid") {
    tried.push(slot.path);
    try {
      return use(openLibraryAt(slot.path), slot.path);
    } catch (e) {
      if (isFfiDenied(e)) {
        throw new LibraryError(`loading ${LIBRARY_NAME} needs the --allow-ffi permission`, [slot.path]);
      }
      damaged = `the cached ${slot.path} does not load (${message(e)})`;
    }
  } else if (slot?.path && slot.lib.state === "damaged") {
    damaged = `the cached ${slot.path} is damaged: ${slot.lib.reason}`;
  } else if (slot) {
    reasons.push(`  ${slot.path ?? `${slot.versionDir}/`}: not built yet`);
  }
  const fromSystem = attempt(LIBRARY_NAME);
  if (fromSystem) return fromSystem;

  const triedText = `Looked for a built library first:\n${reasons.join("\n")}`;
  if (!slot) {
    throw new LibraryError(
      `could not load ${LIBRARY_NAME}, and there is no cache directory to build it into (DENOTRT_CACHE, else ` +
        `HOME; reading them needs --allow-env). Run \`${SETUP_COMMAND}\`, build it with \`make lib\` in a checkout ` +
        `of denotrt, or set ${ENV_VAR} to the path of a built library.\n${triedText}`,
      tried,
    );
  }
  let builtPath: string;
  try {
    builtPath = buildLibrary({ versionDir: slot.versionDir, cuda: slot.cuda, reason: damaged }).path;
  } catch (e) {
    if (e instanceof LibraryError) throw new LibraryError(`${e.message}\n${triedText}`, [...tried, ...e.tried]);
    throw e;
  }
  tried.push(builtPath);
  try {
    return use(openLibraryAt(builtPath), builtPath);
  } catch (e) {
    if (e instanceof LibraryError) throw e;
    throw new LibraryError(`${LIBRARY_NAME} was built at ${builtPath} but does not load: ${message(e)}`, tried);
  }
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
