/** ffi/sync_jobs.ts: async jobs (subprocesses, fetches) run from synchronous code, in parallel, results in order. */
import { runJobsSync } from "../../ffi/sync_jobs.ts";
import { assert, assertEquals } from "../_assert.ts";

Deno.test("jobs run in parallel and their results come back in order, with exit codes and output", () => {
  const t0 = performance.now();
  const r = runJobsSync([
    { kind: "run", cmd: "sh", args: ["-c", "sleep 0.5; echo one"] },
    { kind: "run", cmd: "sh", args: ["-c", "sleep 0.5; echo two >&2"] },
  ], 2);
  const ms = performance.now() - t0;
  assertEquals(r.map((x) => [x.ok, x.code, x.output]), [[true, 0, "one\n"], [true, 0, "two\n"]]);
  assert(ms < 950, `two 0.5 s jobs with 2 lanes took ${ms} ms: not parallel`);
});

Deno.test("jobs that outlast the start timeout still finish (the worker reports that it started)", () => {
  const r = runJobsSync([{ kind: "run", cmd: "sh", args: ["-c", "sleep 1; echo done"] }], 1, 200);
  assertEquals(r[0].output, "done\n");
});

Deno.test("a failing job reports its exit code and output, and the jobs after it are skipped", () => {
  const r = runJobsSync([
    { kind: "run", cmd: "sh", args: ["-c", "echo broken >&2; exit 7"] },
    { kind: "run", cmd: "sh", args: ["-c", "echo never"] },
  ], 1);
  assertEquals([r[0].ok, r[0].code, r[0].output], [false, 7, "broken\n"]);
  assertEquals([r[1].ok, r[1].skipped], [false, true]);
});

Deno.test("fetches write their files; a failed fetch and a missing command are results, not exceptions", async () => {
  // A file: URL stands in for the package's URL: a server in this process could not answer while it waits.
  const dir = await Deno.makeTempDir();
  try {
    Deno.writeTextFileSync(`${dir}/a.h`, "#define A 1\n");
    const ok = runJobsSync([{ kind: "fetch", url: `file://${dir}/a.h`, path: `${dir}/sub/a.h` }], 2);
    assertEquals(ok[0].ok, true, ok[0].output);
    assertEquals(Deno.readTextFileSync(`${dir}/sub/a.h`), "#define A 1\n");
    const refused = runJobsSync([{ kind: "fetch", url: "http://127.0.0.1:1/b.h", path: `${dir}/b.h` }], 1);
    assert(!refused[0].ok && refused[0].output.includes("http://127.0.0.1:1/b.h"), refused[0].output);
    const nocmd = runJobsSync([{ kind: "run", cmd: `${dir}/no-such-compiler`, args: [] }], 1);
    assert(!nocmd[0].ok && nocmd[0].code === -1 && nocmd[0].output.includes("no-such-compiler"), nocmd[0].output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
