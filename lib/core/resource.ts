/**
 * The base of every object that owns a native handle. Dispose is idempotent; a disposed object throws
 * DisposedError instead of passing a freed handle to C. A FinalizationRegistry frees what a program forgot to
 * dispose, as a backstop only, and says so in the log.
 */
import { DisposedError } from "./errors.ts";
import { logWarning } from "./log.ts";

interface Held {
  what: string;
  release: () => void;
}

const backstop = new FinalizationRegistry<Held>((held) => {
  try {
    held.release();
    logWarning(`${held.what} was garbage-collected without being disposed; free it with \`using\` or dispose()`);
  } catch {
    // The process may be shutting down; nothing useful can be done with the error here.
  }
});

export abstract class NativeResource {
  #handle: Deno.PointerObject | null;
  readonly #what: string;
  #token = {};

  protected constructor(handle: Deno.PointerObject, what: string, release: (h: Deno.PointerObject) => void) {
    this.#handle = handle;
    this.#what = what;
    backstop.register(this, { what, release: () => release(handle) }, this.#token);
  }

  /** The live handle; throws DisposedError after dispose. */
  get handle(): Deno.PointerObject {
    if (this.#handle === null) throw new DisposedError(this.#what);
    return this.#handle;
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  /** Frees the native handle. The subclass's `release` runs once; later calls do nothing. */
  protected disposeWith(release: (h: Deno.PointerObject) => void): void {
    const h = this.#handle;
    if (h === null) return;
    this.#handle = null;
    backstop.unregister(this.#token);
    release(h);
  }

  abstract [Symbol.dispose](): void;
}
