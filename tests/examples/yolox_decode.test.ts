// YOLOX head decoding (grids and strides 8/16/32), candidate scoring and the raw/decoded check, by hand.
import { assert, assertEquals } from "../_assert.ts";
import { anchorCount, anchorGrid, candidates, clipBox, decodeRaw, looksDecoded } from "../../examples/lib/yolox_decode.ts";

const close = (a: number, b: number, eps = 1e-4) => Math.abs(a - b) <= eps * Math.max(1, Math.abs(b));

Deno.test("anchors: 8400 for 640x640, stride-8 grid row-major first, then 16, then 32", () => {
  assertEquals(anchorCount(640, 640), 6400 + 1600 + 400);
  assertEquals(anchorCount(416, 640), 52 * 80 + 26 * 40 + 13 * 20);
  const g = anchorGrid(640, 640);
  const at = (i: number) => [g.gx[i], g.gy[i], g.stride[i]];
  assertEquals(at(0), [0, 0, 8]);
  assertEquals(at(79), [79, 0, 8]);
  assertEquals(at(80), [0, 1, 8]);
  assertEquals(at(6400), [0, 0, 16]);
  assertEquals(at(6400 + 41), [1, 1, 16]);
  assertEquals(at(8399), [19, 19, 32]);
});

Deno.test("decodeRaw: cx = (x + gx) s, cy = (y + gy) s, w = e^w s, h = e^h s; scores untouched", () => {
  const n = anchorCount(640, 640), k = 7; // two classes
  const raw = new Float32Array(n * k);
  for (const [i, x, y, lw, lh] of [[81, 0.5, 0.25, Math.LN2, 0], [6400 + 41, -0.5, 1, 0, Math.log(3)], [8399, 0, 0, 1, -1]]) {
    raw.set([x, y, lw, lh, 0.9, 0.2, 0.7], i * k);
  }
  const d = decodeRaw(raw, 640, 640);
  const row = (i: number) => Array.from(d.subarray(i * k, i * k + k));
  // anchor 81: cell (1, 1) of stride 8
  row(81).forEach((v, j) => assert(close(v, [(0.5 + 1) * 8, (0.25 + 1) * 8, 16, 8, 0.9, 0.2, 0.7][j]), `81[${j}] ${v}`));
  // anchor 6441: cell (1, 1) of stride 16
  row(6441).forEach((v, j) => assert(close(v, [(-0.5 + 1) * 16, (1 + 1) * 16, 16, 48, 0.9, 0.2, 0.7][j]), `6441[${j}] ${v}`));
  // anchor 8399: cell (19, 19) of stride 32
  row(8399).forEach((v, j) => assert(close(v, [19 * 32, 19 * 32, Math.E * 32, 32 / Math.E, 0.9, 0.2, 0.7][j]), `8399[${j}] ${v}`));
  assertEquals(raw[81 * k], 0.5, "the input is left as it was");
});

Deno.test("looksDecoded tells a raw head from a decoded one", () => {
  const n = anchorCount(640, 640), k = 85;
  const raw = new Float32Array(n * k);
  for (let i = 0; i < raw.length; i++) raw[i] = Math.random() * 2 - 1;
  assertEquals(looksDecoded(raw, 640, 640), false);
  assertEquals(looksDecoded(decodeRaw(raw, 640, 640), 640, 640), true);
  // even a raw head with large offsets (an untrained net) stays raw: its centres are not near the cells
  const wild = raw.map((v) => v * 40);
  assertEquals(looksDecoded(wild, 640, 640), false);
});

Deno.test("candidates: best class per anchor, score = obj x cls over the threshold, corners / ratio", () => {
  const n = 3; // three anchors, three classes (decoded rows of 8)
  const rows = new Float32Array([
    100, 50, 20, 10, 0.9, 0.1, 0.8, 0.3, // best class 1, score 0.72
    10, 10, 4, 4, 0.5, 0.5, 0.4, 0.9, //   best class 2, score 0.45
    30, 30, 8, 8, 0.2, 0.9, 0.1, 0.1, //   score 0.18: under 0.3
  ]);
  const c = candidates(rows, n, 0.3, 2);
  assertEquals(c.length, 2);
  assertEquals(c[0].classIndex, 1);
  assert(close(c[0].score, 0.72));
  c[0].box.forEach((v, j) => assert(close(v, [45, 22.5, 55, 27.5][j]), `box ${c[0].box}`)); // (100 - 20/2) / 2, ...
  assertEquals(c[1].classIndex, 2);
  assert(close(c[1].score, 0.45));
  assertEquals(clipBox([-5, 2, 50, 700], 40, 600), [0, 2, 40, 600]);
  assertEquals(clipBox([50, 2, 60, 10], 40, 600), null);
});
