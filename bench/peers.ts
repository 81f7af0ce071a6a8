/**
 * Running a peer script (Python, on the device beside denotrt): its config goes in a JSON file, its result rows come
 * back as JSON lines on stdout, its stderr goes to a log. A time limit ends it (SIGTERM, then SIGKILL); the rows it
 * printed before that still count, and every configuration it owed but never reported becomes an n/a row.
 */
import { parseRows, type ResultRow } from "./results.ts";

export interface PeerOutcome {
  rows: ResultRow[];
  seconds: number;
  /** Why the script ended badly (a timeout, a non-zero exit, no python), or undefined. */
  failure?: string;
}

export async function runPeer(
  python: string,
  script: string,
  config: unknown,
  opts: { timeoutS: number; logFile: string; configFile: string },
): Promise<PeerOutcome> {
  const t0 = performance.now();
  await Deno.writeTextFile(opts.configFile, JSON.stringify(config, null, 1));
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(python, {
      args: [script, `@${opts.configFile}`],
      stdout: "piped",
      stderr: "piped",
      env: { PYTHONUNBUFFERED: "1" },
    }).spawn();
  } catch (e) {
    return { rows: [], seconds: 0, failure: `cannot start ${python}: ${e instanceof Error ? e.message : e}` };
  }
  let timedOut = false;
  const term = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  }, opts.timeoutS * 1000);
  const kill = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, opts.timeoutS * 1000 + 5000);
  const log = await Deno.open(opts.logFile, { create: true, append: true });
  const [stdout, , status] = await Promise.all([
    new Response(child.stdout).text(),
    child.stderr.pipeTo(log.writable),
    child.status,
  ]);
  clearTimeout(term);
  clearTimeout(kill);
  const seconds = (performance.now() - t0) / 1000;
  let rows: ResultRow[] = [];
  let failure: string | undefined;
  try {
    rows = parseRows(stdout, script);
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  if (timedOut) failure = `timed out after ${opts.timeoutS} s`;
  else if (!status.success && !failure) failure = `exited with code ${status.code} (see ${opts.logFile})`;
  return { rows, seconds, failure };
}

export type RowKey = Pick<ResultRow, "model" | "batch" | "runtime" | "precision" | "variant" | "transfers">;

function keyOf(r: RowKey): string {
  return JSON.stringify([r.model, r.batch, r.runtime, r.precision, r.variant ?? null, r.transfers]);
}

/**
 * The rows a peer owed but did not print become n/a with `reason`. A peer may report a whole model n/a with
 * batch 0 (it could not build the model); that covers every batch of that model and runtime configuration.
 */
export function fillMissing(expected: RowKey[], got: ResultRow[], reason: string): ResultRow[] {
  const seen = new Set(got.map(keyOf));
  const wholeModel = new Set(got.filter((r) => r.batch === 0).map((r) => keyOf({ ...r, batch: 0 })));
  const missing = expected.filter((k) => !seen.has(keyOf(k)) && !wholeModel.has(keyOf({ ...k, batch: 0 })));
  return [...got, ...missing.map((k): ResultRow => ({ ...k, status: "n/a", reason }))];
}
