import { sym } from "../../ffi/load.ts";
import { drainLog, type Logger, setLogger, Severity } from "../../lib/core/log.ts";
import { assertEquals } from "../_assert.ts";

class Collect implements Logger {
  records: [Severity, string][] = [];
  constructor(public minSeverity: Severity) {}
  log(s: Severity, m: string) {
    this.records.push([s, m]);
  }
}

const enc = (s: string) => new TextEncoder().encode(s + "\0");

Deno.test("queued records are drained in order, filtered by severity", () => {
  const c = new Collect(Severity.WARNING);
  setLogger(c);
  drainLog(); // start empty
  sym().denotrt_log_write(Severity.ERROR, enc("first"));
  sym().denotrt_log_write(Severity.INFO, enc("dropped at the source"));
  sym().denotrt_log_write(Severity.WARNING, enc("second"));
  drainLog();
  assertEquals(c.records, [[Severity.ERROR, "first"], [Severity.WARNING, "second"]]);
});

Deno.test("a verbose logger receives verbose records, and long records arrive whole up to 4 KiB", () => {
  const c = new Collect(Severity.VERBOSE);
  setLogger(c);
  drainLog();
  const long = "x".repeat(3000);
  sym().denotrt_log_write(Severity.VERBOSE, enc(long));
  drainLog();
  assertEquals(c.records, [[Severity.VERBOSE, long]]);
  setLogger(new Collect(Severity.WARNING));
});
