// CPU executor on hand-built IR graphs: plan.ts -> libdenotrt.so -> CPU, against float64 references computed here,
// on fresh random inputs (relative L2 <= 1e-5).
import { assert, assertEquals } from "../_assert.ts";
import { serializePlan } from "../../lib/builder/plan.ts";
import { CpuRunner, randn, relL2, type ShimError, STATUS } from "./_shim.ts";
import { float, GraphBuilder, int, ints, str } from "./_graph.ts";

function run(b: GraphBuilder, inputs: Record<string, { shape: number[]; data: Float32Array | BigInt64Array }>) {
  const r = new CpuRunner(serializePlan(b.g, { device: "cpu" }));
  try {
    return r.run(inputs);
  } finally {
    r.close();
  }
}

/** float64 NCHW convolution with groups, strides, pads, dilations, bias, residual and an activation. */
function convRef(
  x: Float32Array,
  xs: number[],
  w: Float32Array,
  ws: number[],
  bias: Float32Array | undefined,
  o: { group: number; stride: number[]; pad: number[]; dil: number[] },
  res?: Float32Array,
  act?: (v: number) => number,
): { data: number[]; shape: number[] } {
  const [N, C, H, W] = xs, [M, Cg, KH, KW] = ws, G = o.group, Mg = M / G;
  const OH = Math.floor((H + o.pad[0] + o.pad[2] - o.dil[0] * (KH - 1) - 1) / o.stride[0]) + 1;
  const OW = Math.floor((W + o.pad[1] + o.pad[3] - o.dil[1] * (KW - 1) - 1) / o.stride[1]) + 1;
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let s = bias ? bias[m] : 0;
          for (let c = 0; c < Cg; c++) {
            for (let ky = 0; ky < KH; ky++) {
              for (let kx = 0; kx < KW; kx++) {
                const iy = oy * o.stride[0] - o.pad[0] + ky * o.dil[0],
                  ix = ox * o.stride[1] - o.pad[1] + kx * o.dil[1];
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += x[((n * C + g * Cg + c) * H + iy) * W + ix] * w[((m * Cg + c) * KH + ky) * KW + kx];
              }
            }
          }
          const idx = out.length;
          if (res) s += res[idx];
          out.push(act ? act(s) : s);
        }
      }
    }
  }
  return { data: out, shape: [N, M, OH, OW] };
}

const hardswish = (v: number) => v * Math.min(1, Math.max(0, v / 6 + 0.5));

for (
  const [label, xs, ws, o] of [
    ["3x3 pad1", [2, 4, 9, 11], [6, 4, 3, 3], { group: 1, stride: [1, 1], pad: [1, 1, 1, 1], dil: [1, 1] }],
    ["grouped strided", [1, 6, 13, 10], [4, 3, 3, 3], { group: 2, stride: [2, 2], pad: [1, 0, 1, 2], dil: [1, 1] }],
    ["depthwise dilated", [1, 5, 12, 12], [5, 1, 3, 3], { group: 5, stride: [1, 1], pad: [2, 2, 2, 2], dil: [2, 2] }],
    ["1x1", [2, 8, 7, 5], [3, 8, 1, 1], { group: 1, stride: [1, 1], pad: [0, 0, 0, 0], dil: [1, 1] }],
    ["5x5 stride 2 big", [1, 3, 64, 64], [16, 3, 5, 5], { group: 1, stride: [2, 2], pad: [2, 2, 2, 2], dil: [1, 1] }],
  ] as [string, number[], number[], { group: number; stride: number[]; pad: number[]; dil: number[] }][]
) {
  Deno.test(`cpu Conv ${label} + bias + residual + HardSwish`, () => {
    const x = randn(xs.reduce((a: number, b: number) => a * b, 1), 11),
      w = randn(ws.reduce((a: number, b: number) => a * b, 1), 12),
      bias = randn(ws[0], 13);
    const ref0 = convRef(x, [...xs], w, [...ws], bias, {
      ...o,
      stride: [...o.stride],
      pad: [...o.pad],
      dil: [...o.dil],
    });
    const res = randn(ref0.data.length, 14);
    const ref = convRef(
      x,
      [...xs],
      w,
      [...ws],
      bias,
      { ...o, stride: [...o.stride], pad: [...o.pad], dil: [...o.dil] },
      res,
      hardswish,
    );
    const b = new GraphBuilder();
    b.input("x", [...xs]);
    b.input("r", ref.shape);
    const [y] = b.node("Conv", ["x", b.constF32("w", [...ws], w), b.constF32("b", [ws[0]], bias), "r"], [ref.shape], {
      group: int(o.group),
      strides: ints([...o.stride]),
      pads: ints([...o.pad]),
      dilations: ints([...o.dil]),
      kernel_shape: ints([ws[2], ws[3]]),
      activation: str("HardSwish"),
    });
    b.output(y);
    const out = run(b, { x: { shape: [...xs], data: x }, r: { shape: ref.shape, data: res } })[y];
    assertEquals(out.shape, ref.shape);
    const err = relL2(out.data as Float32Array, ref.data);
    assert(err <= 1e-5, `relative L2 ${err}`);
  });
}

