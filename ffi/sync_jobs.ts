/**
 * Runs asynchronous jobs (fetches, subprocesses) to completion from synchronous code. library() is synchronous,
 * since any API call may be the first, yet building the shim wants parallel compiles and, for a package imported
 * from a URL, fetches. A Worker does the jobs while this thread waits on a SharedArrayBuffer (Atomics.wait).
 *
 * The worker's code is one self-contained function sent as a data: URL. It imports nothing on purpose: loading a
 * module that is not cached yet would go through this (blocked) thread's module loader and never finish.
 */

/** A command to run; `output` of its result is the tail of its stderr and stdout. */
export interface RunJob {
  kind: "run";
  cmd: string;
  args: string[];
  cwd?: string;
}

/** A file to download to `path` (its directory is created). */
export interface FetchJob {
  kind: "fetch";
  url: string;
  path: string;
}

export type Job = RunJob | FetchJob;

export interface JobResult {
  ok: boolean;
  /** Exit code of a command; -1 when it could not start or was skipped. */
  code: number;
  /** A command's output tail, or why a job failed. */
  output: string;
  skipped?: boolean;
}

interface Request {
  sab: SharedArrayBuffer;
  jobs: Job[];
  parallel: number;
}

// Layout of the shared buffer: int32 state (0 waiting, 1 started, 2 done), int32 byte length of the JSON reply,
// then the reply.
const HEADER = 8;
const STARTED = 1;
const DONE = 2;
const START_TIMEOUT_MS = 30_000;

/**
 * The worker's body (serialized with Function.prototype.toString, so it must use only globals). Jobs run at most
 * `parallel` at a time, in order; after the first failure the rest are skipped (the build is lost anyway).
 */
function workerMain(): void {
  const MAX_OUTPUT = 6000;
  const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<Request>) => void) | null };
  scope.onmessage = async (e: MessageEvent<Request>) => {
    const { sab, jobs, parallel } = e.data;
    const state = new Int32Array(sab, 0, 2);
    Atomics.store(state, 0, 1);
    Atomics.notify(state, 0);
    const results: JobResult[] = [];
    let failed = false;
    const tail = (s: string) => (s.length > MAX_OUTPUT ? "…" + s.slice(-MAX_OUTPUT) : s);
    const one = async (job: Job): Promise<JobResult> => {
      if (failed) return { ok: false, code: -1, output: "skipped after an earlier failure", skipped: true };
      try {
        if (job.kind === "fetch") {
          const res = await fetch(job.url);
          if (!res.ok) {
            await res.body?.cancel();
            return { ok: false, code: -1, output: `GET ${job.url}: HTTP ${res.status} ${res.statusText}` };
          }
          const bytes = new Uint8Array(await res.arrayBuffer());
          await Deno.mkdir(job.path.slice(0, job.path.lastIndexOf("/")) || "/", { recursive: true });
          await Deno.writeFile(job.path, bytes);
          return { ok: true, code: 0, output: "" };
        }
        const out = await new Deno.Command(job.cmd, { args: job.args, cwd: job.cwd, stdout: "piped", stderr: "piped" })
          .output();
        const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
        return { ok: out.success, code: out.code, output: tail(text) };
      } catch (err) {
        const what = job.kind === "fetch" ? `GET ${job.url}` : job.cmd;
        return {
          ok: false,
          code: -1,
          output: `${what}: ${err instanceof Error ? `${err.name}: ${err.message}` : err}`,
        };
      }
    };
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const i = next++;
        const r = await one(jobs[i]);
        if (!r.ok) failed = true;
        results[i] = r;
      }
    };
    let reply: string;
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, lane));
      reply = JSON.stringify(results);
    } catch (err) {
      reply = JSON.stringify({ error: String(err) });
    }
    const room = sab.byteLength - 8;
    let bytes = new TextEncoder().encode(reply);
    if (bytes.length > room) bytes = new TextEncoder().encode(JSON.stringify({ error: "reply too large" }));
    new Uint8Array(sab, 8, bytes.length).set(bytes);
    Atomics.store(state, 1, bytes.length);
    Atomics.store(state, 0, 2);
    Atomics.notify(state, 0);
  };
}

/**
 * Runs `jobs` (at most `parallel` at once) and returns one result per job, in order; blocks until all are done.
 * A worker that has not picked the jobs up after `startTimeoutMs` is an error (it failed to start).
 */
export function runJobsSync(jobs: Job[], parallel: number, startTimeoutMs = START_TIMEOUT_MS): JobResult[] {
  if (jobs.length === 0) return [];
  const sab = new SharedArrayBuffer(HEADER + (1 << 20) + jobs.length * 7000);
  const state = new Int32Array(sab, 0, 2);
  const source = `(${workerMain.toString()})();`;
  const worker = new Worker(`data:application/javascript,${encodeURIComponent(source)}`, { type: "module" });
  try {
    worker.postMessage({ sab, jobs, parallel } satisfies Request);
    Atomics.wait(state, 0, 0, startTimeoutMs);
    if (Atomics.load(state, 0) === 0) {
      throw new Error(`the build worker did not start within ${startTimeoutMs / 1000} s`);
    }
    while (Atomics.load(state, 0) !== DONE) Atomics.wait(state, 0, STARTED, 60_000);
    const length = Atomics.load(state, 1);
    const reply: JobResult[] | { error: string } = JSON.parse(
      new TextDecoder().decode(new Uint8Array(sab, HEADER, length).slice()),
    );
    if (!Array.isArray(reply)) throw new Error(`the build worker failed: ${reply.error}`);
    return reply;
  } finally {
    worker.terminate();
  }
}
