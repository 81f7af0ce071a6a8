/** Argument checks done in TypeScript, so bad sizes and ranges never reach C. */
import { InvalidArgumentError } from "./errors.ts";

/** Largest size accepted anywhere (64 TiB): catches negative numbers and garbage before they become huge u64s. */
export const MAX_BYTES = 2 ** 46;

export function checkByteSize(what: string, n: number): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative integer number of bytes, got ${n}`);
  }
  if (n > MAX_BYTES) throw new InvalidArgumentError(`${what} of ${n} bytes is larger than the ${MAX_BYTES}-byte limit`);
  return n;
}

/** Checks that [offset, offset + bytes) lies inside a buffer of `size` bytes. */
export function checkRange(what: string, offset: number, bytes: number, size: number): void {
  checkByteSize(`${what} offset`, offset);
  checkByteSize(`${what} length`, bytes);
  if (offset + bytes > size) {
    throw new InvalidArgumentError(
      `${what}: ${bytes} bytes at offset ${offset} overrun the ${size}-byte buffer`,
    );
  }
}