Deno.test("cpu MatMul batched with broadcast, then Softmax", () => {
  const a = randn(2 * 3 * 4 * 5, 1), bm = randn(3 * 5 * 6, 2);
  const b = new GraphBuilder();
  b.input("a", [2, 3, 4, 5]);
  b.input("b", [3, 5, 6]);
  const [m] = b.node("MatMul", ["a", "b"], [[2, 3, 4, 6]]);
  const [s] = b.node("Softmax", [m], [[2, 3, 4, 6]], { axis: int(2) });
  b.output(m, s);
  const out = run(b, { a: { shape: [2, 3, 4, 5], data: a }, b: { shape: [3, 5, 6], data: bm } });
  const mm: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (let h = 0; h < 3; h++) {
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 6; c++) {
          let acc = 0;
          for (let k = 0; k < 5; k++) acc += a[((i * 3 + h) * 4 + r) * 5 + k] * bm[(h * 5 + k) * 6 + c];
          mm.push(acc);
        }
      }
    }
  }
  const sm = mm.slice();
  for (let blk = 0; blk < 6; blk++) {
    for (let c = 0; c < 6; c++) {
      const idx = [0, 1, 2, 3].map((r) => blk * 24 + r * 6 + c);
      const mx = Math.max(...idx.map((i) => mm[i]));
      const e = idx.map((i) => Math.exp(mm[i] - mx)), z = e.reduce((p, q) => p + q);
      idx.forEach((i, k) => (sm[i] = e[k] / z));
    }
  }
  assert(relL2(out[m].data as Float32Array, mm) <= 1e-5);
  assert(relL2(out[s].data as Float32Array, sm) <= 1e-5);
});

Deno.test("cpu Gemm transB alpha beta with row bias, large enough to use several tiles", () => {
  const M = 150, K = 300, N = 270;
  const a = randn(M * K, 3), w = randn(N * K, 4), c = randn(N, 5);
  const b = new GraphBuilder();
  b.input("a", [M, K]);
  const [y] = b.node("Gemm", ["a", b.constF32("w", [N, K], w), b.constF32("c", [N], c)], [[M, N]], {
    transB: int(1),
    alpha: float(0.5),
    beta: float(2),
  });
  b.output(y);
  const out = run(b, { a: { shape: [M, K], data: a } })[y];
  const ref: number[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * w[j * K + k];
      ref.push(0.5 * s + 2 * c[j]);
    }
  }
  const err = relL2(out.data as Float32Array, ref);
  assert(err <= 1e-5, `relative L2 ${err}`);
});

