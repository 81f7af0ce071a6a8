/**
 * The log bridge. The shim queues records (its own, and TensorRT's from its threads) and never calls into
 * JavaScript; `drainLog()` pops them and hands each to the current Logger. The API mirrors TensorRT's ILogger.
 */
import { sym } from "../../ffi/load.ts";

export enum Severity {
  INTERNAL_ERROR = 0,
  ERROR = 1,
  WARNING = 2,
  INFO = 3,
  VERBOSE = 4,
}

export interface Logger {
  /** Records at or below this severity number reach `log` (WARNING passes ERROR and INTERNAL_ERROR too). */
  minSeverity: Severity;
  log(severity: Severity, message: string): void;
}

/** The default logger: warnings and errors to stderr through console. */
export class ConsoleLogger implements Logger {
  constructor(public minSeverity: Severity = Severity.WARNING) {}
  log(severity: Severity, message: string): void {
    const tag = `[denotrt] ${Severity[severity]}:`;
    if (severity <= Severity.ERROR) console.error(tag, message);
    else if (severity === Severity.WARNING) console.warn(tag, message);
    else console.log(tag, message);
  }
}

let current: Logger = new ConsoleLogger();

/** Installs `logger` and tells the shim to drop records it would filter anyway. */
export function setLogger(logger: Logger): void {
  current = logger;
  try {
    sym().denotrt_log_set_severity(logger.minSeverity);
  } catch {
    // library not loadable yet: the severity is applied on the next drain
  }
}

export function getLogger(): Logger {
  return current;
}

const textBuf = new Uint8Array(4096);
const sevCell = new Int32Array(1);
const lenCell = new BigUint64Array(1);
const decoder = new TextDecoder();

/** Pops every queued record into the logger; returns how many were delivered. */
export function drainLog(): number {
  const s = sym();
  s.denotrt_log_set_severity(current.minSeverity);
  let n = 0;
  while (s.denotrt_log_pop(new Uint8Array(sevCell.buffer), textBuf, BigInt(textBuf.length), new Uint8Array(lenCell.buffer))) {
    const len = Math.min(Number(lenCell[0]), textBuf.length - 1);
    const severity = sevCell[0] as Severity;
    if (severity <= current.minSeverity) current.log(severity, decoder.decode(textBuf.subarray(0, len)));
    n++;
  }
  return n;
}

/** Logs a warning from TypeScript (runs on the JavaScript thread, so it may call the logger directly). */
export function logWarning(message: string): void {
  if (Severity.WARNING <= current.minSeverity) current.log(Severity.WARNING, message);
}
