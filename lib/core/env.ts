/** An environment variable, or undefined when unset, empty, or not readable (no --allow-env): the library's knobs
 * are optional, so a script run with --allow-ffi alone behaves as if none were set. */
export function optionalEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