Deno.test("cpu dynamic batch: shape subgraph on the host feeds Reshape; profile range enforced", () => {
  // y = Reshape(x, Concat(Gather(Shape(x), 0), [-1]))  with x: [N, 3, 4], N in [1, 4]
  const b = new GraphBuilder();
  b.input("x", ["N", 3, 4]);
  const [shp] = b.node("Shape", ["x"], [[3]], {}, "int64");
  const [n] = b.node("Gather", [shp, b.constI64("zero", [0])], [[1]], { axis: int(0) }, "int64");
  const [cat] = b.node("Concat", [n, b.constI64("minus1", [-1])], [[2]], { axis: int(0) }, "int64");
  const [y] = b.node("Reshape", ["x", cat], [["N", 12]]);
  b.output(y).profile({ x: { min: [1, 3, 4], opt: [2, 3, 4], max: [4, 3, 4] } });
  const r = new CpuRunner(serializePlan(b.g, { device: "cpu" }));
  try {
    const insp = r.inspect() as { layers: { op: string; host: boolean }[] };
    assertEquals(insp.layers.map((l) => l.host), [true, true, true, false]);
    for (const N of [3, 1, 4]) {
      const x = randn(N * 12, N);
      const out = r.run({ x: { shape: [N, 3, 4], data: x } })[y];
      assertEquals(out.shape, [N, 12]);
      assertEquals(Array.from(out.data as Float32Array), Array.from(x));
    }
    let err: ShimError | undefined;
    try {
      r.setInputShape("x", [5, 3, 4]);
    } catch (e) {
      err = e as ShimError;
    }
    assert(err && err.status === STATUS.SHAPE_ERROR, "shape outside the profile must fail");
    assert(/input 'x' dimension 0 is 5, outside the range \[1, 4\]/.test(err!.message), err!.message);
  } finally {
    r.close();
  }
});

Deno.test("cpu engine: I/O descriptors, profiles and inspect JSON", () => {
  const b = new GraphBuilder();
  b.input("x", ["N", 3]);
  const [y] = b.node("Relu", ["x"], [["N", 3]]);
  b.output(y).profile({ x: { min: [1, 3], opt: [2, 3], max: [8, 3] } });
  const r = new CpuRunner(serializePlan(b.g, { device: "cpu" }));
  try {
    const io = r.ioTensors();
    assertEquals(io.map((t) => [t.name, t.isInput, t.dims, t.dtype]), [["x", true, [-1, 3], 0], [
      y,
      false,
      [-1, 3],
      0,
    ]]);
    const j = r.inspect() as {
      provider: string;
      layers: { op: string; name: string; kernel: string; precision: string }[];
    };
    assertEquals(j.provider, "builtin");
    assertEquals(j.layers[0].op, "Relu");
    assertEquals(j.layers[0].precision, "float32");
    assert(j.layers[0].kernel.length > 0);
  } finally {
    r.close();
  }
});

Deno.test("cpu float16 weights and float16 I/O are converted on load and at the boundary", () => {
  const b = new GraphBuilder();
  b.input("x", [2, 4], "float16");
  const wv = [0.5, -1, 2, 0.25];
  const half = (v: number) => {
    const f = new Float32Array([v]), u = new Uint32Array(f.buffer)[0];
    return ((u >>> 16) & 0x8000) | ((((u >>> 23) & 0xff) - 112) << 10) | ((u >>> 13) & 0x3ff);
  };
  b.g.tensors.set("w", {
    name: "w",
    dtype: "float16",
    shape: [4],
    data: new Uint8Array(new Uint16Array(wv.map(half)).buffer),
  });
  const [y] = b.node("Mul", ["x", "w"], [[2, 4]], {}, "float16");
  b.output(y);
  const xv = [1, 2, 3, 4, -1, -2, -3, -4];
  const out = run(b, { x: { shape: [2, 4], data: new Uint16Array(xv.map(half)) as unknown as Float32Array } })[y];
  const want = xv.map((v, i) => half(v * wv[i % 4]));
  assertEquals(Array.from(out.data as unknown as Uint16Array), want);
});

Deno.test("cpu unsupported op is refused at deserialize naming op and node", () => {
  const b = new GraphBuilder();
  b.input("x", [2]);
  const [y] = b.node("FancyOp", ["x"], [[2]]);
  b.output(y);
  let err: ShimError | undefined;
  try {
    new CpuRunner(serializePlan(b.g, { device: "cpu" })).close();
  } catch (e) {
    err = e as ShimError;
  }
  assert(err && err.status === STATUS.UNSUPPORTED);
  assert(/op 'FancyOp' \(layer 'FancyOp_0'\)/.test(err!.message), err!.message);
});
