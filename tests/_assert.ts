/** The one place tests import assertions from: node:assert stands in for @std/assert until JSR is reachable. */
import assert from "node:assert/strict";

export const assertEquals = (actual: unknown, expected: unknown, msg?: string): void => assert.deepStrictEqual(actual, expected, msg);
function assert_(cond: unknown, msg?: string): asserts cond {
  assert.ok(cond, msg);
}
export { assert_ as assert };

/** Asserts that `fn` throws an instance of `cls` whose message matches `pattern` (if given); returns the error. */
export function assertThrows<E extends Error>(fn: () => unknown, cls: new (...a: never[]) => E, pattern?: RegExp): E {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (pattern) assert.match((e as Error).message, pattern);
    return e as E;
  }
  throw new assert.AssertionError({ message: `expected ${cls.name} to be thrown` });
}

export async function assertRejects<E extends Error>(fn: () => Promise<unknown>, cls: new (...a: never[]) => E, pattern?: RegExp): Promise<E> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (pattern) assert.match((e as Error).message, pattern);
    return e as E;
  }
  throw new assert.AssertionError({ message: `expected ${cls.name} to be rejected` });
}
