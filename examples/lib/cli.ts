/** What every example's command line shares: flags via node:util parseArgs, --help, errors, stage timing. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DenotrtError, InvalidArgumentError } from "../../mod.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;
/** The parsed flags: strings, or booleans for boolean flags; absent unless given or defaulted. */
export type Flags<O extends Options> = { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string };

/**
 * Parses Deno.args-style flags strictly (unknown flags and stray positionals are errors). With --help / -h the usage
 * text is printed and the process exits 0.
 */
export function parseFlags<O extends Options>(args: string[], options: O, usage: string): Flags<O> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new InvalidArgumentError(`${e instanceof Error ? e.message : e}\n\n${usage}`);
  }
  if (values.help) {
    console.log(usage);
    Deno.exit(0);
  }
  return values as Flags<O>;
}

/** A number flag within [min, max]. */
export function numberFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new InvalidArgumentError(`--${name} must be a number from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

/** Runs an example's main: a denotrt error (bad input, missing file, unusable model) is one line and exit code 1. */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof DenotrtError) {
      console.error(`error: ${e.message}`);
      Deno.exit(1);
    }
    throw e;
  }
}

/** Wall-clock time per named stage, printed at the end; notes (e.g. repeated runs) are listed but not summed. */
export class StageTimes {
  readonly stages: { name: string; ms: number; note: boolean }[] = [];

  async time<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.stages.push({ name, ms: performance.now() - t0, note: false });
    }
  }

  note(name: string, ms: number): void {
    this.stages.push({ name, ms, note: true });
  }

  /** The median of `runs` more calls of `fn`, noted as "<name> (median of N more)". */
  async repeat(name: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    if (ms.length) this.note(`${name} (median of ${ms.length} more)`, ms.sort((a, b) => a - b)[ms.length >> 1]);
  }

  report(): string {
    const rows = this.stages.map((s) => [s.note ? `  ${s.name}` : s.name, s.ms] as const);
    const total = this.stages.filter((s) => !s.note).reduce((a, s) => a + s.ms, 0);
    const w = Math.max(5, ...rows.map(([n]) => n.length));
    return rows.concat([["total", total]]).map(([n, ms]) => `  ${n.padEnd(w)}  ${formatMs(ms)}`).join("\n");
  }
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}
