/**
 * The lanes of a timing run (trtexec's --streams=N): lane 0 is the opened engine's own context and stream; every
 * other lane gets a new execution context of the same engine and its own stream (on CUDA); each lane binds its own
 * random input sets and outputs (pinned host and device memory), so lanes share nothing but the engine's weights.
 */
import { type InferenceEngine, InvalidArgumentError, Stream } from "../mod.ts";
import { Bindings } from "./bindings.ts";
import type { Lane } from "./measure.ts";

/** The most lanes a run may ask for: each holds a context (its activation memory) and its own input sets. */
export const MAX_STREAMS = 64;

export class Lanes implements AsyncDisposable {
  readonly lanes: Lane[] = [];
  readonly #owned: Disposable[] = [];
  readonly #streams: Stream[] = [];

  /** Opens `count` lanes at `shapes` with `inputSets` random sets each; `transfers` as for Bindings. */
  constructor(
    ie: InferenceEngine,
    shapes: Map<string, number[]>,
    count: number,
    inputSets: number,
    transfers: boolean,
  ) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_STREAMS) {
      throw new InvalidArgumentError(`the number of streams must be an integer from 1 to ${MAX_STREAMS}, got ${count}`);
    }
    try {
      for (let i = 0; i < count; i++) {
        let ctx = ie.context, stream = ie.stream;
        if (i > 0) {
          ctx = ie.engine.createExecutionContext();
          this.#owned.push(ctx);
          if (ie.device === "cuda") {
            stream = new Stream();
            this.#streams.push(stream);
          }
        }
        const bindings = new Bindings(ctx, shapes, stream, inputSets, transfers);
        this.#owned.push(bindings);
        this.lanes.push({ ctx, stream, bindings });
      }
    } catch (e) {
      this.#release();
      throw e;
    }
  }

  #release(): void {
    // Bindings and contexts in reverse order of creation, then the streams they ran on.
    for (const d of this.#owned.reverse()) d[Symbol.dispose]();
    for (const s of this.#streams) s[Symbol.dispose]();
    this.#owned.length = 0;
    this.#streams.length = 0;
    this.lanes.length = 0;
  }

  /** Waits for every lane's stream to drain (copies into host buffers may still be queued), then releases all. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await Promise.all(this.lanes.map((l) => l.stream?.synchronize()));
    } finally {
      this.#release();
    }
  }
}
