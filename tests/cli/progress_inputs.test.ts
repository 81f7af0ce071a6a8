/** The build progress bar and the random inputs. */
import { BLOCK_ELEMENTS, fillRandom, fillSet, makeBlock, makeRng } from "../../cli/inputs.ts";
import { progressReporter, renderProgress } from "../../cli/progress.ts";
import { type DType, DTYPE_BYTES } from "../../mod.ts";
import { assert, assertEquals } from "../_assert.ts";

Deno.test("progress bar: proportional fill, redrawn on a terminal, one line per phase otherwise", () => {
  assertEquals(renderProgress("optimize", 1, 3, 800, 12), "[####--------] 1/3 optimize (0.8 s)");
  assertEquals(renderProgress("done", 3, 3, 0, 4), "[####] 3/3 done (0.0 s)");
  let clock = 0;
  const tty: string[] = [], pipe: string[] = [];
  const a = progressReporter((t) => tty.push(t), true, () => clock);
  const b = progressReporter((t) => pipe.push(t), false, () => clock);
  for (const [p, s] of [["parse", 0], ["optimize", 1], ["done", 3]] as const) {
    clock += 500;
    a(p, s, 3);
    b(p, s, 3);
  }
  assert(tty.every((t) => t.startsWith("\r")) && tty.at(-1)!.endsWith("\n") && !tty[0].endsWith("\n"));
  assert(pipe.every((t) => !t.includes("\r") && t.endsWith("\n")));
  assertEquals(pipe[1], "building: [########----------------] 1/3 optimize (1.0 s)\n");
});

Deno.test("random inputs: never all zeros, floats in [-1, 1), half floats finite and non-zero", () => {
  const rng = makeRng();
  for (const dtype of ["float32", "float64", "float16", "bfloat16", "int32", "int64", "int8", "uint8", "bool"] as DType[]) {
    const bytes = new Uint8Array(1000 * DTYPE_BYTES[dtype]);
    fillRandom(dtype, bytes, rng);
    assert(bytes.some((b) => b !== 0), dtype);
  }
  const f = new Float32Array(10000);
  fillRandom("float32", new Uint8Array(f.buffer), rng);
  assert(f.every((x) => x >= -1 && x < 1));
  assert(new Set(f).size > 9000, "values vary");
  const h = new Uint16Array(10000);
  fillRandom("float16", new Uint8Array(h.buffer), rng);
  assert(h.every((b) => (b & 0x7c00) !== 0x7c00 && (b & 0x7fff) !== 0), "finite and non-zero");
  const a = new Float32Array(100), c = new Float32Array(100);
  fillRandom("float32", new Uint8Array(a.buffer), makeRng(7));
  fillRandom("float32", new Uint8Array(c.buffer), makeRng(7));
  assertEquals(a, c);
});

Deno.test("input sets: tiles of one random block, a different start per set, every byte written", () => {
  const block = makeBlock("float32", 10, makeRng(3));
  assertEquals(block.byteLength, 40);
  const sets = [0, 1, 2].map((s) => {
    const out = new Uint8Array(4 * 25).fill(0);
    fillSet("float32", out, s, block);
    return new Float32Array(out.buffer);
  });
  const b = new Float32Array(block.buffer);
  for (const [s, v] of sets.entries()) {
    const start = (s * 7919) % 10;
    for (let i = 0; i < 25; i++) assertEquals(v[i], b[(start + i) % 10], `set ${s} element ${i}`);
  }
  assert(sets[0].some((x, i) => x !== sets[1][i]), "sets differ");
  assert(sets.every((v) => v.every((x) => x !== 0)));
  assertEquals(makeBlock("float16", BLOCK_ELEMENTS * 3).byteLength, BLOCK_ELEMENTS * 2, "a large tensor gets a capped block");
});
