/**
 * Which timed kernel choice makes a build wrong (as `polygraphy debug build` does for TensorRT tactics): builds a
 * test fixture with the built-in engine on CUDA, each time with fresh timing, until one build's outputs are over
 * --bound against the fixture's onnxruntime reference and another's are under it. Then it rebuilds from the good
 * build's timing cache with one entry at a time taken from the bad build's: an entry that alone turns the outputs
 * wrong is printed as a culprit. (Found cuDNN 9.14's TF32 engine 51 with 2x4 CGA tiles on ResNet-50's strided 1x1
 * conv, now refused by cudnn_graph_conv.cu's known_wrong.) Timing-cache entries: docs/TIMING_CACHE.md.
 *
 * usage: deno run -A bench/tactic_bisect.ts [--fixture resnet50] [--precision tf32] [--bound 2e-3] [--builds 8]
 * (fixtures: python3 tests/fixtures/make_fixtures.py --big)
 */
import { parseArgs } from "node:util";
import { createEngine } from "../mod.ts";
import type { Precision } from "../mod.ts";
import { fnv1a64 } from "../lib/builder/plan.ts";
import { FIXTURES, loadReference, relativeL2 } from "../tests/engine/_models.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    fixture: { type: "string", default: "resnet50" },
    precision: { type: "string", default: "tf32" },
    bound: { type: "string", default: "2e-3" },
    builds: { type: "string", default: "8" },
  },
});
const bound = Number(values.bound);
const ref = loadReference(values.fixture!);
const profiles = [
  Object.fromEntries(Object.entries(ref.inputs).map(([k, v]) => [k, { min: v.shape, opt: v.shape, max: v.shape }])),
];

const HEADER = 104;
interface Entry {
  key: string;
  value: string;
  bytes: Uint8Array;
}

/** The entries of a timing cache, each with its bytes as stored. */
function entries(cache: Uint8Array): Entry[] {
  const v = new DataView(cache.buffer, cache.byteOffset, cache.byteLength);
  const out: Entry[] = [];
  for (let i = 0, o = HEADER, n = v.getUint32(12, true); i < n; i++) {
    const keyLen = v.getUint32(o, true), valueLen = v.getUint32(o + 4, true);
    const ints = (from: number, count: number) =>
      Array.from({ length: count }, (_, k) => v.getBigInt64(o + 8 + 8 * (from + k), true)).join(",");
    const size = 8 + 8 * (keyLen + valueLen) + 12;
    out.push({ key: ints(0, keyLen), value: ints(keyLen, valueLen), bytes: cache.slice(o, o + size) });
    o += size;
  }
  return out;
}

/** A cache with the same header (GPU, version) holding these entries, its count, size and checksum rewritten. */
function withEntries(header: Uint8Array, list: Entry[]): Uint8Array {
  const body = new Uint8Array(list.reduce((a, e) => a + e.bytes.length, 0));
  list.reduce((o, e) => (body.set(e.bytes, o), o + e.bytes.length), 0);
  const out = new Uint8Array(HEADER + body.length);
  out.set(header.subarray(0, HEADER));
  out.set(body, HEADER);
  const v = new DataView(out.buffer);
  v.setUint32(12, list.length, true);
  v.setBigUint64(16, BigInt(body.length), true);
  v.setBigUint64(24, fnv1a64(body), true);
  return out;
}

/** Builds from (and into) the cache file, runs the fixture, returns the worst output's relative L2 error. */
async function error(cacheFile: string): Promise<number> {
  await using engine = await createEngine({
    onnx: `${FIXTURES}${values.fixture}.onnx`,
    device: "cuda",
    provider: "builtin",
    precision: values.precision as Precision,
    profiles,
    timingCache: cacheFile,
  });
  const out = await engine.infer(ref.inputs);
  return Math.max(...Object.entries(ref.outputs).map(([k, w]) => relativeL2(out[k].data, w.data)));
}

const dir = await Deno.makeTempDir({ prefix: "tactic_bisect" });
let good: string | undefined, bad: string | undefined;
for (let b = 0; b < Number(values.builds) && !(good && bad); b++) {
  const file = `${dir}/build${b}.cache`;
  const err = await error(file);
  console.log(`build ${b} (fresh timing): relative L2 ${err.toExponential(2)}`);
  if (err > bound) bad ??= file;
  else good ??= file;
}
if (!good || !bad) {
  console.log(`no pair of builds on both sides of ${bound} in ${values.builds} builds: nothing to bisect`);
  Deno.exit(0);
}
const goodBytes = await Deno.readFile(good), badBytes = await Deno.readFile(bad);
const goodEntries = entries(goodBytes);
const badValue = new Map(entries(badBytes).map((e) => [e.key, e]));
const differing = goodEntries.filter((e) => badValue.has(e.key) && badValue.get(e.key)!.value !== e.value);
console.log(`${goodEntries.length} entries, ${differing.length} chosen differently by the bad build`);
const trial = `${dir}/trial.cache`;
await Deno.writeFile(trial, badBytes);
console.log(`the bad build's cache, rebuilt: ${(await error(trial)).toExponential(2)}`);
for (const d of differing) {
  const swapped = goodEntries.map((e) => (e.key === d.key ? badValue.get(d.key)! : e));
  await Deno.writeFile(trial, withEntries(goodBytes, swapped));
  const err = await error(trial), verdict = err > bound ? "CULPRIT" : "fine   ";
  const change = `good {${d.value}} -> bad {${badValue.get(d.key)!.value}}`;
  console.log(`${verdict} key [${d.key}]: ${change}: relative L2 ${err.toExponential(2)}`);
}
await Deno.remove(dir, { recursive: true });
