/**
 * TimingCache: TensorRT's ITimingCache for the built-in engine. Kernel choices measured on one GPU, keyed by layer
 * geometry, dtype, layout and fusion (docs/TIMING_CACHE.md). A build consults it before timing and adds what it
 * measured, so rebuilding the same model, or another with the same layers, skips the timing:
 *
 *   using cache = config.createTimingCache(await Deno.readFile("model.cache").catch(() => undefined));
 *   config.setTimingCache(cache);
 *   const plan = await builder.buildSerializedNetwork(network, config);
 *   await Deno.writeFile("model.cache", cache.serialize());
 */
import { sym } from "../../ffi/load.ts";
import { check, createHandle } from "../core/call.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import { NativeResource } from "../core/resource.ts";

function destroyCache(h: Deno.PointerObject): void {
  check("denotrt_timing_cache_destroy", (err) => sym().denotrt_timing_cache_destroy(h, err));
}

export class TimingCache extends NativeResource {
  /** An empty cache, or one read back from `serialize()` bytes (foreign or damaged bytes throw InvalidArgumentError). */
  constructor(bytes?: Uint8Array) {
    if (bytes !== undefined && !(bytes instanceof Uint8Array)) {
      throw new InvalidArgumentError("a timing cache is created from a Uint8Array of serialized bytes");
    }
    const data = new Uint8Array(bytes ?? new Uint8Array(0)); // the shim copies; a private copy keeps the type simple
    super(
      createHandle("denotrt_timing_cache_create", (out, err) => sym().denotrt_timing_cache_create(data, BigInt(data.length), out, err)),
      "TimingCache",
      destroyCache,
    );
  }

  /** The bytes to store (a file, a database): `new TimingCache(bytes)` reads them back. */
  serialize(): Uint8Array {
    const h = this.handle;
    const needed = new BigUint64Array(1);
    check("denotrt_timing_cache_serialize", (err) => sym().denotrt_timing_cache_serialize(h, null, 0n, new Uint8Array(needed.buffer), err));
    const out = new Uint8Array(Number(needed[0]));
    check("denotrt_timing_cache_serialize", (err) => sym().denotrt_timing_cache_serialize(h, out, BigInt(out.length), new Uint8Array(needed.buffer), err));
    return out;
  }

  /** Adds `other`'s entries (TensorRT's combine). Caches from different GPUs are refused unless ignoreMismatch. */
  combine(other: TimingCache, ignoreMismatch = false): boolean {
    const h = this.handle, o = other.handle;
    check("denotrt_timing_cache_combine", (err) => sym().denotrt_timing_cache_combine(h, o, ignoreMismatch ? 1 : 0, err));
    return true;
  }

  /** Number of kernel choices held. */
  get size(): number {
    return Number(sym().denotrt_timing_cache_entries(this.handle));
  }

  /** The GPU the choices were measured on (null while the cache is empty and unbound). */
  get device(): { name: string; computeCapability: [number, number] } | null {
    const h = this.handle;
    const name = new Uint8Array(64), major = new Int32Array(1), minor = new Int32Array(1);
    check("denotrt_timing_cache_device", (err) =>
      sym().denotrt_timing_cache_device(h, name, 64n, new Uint8Array(major.buffer), new Uint8Array(minor.buffer), err));
    const end = name.indexOf(0);
    const text = new TextDecoder().decode(name.subarray(0, end < 0 ? name.length : end));
    return text ? { name: text, computeCapability: [major[0], minor[0]] } : null;
  }

  [Symbol.dispose](): void {
    this.disposeWith(destroyCache);
  }
}
