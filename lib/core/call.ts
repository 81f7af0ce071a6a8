/**
 * Calling the shim: every fallible symbol takes a trailing error record, and a non-zero status becomes a typed
 * error. Synchronous calls share one scratch record (JavaScript runs them one at a time); nonblocking calls run on
 * worker threads concurrently, so each gets its own.
 */
import { newErrorRecord, readErrorRecord } from "../../ffi/error_record.ts";
import { errorFromStatus } from "./errors.ts";

const scratch = newErrorRecord();

/** Runs `fn(err)` and throws the typed error if it returns a non-zero status. `what` names the operation. */
export function check(what: string, fn: (err: Uint8Array<ArrayBuffer>) => number): void {
  const status = fn(scratch);
  if (status !== 0) throw errorFromStatus({ ...readErrorRecord(scratch), status }, what);
}

/** The nonblocking counterpart of `check`. */
export async function checkAsync(what: string, fn: (err: Uint8Array<ArrayBuffer>) => Promise<number>): Promise<void> {
  const err = newErrorRecord();
  const status = await fn(err);
  if (status !== 0) throw errorFromStatus({ ...readErrorRecord(err), status }, what);
}

// Out-parameters: small reusable cells for pointers and numbers returned through pointers.
const ptrCell = new BigUint64Array(1);
const ptrBytes = new Uint8Array(ptrCell.buffer);

/** Calls `fn(out, err)` where the shim writes a handle into `out`; returns the handle. */
export function createHandle(what: string, fn: (out: Uint8Array<ArrayBuffer>, err: Uint8Array<ArrayBuffer>) => number): Deno.PointerObject {
  ptrCell[0] = 0n;
  check(what, (err) => fn(ptrBytes, err));
  const p = Deno.UnsafePointer.create(ptrCell[0]);
  if (p === null) throw new Error(`${what} returned a NULL handle`);
  return p;
}

/** Encodes a JavaScript string as a NUL-terminated C string. */
export function cstr(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Reads a NUL-terminated C string at `p` (empty for NULL). */
export function readCString(p: Deno.PointerValue): string {
  return p === null ? "" : Deno.UnsafePointerView.getCString(p);
}
