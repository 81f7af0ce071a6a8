/** CUDA events: ordering between streams and GPU-side timing. */
import { sym } from "../../ffi/load.ts";
import { check, checkAsync, createHandle } from "../core/call.ts";
import { NativeResource } from "../core/resource.ts";
import type { Stream } from "./stream.ts";

function destroyEvent(h: Deno.PointerObject): void {
  check("denotrt_event_destroy", (err) => sym().denotrt_event_destroy(h, err));
}

export class CudaEvent extends NativeResource {
  /** `timing: false` makes a cheaper event usable only for ordering. */
  constructor(options: { timing?: boolean } = {}) {
    const timing = options.timing ?? true;
    super(createHandle("denotrt_event_create", (out, err) => sym().denotrt_event_create(timing ? 1 : 0, out, err)), "CudaEvent", destroyEvent);
  }

  /** Marks the current end of `stream`'s queue. */
  record(stream: Stream): this {
    const e = this.handle, s = stream.handle;
    check("denotrt_event_record", (err) => sym().denotrt_event_record(e, s, err));
    return this;
  }

  synchronize(): Promise<void> {
    const e = this.handle;
    return checkAsync("denotrt_event_synchronize", (err) => sym().denotrt_event_synchronize(e, err));
  }

  synchronizeSync(): void {
    const e = this.handle;
    check("denotrt_event_synchronize", (err) => sym().denotrt_event_synchronize_sync(e, err));
  }

  /** True once the recorded work has completed. */
  query(): boolean {
    const done = new Int32Array(1);
    const e = this.handle;
    check("denotrt_event_query", (err) => sym().denotrt_event_query(e, new Uint8Array(done.buffer), err));
    return done[0] === 1;
  }

  /** Milliseconds of GPU time between `start` and this event (both recorded and completed). */
  elapsedSince(start: CudaEvent): number {
    const ms = new Float32Array(1);
    const a = start.handle, b = this.handle;
    check("denotrt_event_elapsed_ms", (err) => sym().denotrt_event_elapsed_ms(a, b, new Uint8Array(ms.buffer), err));
    return ms[0];
  }

  [Symbol.dispose](): void {
    this.disposeWith(destroyEvent);
  }
}
