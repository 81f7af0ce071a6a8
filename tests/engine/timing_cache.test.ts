// TimingCache (TensorRT's ITimingCache for the built-in engine) on any machine: the byte format of
// docs/TIMING_CACHE.md, refusal of damaged or foreign bytes, combine() and its GPU-mismatch rule, disposal; and
// plans carrying a tactics section.
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { BuilderConfig, DisposedError, InvalidArgumentError, liveHandles, TimingCache } from "../../mod.ts";
import { serializePlan } from "../../lib/builder/plan.ts";
import { convEntry, decodeCache, encodeCache, TC_HEADER_BYTES } from "./_timing_cache_codec.ts";
import { deserializeError } from "./_shim.ts";
import { GraphBuilder } from "./_graph.ts";

const H200 = { version: 1, gpu: "NVIDIA H200", cc: [9, 0] as [number, number] };

Deno.test("timing cache: an empty cache serializes to a header only and reads back", () => {
  using c = new TimingCache();
  assertEquals(c.size, 0);
  assertEquals(c.device, null);
  const bytes = c.serialize();
  assertEquals(bytes.length, TC_HEADER_BYTES);
  assertEquals(new TextDecoder().decode(bytes.subarray(0, 8)), "DNRTTCCH");
  using again = new TimingCache(bytes);
  assertEquals(again.size, 0);
});

Deno.test("timing cache: entries written from the documented format read back unchanged", () => {
  const crafted = encodeCache({ ...H200, entries: [convEntry(1), convEntry(2, 6), convEntry(3, 0)] });
  using c = new TimingCache(crafted);
  assertEquals(c.size, 3);
  assertEquals(c.device, { name: "NVIDIA H200", computeCapability: [9, 0] });
  const out = c.serialize();
  assertEquals([...out], [...crafted]);
  assertEquals(decodeCache(out).entries[1].value, [6n, 1n, 1n]);
});

Deno.test("timing cache: a repeated key keeps the later entry", () => {
  using c = new TimingCache(encodeCache({ ...H200, entries: [convEntry(1, 0), convEntry(1, 7)] }));
  assertEquals(c.size, 1);
  assertEquals(decodeCache(c.serialize()).entries[0].value[0], 7n);
});

Deno.test("timing cache: foreign, truncated, corrupt and newer-version bytes are refused with the reason", () => {
  const good = encodeCache({ ...H200, entries: [convEntry(1)] });
  assertThrows(() => new TimingCache(new TextEncoder().encode("DNRTPLAN and more bytes")), InvalidArgumentError, /no DNRTTCCH magic/);
  assertThrows(() => new TimingCache(good.subarray(0, 50)), InvalidArgumentError, /truncated/);
  assertThrows(() => new TimingCache(good.subarray(0, good.length - 4)), InvalidArgumentError, /truncated/);
  const flipped = good.slice();
  flipped[TC_HEADER_BYTES + 20] ^= 0x40;
  assertThrows(() => new TimingCache(flipped), InvalidArgumentError, /checksum/);
  const newer = encodeCache({ ...H200, version: 7, entries: [] });
  assertThrows(() => new TimingCache(newer), InvalidArgumentError, /version 7 is newer/);
  const badLen = encodeCache({ ...H200, entries: [{ ...convEntry(1), key: new Array(40).fill(1n) }] });
  assertThrows(() => new TimingCache(badLen), InvalidArgumentError, /40 key/);
});

Deno.test("timing cache: combine adds entries, and refuses another GPU's unless ignoreMismatch", () => {
  using a = new TimingCache(encodeCache({ ...H200, entries: [convEntry(1), convEntry(2)] }));
  using b = new TimingCache(encodeCache({ ...H200, entries: [convEntry(2, 5), convEntry(3)] }));
  a.combine(b);
  assertEquals(a.size, 3);
  assertEquals(decodeCache(a.serialize()).entries.find((e) => e.key[7] === 66n)?.value[0], 5n);
  using other = new TimingCache(encodeCache({ version: 1, gpu: "NVIDIA A100", cc: [8, 0], entries: [convEntry(9)] }));
  assertThrows(() => a.combine(other), InvalidArgumentError, /different GPUs.*A100.*ignoreMismatch/);
  assertEquals(a.size, 3);
  a.combine(other, true);
  assertEquals(a.size, 4);
  using empty = new TimingCache();
  empty.combine(other);
  assertEquals(empty.device?.name, "NVIDIA A100");
});

Deno.test("timing cache: use after dispose throws, dispose is idempotent, no handle is left", () => {
  const before = liveHandles().timingCache;
  const c = new TimingCache();
  assertEquals(liveHandles().timingCache, before + 1);
  c[Symbol.dispose]();
  c[Symbol.dispose]();
  assertThrows(() => c.serialize(), DisposedError);
  assertEquals(liveHandles().timingCache, before);
});

Deno.test("timing cache: BuilderConfig keeps the cache it is given and refuses anything else", () => {
  const config = new BuilderConfig();
  assertEquals(config.getTimingCache(), null);
  using c = config.createTimingCache();
  assert(config.setTimingCache(c));
  assertEquals(config.getTimingCache(), c);
  assertThrows(() => config.setTimingCache({} as TimingCache), InvalidArgumentError, /TimingCache/);
  assertThrows(() => new TimingCache("bytes" as unknown as Uint8Array), InvalidArgumentError, /Uint8Array/);
});

Deno.test("plan: a tactics section rides along and a CPU engine loads the plan", () => {
  const b = new GraphBuilder();
  b.input("x", [2, 4]);
  const [y] = b.node("Relu", ["x"], [[2, 4]]);
  b.output(y);
  const tactics = encodeCache({ ...H200, entries: [convEntry(1)] });
  const plain = serializePlan(b.g, { device: "cpu" });
  const withTactics = serializePlan(b.g, { device: "cpu", tactics });
  // The section sits before the 64-byte-aligned weights, so the plan grows by the bytes rounded to the alignment.
  assert(withTactics.length >= plain.length + tactics.length - 64, `${withTactics.length} vs ${plain.length}`);
  assertEquals(new DataView(withTactics.buffer).getUint32(8, true), 2);
  assertEquals(deserializeError(withTactics), undefined);
});
