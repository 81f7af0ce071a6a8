// CPU executor speed on a PP-OCRv4-detection-shaped network at 640x640 (LCNet-style depthwise backbone, FPN with
// nearest upsampling, DB head with ConvTranspose): it must finish in seconds, not minutes.
import { assert } from "../_assert.ts";
import { serializePlan } from "../../lib/builder/plan.ts";
import { CpuRunner, randn } from "./_shim.ts";
import { GraphBuilder, int, ints, str } from "./_graph.ts";

function detNet(size: number): { b: GraphBuilder; out: string } {
  const b = new GraphBuilder();
  let seed = 100;
  const conv = (
    x: string,
    shape: number[],
    cin: number,
    cout: number,
    k: number,
    s: number,
    group = 1,
    act = "HardSwish",
  ) => {
    const w = randn(cout * (cin / group) * k * k, seed++).map((v) => v * Math.sqrt(3 / ((cin / group) * k * k)));
    const oh = Math.floor((shape[2] + 2 * Math.floor(k / 2) - k) / s) + 1;
    const out = [1, cout, oh, oh];
    const p = Math.floor(k / 2);
    const attrs: Record<string, ReturnType<typeof int> | ReturnType<typeof str> | ReturnType<typeof ints>> = {
      group: int(group),
      strides: ints([s, s]),
      pads: ints([p, p, p, p]),
      kernel_shape: ints([k, k]),
    };
    if (act) attrs.activation = str(act);
    const [y] = b.node(
      "Conv",
      [
        x,
        b.constF32(`w${seed}`, [cout, cin / group, k, k], w),
        b.constF32(`b${seed}`, [cout], randn(cout, seed++).map((v) => v * 0.1)),
      ],
      [out],
      attrs,
    );
    return { y, shape: out };
  };
  b.input("x", [1, 3, size, size]);
  let t = conv("x", [1, 3, size, size], 3, 16, 3, 2);
  const stages: { y: string; shape: number[] }[] = [];
  let c = 16;
  for (const [cout, s, n] of [[32, 1, 1], [64, 2, 2], [128, 2, 2], [256, 2, 3], [512, 2, 2]]) {
    for (let i = 0; i < n; i++) {
      const dw = conv(t.y, t.shape, c, c, 3, i === 0 ? s : 1, c);
      t = conv(dw.y, dw.shape, c, cout, 1, 1);
      c = cout;
    }
    if (cout >= 64) stages.push(t);
  }
  // FPN: lateral 1x1 to 96, top-down nearest x2 + Add, 3x3 to 24, upsample all to 1/4 and concat
  const lat = stages.map((st) => conv(st.y, st.shape, st.shape[1], 96, 1, 1, 1, ""));
  for (let i = lat.length - 1; i > 0; i--) {
    const up = lat[i - 1].shape;
    const [u] = b.node("Resize", [lat[i].y, "", b.constF32(`sc${i}`, [4], [1, 1, 2, 2])], [up], {
      mode: str("nearest"),
    });
    const [a] = b.node("Add", [lat[i - 1].y, u], [up]);
    lat[i - 1] = { y: a, shape: up };
  }
  const base = lat[0].shape;
  const parts = lat.map((l, i) => {
    const p = conv(l.y, l.shape, 96, 24, 3, 1, 1, "");
    if (i === 0) return p.y;
    const [u] = b.node("Resize", [p.y, "", b.constF32(`up${i}`, [4], [1, 1, 2 ** i, 2 ** i])], [[
      1,
      24,
      base[2],
      base[3],
    ]], { mode: str("nearest") });
    return u;
  });
  const [cat] = b.node("Concat", parts, [[1, 96, base[2], base[3]]], { axis: int(1) });
  const h = conv(cat, [1, 96, base[2], base[3]], 96, 24, 3, 1, 1, "Relu");
  const ct = (x: string, cin: number, cout: number, hw: number, act: string) => {
    const [y] = b.node(
      "ConvTranspose",
      [
        x,
        b.constF32(`ct${seed}`, [cin, cout, 2, 2], randn(cin * cout * 4, seed++).map((v) => v * 0.3)),
        b.constF32(`ctb${seed}`, [cout], randn(cout, seed++)),
      ],
      [[1, cout, hw * 2, hw * 2]],
      { strides: ints([2, 2]), kernel_shape: ints([2, 2]), activation: str(act) },
    );
    return y;
  };
  const u1 = ct(h.y, 24, 24, base[2], "Relu");
  const u2 = ct(u1, 24, 1, base[2] * 2, "Sigmoid");
  b.output(u2);
  return { b, out: u2 };
}

Deno.test("cpu perf: PP-OCRv4-det-shaped network at 640x640 runs in seconds", () => {
  const { b, out } = detNet(640);
  const r = new CpuRunner(serializePlan(b.g, { device: "cpu" }));
  try {
    const x = { shape: [1, 3, 640, 640], data: randn(3 * 640 * 640, 7) };
    let t0 = performance.now();
    const y = r.run({ x })[out];
    const first = performance.now() - t0;
    t0 = performance.now();
    r.run({ x });
    const second = performance.now() - t0;
    console.log(
      `det-shaped 640x640: first run ${first.toFixed(0)} ms, second ${second.toFixed(0)} ms, output ${y.shape}`,
    );
    assert(y.shape.join() === "1,1,640,640");
    const d = y.data as Float32Array;
    assert(d.every((v) => v >= 0 && v <= 1), "sigmoid output out of range");
    assert(second < 10000, `took ${second} ms`);
  } finally {
    r.close();
  }
});
