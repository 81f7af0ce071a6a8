/** CUDA streams and the graphs captured from them. */
import { sym } from "../../ffi/load.ts";
import { check, checkAsync, createHandle } from "../core/call.ts";
import { NativeResource } from "../core/resource.ts";
import type { CudaEvent } from "./event.ts";

function destroyStream(h: Deno.PointerObject): void {
  check("denotrt_stream_destroy", (err) => sym().denotrt_stream_destroy(h, err));
}
function destroyGraph(h: Deno.PointerObject): void {
  check("denotrt_graph_destroy", (err) => sym().denotrt_graph_destroy(h, err));
}

export interface StreamOptions {
  /** Do not synchronize with the legacy default stream (default true, as TensorRT's samples do). */
  nonBlocking?: boolean;
}

export class Stream extends NativeResource {
  constructor(options: StreamOptions = {}) {
    const nonBlocking = options.nonBlocking ?? true;
    super(
      createHandle("denotrt_stream_create", (out, err) => sym().denotrt_stream_create(nonBlocking ? 1 : 0, out, err)),
      "Stream",
      destroyStream,
    );
  }

  /** Resolves when all work queued so far has finished; waits on a worker thread, not the event loop. */
  synchronize(): Promise<void> {
    const h = this.handle;
    return checkAsync("denotrt_stream_synchronize", (err) => sym().denotrt_stream_synchronize(h, err));
  }

  /** Blocks the JavaScript thread until the stream is idle. */
  synchronizeSync(): void {
    const h = this.handle;
    check("denotrt_stream_synchronize", (err) => sym().denotrt_stream_synchronize_sync(h, err));
  }

  /** True when all queued work has finished (never blocks). */
  query(): boolean {
    const done = new Int32Array(1);
    const h = this.handle;
    check("denotrt_stream_query", (err) => sym().denotrt_stream_query(h, new Uint8Array(done.buffer), err));
    return done[0] === 1;
  }

  /** Later work on this stream waits until `event` has completed. */
  waitEvent(event: CudaEvent): void {
    const h = this.handle, e = event.handle;
    check("denotrt_stream_wait_event", (err) => sym().denotrt_stream_wait_event(h, e, err));
  }

  /** Starts capturing the work queued on this stream into a CUDA graph instead of running it. */
  beginCapture(): void {
    const h = this.handle;
    check("denotrt_stream_begin_capture", (err) => sym().denotrt_stream_begin_capture(h, err));
  }

  /** Ends the capture and returns the instantiated graph, ready to launch. */
  endCapture(): Graph {
    const h = this.handle;
    return new Graph(createHandle("denotrt_stream_end_capture", (out, err) => sym().denotrt_stream_end_capture(h, out, err)));
  }

  /** Runs `fn` under capture and returns the graph of what it queued. */
  capture(fn: (stream: Stream) => void): Graph {
    this.beginCapture();
    try {
      fn(this);
    } catch (e) {
      try {
        this.endCapture()[Symbol.dispose]();
      } catch { /* the capture was already invalid; the original error matters */ }
      throw e;
    }
    return this.endCapture();
  }

  [Symbol.dispose](): void {
    this.disposeWith(destroyStream);
  }

  /** Waits for queued work, then disposes: safe while copies into host buffers are still in flight. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return;
    try {
      await this.synchronize();
    } finally {
      this[Symbol.dispose]();
    }
  }
}

/** An instantiated CUDA graph: replays the captured work with one launch. */
export class Graph extends NativeResource {
  /** @internal created by Stream.endCapture */
  constructor(handle: Deno.PointerObject) {
    super(handle, "Graph", destroyGraph);
  }

  launch(stream: Stream): void {
    const g = this.handle, s = stream.handle;
    check("denotrt_graph_launch", (err) => sym().denotrt_graph_launch(g, s, err));
  }

  [Symbol.dispose](): void {
    this.disposeWith(destroyGraph);
  }
}
