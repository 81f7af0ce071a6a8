// Shared by the fold_batchnorm and fuse_conv_activation tests: passes run on a copy of a graph, whose float64
// reference evaluation must equal the original's on fresh random inputs; and small hand-built Conv / ConvTranspose
// graphs with fresh random weights.
import { assert, assertEquals } from "../_assert.ts";
import { cloneGraph, type Graph, opCounts, topoSort } from "../../../lib/builder/ir.ts";
import { referenceEval, type Value } from "../../../lib/builder/reference_eval.ts";
import { inferShapes } from "../../../lib/builder/shape_inference.ts";
import { relL2 } from "../_fixtures.ts";
import { type GraphBuilder, int, ints } from "../../engine/_graph.ts";

/** Normal(0, scale) values, never exactly zero. */
export function randn(n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => {
    const v = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()) * scale;
    return v === 0 ? scale / 4 : v;
  });
}

/** Fresh random float inputs of the graph's input shapes. */
export function freshFeeds(g: Graph): Record<string, Value> {
  return Object.fromEntries(g.inputs.map((name) => {
    const t = g.tensors.get(name)!;
    const shape = t.shape as number[];
    return [name, { dtype: t.dtype, shape, data: randn(shape.reduce((a, b) => a * b, 1)) }];
  }));
}

export interface Passed {
  before: Record<string, number>;
  after: Record<string, number>;
  graph: Graph;
  changed: number[];
}

/** Runs `passes` in order on a copy of g; the outputs on fresh random inputs agree to `tol` (relative L2; folded
 * constants are rounded to float32). */
export function runOnFresh(g: Graph, passes: ((g: Graph) => number)[], tol = 1e-6): Passed {
  inferShapes(g);
  const out = cloneGraph(g);
  const changed = passes.map((p) => {
    const n = p(out);
    inferShapes(out);
    return n;
  });
  assertEquals(topoSort(out).map((n) => n.name), out.nodes.map((n) => n.name), "nodes stay topologically sorted");
  const feeds = freshFeeds(g);
  const want = referenceEval(g, feeds), got = referenceEval(out, feeds);
  for (const name of g.outputs) {
    assertEquals(got[name].shape, want[name].shape, `${name} shape`);
    const e = relL2(got[name].data, want[name].data);
    assert(e <= tol, `${name}: relative L2 ${e} > ${tol} after the passes`);
  }
  return { before: opCounts(g), after: opCounts(out), graph: out, changed };
}

export interface CtSpec {
  c: number;
  k: number;
  kernel: number[];
  group?: number;
  strides?: number[];
  pads?: number[];
  dilations?: number[];
  outputPadding?: number[];
  bias?: boolean;
}

/** A ConvTranspose node on `x` (logical NCHW or NCL shape `xs`) with random weights; returns its output and shape. */
export function convTranspose(b: GraphBuilder, x: string, xs: number[], s: CtSpec): [string, number[]] {
  const r = s.kernel.length, group = s.group ?? 1;
  const strides = s.strides ?? new Array(r).fill(1), dil = s.dilations ?? new Array(r).fill(1);
  const pads = s.pads ?? new Array(2 * r).fill(0), op = s.outputPadding ?? new Array(r).fill(0);
  const out = [xs[0], s.k, ...s.kernel.map((k, i) =>
    strides[i] * (xs[2 + i] - 1) + op[i] + (k - 1) * dil[i] + 1 - pads[i] - pads[r + i]
  )];
  const wShape = [s.c, s.k / group, ...s.kernel];
  const fan = (s.c / group) * s.kernel.reduce((a, v) => a * v, 1);
  const tag = `${b.g.nodes.length}`;
  const inputs = [x, b.constF32(`ct_w${tag}`, wShape, randn(wShape.reduce((a, v) => a * v, 1), 1 / Math.sqrt(fan)))];
  if (s.bias) inputs.push(b.constF32(`ct_b${tag}`, [s.k], randn(s.k, 0.3)));
  const [y] = b.node("ConvTranspose", inputs, [out], {
    kernel_shape: ints(s.kernel),
    strides: ints(strides),
    dilations: ints(dil),
    pads: ints(pads),
    output_padding: ints(op),
    group: int(group),
  });
  return [y, out];
}

/** An inference BatchNormalization on a [N, C, ...] tensor with random statistics (variance in [0.5, 1.5)). */
export function batchNorm(b: GraphBuilder, x: string, shape: number[]): string {
  const c = shape[1], tag = `${b.g.nodes.length}`;
  const v = (name: string, values: Float64Array) => b.constF32(`bn_${name}${tag}`, [c], values);
  const gamma = v("g", randn(c, 0.5).map((x) => x + 1)), beta = v("b", randn(c, 0.3));
  const mean = v("m", randn(c, 0.3)), variance = v("v", Float64Array.from({ length: c }, () => 0.5 + Math.random()));
  const [y] = b.node("BatchNormalization", [x, gamma, beta, mean, variance], [shape], {
    epsilon: { type: "float", value: 1e-5 },
  });
  return y;
}
