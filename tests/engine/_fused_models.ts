// Small ONNX models of elementwise chains for the FusedElementwise tests (tests/engine/fused_elementwise.test.ts on
// the CPU, tests/gpu/fused_elementwise.test.ts on CUDA), with fresh random inputs and the float64 reference of the
// unfused graph (lib/builder/reference_eval.ts, itself checked against onnxruntime).
import { loadOnnx } from "../../lib/builder/onnx.ts";
import { referenceEval, type Value } from "../../lib/builder/reference_eval.ts";
import { decodeData, encodeData } from "../../lib/builder/tensor_data.ts";
import type { InferInput, ProfileShapes } from "../../lib/engine/types.ts";
import { type OnnxDType, type OnnxGraph, onnxModel, type OnnxValue } from "./_onnx_writer.ts";

export interface FusedModel {
  name: string;
  graph: OnnxGraph;
  /** FusedElementwise layers the fp32 plan has. */
  fused: number;
  /** Ops of the fp32 plan besides FusedElementwise (and their counts). */
  rest: Record<string, number>;
  /** Input shapes per run (several for dynamic models). */
  runs: Record<string, number[]>[];
  profiles?: ProfileShapes[];
  /** Inputs must be positive (Sqrt / Pow of them). */
  positive?: boolean;
}

const f32 = (name: string, shape: (number | string)[]): OnnxValue => ({ name, dtype: "float32", shape });
const f16 = (name: string, shape: (number | string)[]): OnnxValue => ({ name, dtype: "float16", shape });
const scalar = (name: string, v: number, dtype: OnnxDType = "float32") => ({ name, dtype, shape: [], values: [v] });
const init = (name: string, shape: number[], dtype: OnnxDType = "float32") => ({
  name,
  dtype,
  shape,
  values: randomValues(shape.reduce((a, b) => a * b, 1)),
});

/** Uniform in ±[0.1, 2): random signs, never zero. */
export function randomValues(n: number, positive = false): number[] {
  return Array.from({ length: n }, () => (positive || Math.random() < 0.5 ? 1 : -1) * (0.1 + 1.9 * Math.random()));
}

export const MODELS: FusedModel[] = [
  {
    // [N,C,H,W] op [1,C,1,1] op scalar: an unfolded BatchNorm, HardSwish, a scale and a Clip with scalar bounds.
    name: "bn_hardswish_clip",
    graph: {
      inputs: [f32("x", [2, 3, 9, 7])],
      outputs: [f32("y", [2, 3, 9, 7])],
      initializers: [
        init("s", [1, 3, 1, 1]),
        init("b", [1, 3, 1, 1]),
        scalar("half", 0.5),
        scalar("lo", -0.25),
        scalar("hi", 0.75),
      ],
      nodes: [
        { op: "Mul", inputs: ["x", "s"], outputs: ["xs"] },
        { op: "Add", inputs: ["xs", "b"], outputs: ["xb"] },
        { op: "HardSwish", inputs: ["xb"], outputs: ["hs"] },
        { op: "Mul", inputs: ["hs", "half"], outputs: ["h2"] },
        { op: "Clip", inputs: ["h2", "lo", "hi"], outputs: ["y"] },
      ],
    },
    fused: 1,
    rest: {},
    runs: [{ x: [2, 3, 9, 7] }],
  },
  {
    // Three graph inputs broadcast three ways over an output whose size is no multiple of the kernels' blocks.
    name: "three_inputs_broadcast",
    graph: {
      inputs: [f32("x", [3, 5, 37, 41]), f32("y", [5, 1, 41]), f32("z", [37, 1])],
      outputs: [f32("out", [3, 5, 37, 41])],
      initializers: [scalar("c", 1.5)],
      nodes: [
        { op: "Sub", inputs: ["x", "y"], outputs: ["d"] },
        { op: "Mul", inputs: ["d", "z"], outputs: ["m"] },
        { op: "Abs", inputs: ["m"], outputs: ["a"] },
        { op: "Sqrt", inputs: ["a"], outputs: ["r"] },
        { op: "Max", inputs: ["r", "x"], outputs: ["mx"] },
        { op: "Div", inputs: ["mx", "c"], outputs: ["q"] },
        { op: "Neg", inputs: ["q"], outputs: ["out"] },
      ],
    },
    fused: 1,
    rest: {},
    runs: [{ x: [3, 5, 37, 41], y: [5, 1, 41], z: [37, 1] }],
  },
  {
    // t feeds two chains (not fused across), out_a is a graph output in the middle of a chain.
    name: "multi_consumer_mid_output",
    graph: {
      inputs: [f32("x", [2, 8, 16])],
      outputs: [f32("out_a", [2, 8, 16]), f32("out_b", [2, 8, 16]), f32("out_c", [2, 8, 16])],
      initializers: [scalar("quarter", 0.25), scalar("two", 2), scalar("one", 1)],
      nodes: [
        { op: "Add", inputs: ["x", "quarter"], outputs: ["t"] },
        { op: "Relu", inputs: ["t"], outputs: ["r"] },
        { op: "Mul", inputs: ["r", "two"], outputs: ["out_a"] },
        { op: "Sub", inputs: ["out_a", "one"], outputs: ["s"] },
        { op: "Sigmoid", inputs: ["s"], outputs: ["out_b"] },
        { op: "Tanh", inputs: ["t"], outputs: ["th"] },
        { op: "Neg", inputs: ["th"], outputs: ["n"] },
        { op: "LeakyRelu", inputs: ["n"], outputs: ["out_c"], attrs: { alpha: { f: 0.1 } } },
      ],
    },
    fused: 3,
    rest: { Add: 1 },
    runs: [{ x: [2, 8, 16] }],
  },
  {
    // Dynamic batch: shapes come from the profile at run time.
    name: "dynamic_batch",
    graph: {
      inputs: [f32("x", ["N", 4, 5, 6])],
      outputs: [f32("y", ["N", 4, 5, 6])],
      initializers: [init("b", [4, 1, 1]), scalar("k", 0.3), init("w", [6])],
      nodes: [
        { op: "Add", inputs: ["x", "b"], outputs: ["xb"] },
        { op: "Relu", inputs: ["xb"], outputs: ["r"] },
        { op: "Mul", inputs: ["r", "x"], outputs: ["rx"] },
        { op: "Sub", inputs: ["rx", "k"], outputs: ["s"] },
        { op: "Min", inputs: ["s", "w"], outputs: ["y"] },
      ],
    },
    fused: 1,
    rest: {},
    runs: [{ x: [3, 4, 5, 6] }, { x: [1, 4, 5, 6] }, { x: [4, 4, 5, 6] }],
    profiles: [{ x: { min: [1, 4, 5, 6], opt: [2, 4, 5, 6], max: [4, 4, 5, 6] } }],
  },
  {
    // Ops the fp16 plan keeps in float32 alone (Exp, Pow, Sqrt) inside a chain: fused with their producers.
    name: "exp_pow_inside",
    graph: {
      inputs: [f32("x", [2, 3, 8, 8]), f32("g", [2, 3, 8, 8])],
      outputs: [f32("y", [2, 3, 8, 8])],
      initializers: [scalar("k", -0.5), scalar("p", 2), scalar("eps", 0.01)],
      nodes: [
        { op: "Mul", inputs: ["x", "k"], outputs: ["xk"] },
        { op: "Exp", inputs: ["xk"], outputs: ["e"] },
        { op: "Abs", inputs: ["g"], outputs: ["ag"] },
        { op: "Add", inputs: ["ag", "eps"], outputs: ["ge"] },
        { op: "Pow", inputs: ["ge", "p"], outputs: ["gp"] },
        { op: "Sqrt", inputs: ["gp"], outputs: ["sq"] },
        { op: "Mul", inputs: ["e", "sq"], outputs: ["y"] },
      ],
    },
    fused: 1,
    rest: {},
    runs: [{ x: [2, 3, 8, 8], g: [2, 3, 8, 8] }],
  },
  {
    // Ten inputs and 19 nodes: more than one program's worth (8 inputs at most), so the chain splits; 165
    // elements, so the 4-wide CUDA path has a tail.
    name: "ten_inputs",
    graph: {
      inputs: Array.from({ length: 10 }, (_, k) => f32(`x${k}`, [5, 33])),
      outputs: [f32("h18", [5, 33])],
      nodes: Array.from({ length: 9 }, (_, k) => [
        { op: "Add", inputs: [k === 0 ? "x0" : `h${2 * k - 1}`, `x${k + 1}`], outputs: [`h${2 * k}`] },
        { op: "Tanh", inputs: [`h${2 * k}`], outputs: [`h${2 * k + 1}`] },
      ]).flat().concat([{ op: "Neg", inputs: ["h17"], outputs: ["h18"] }]),
    },
    fused: 2,
    rest: {},
    runs: [Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`x${k}`, [5, 33]]))],
  },
  {
    // Large enough for several CPU threads and CUDA blocks; a [C,1,W] input broadcast over [N,C,H,W].
    name: "large_broadcast",
    graph: {
      inputs: [f32("x", [4, 16, 48, 50]), f32("y", [16, 1, 50])],
      outputs: [f32("out", [4, 16, 48, 50])],
      initializers: [scalar("c", 0.5)],
      nodes: [
        { op: "Mul", inputs: ["x", "y"], outputs: ["xy"] },
        { op: "Add", inputs: ["xy", "c"], outputs: ["a"] },
        { op: "Sigmoid", inputs: ["a"], outputs: ["s"] },
        { op: "Mul", inputs: ["s", "x"], outputs: ["out"] },
      ],
    },
    fused: 1,
    rest: {},
    runs: [{ x: [4, 16, 48, 50], y: [16, 1, 50] }],
  },
  {
    // float16 graph I/O: computed in float32 registers, stored float16.
    name: "fp16_io",
    graph: {
      inputs: [f16("x", [2, 4, 6, 6])],
      outputs: [f16("y", [2, 4, 6, 6])],
      initializers: [init("s", [1, 4, 1, 1], "float16"), scalar("half", 0.5, "float16")],
      nodes: [
        { op: "Mul", inputs: ["x", "s"], outputs: ["xs"] },
        { op: "Sigmoid", inputs: ["xs"], outputs: ["sg"] },
        { op: "Add", inputs: ["sg", "x"], outputs: ["a"] },
        { op: "Mul", inputs: ["a", "half"], outputs: ["y"] },
      ],
    },
    fused: 1,
    rest: {},
    runs: [{ x: [2, 4, 6, 6] }],
  },
];

export const onnxOf = (m: FusedModel): Uint8Array => onnxModel(m.graph);

export interface Feed {
  dtype: OnnxDType;
  shape: number[];
  values: number[];
}

/** Fresh random inputs for one run of `m` (exactly representable in their dtype). */
export function makeFeeds(m: FusedModel, shapes: Record<string, number[]>): Record<string, Feed> {
  return Object.fromEntries(m.graph.inputs.map((v) => {
    const shape = shapes[v.name];
    const raw = randomValues(shape.reduce((a, b) => a * b, 1), m.positive);
    const values = [...decodeData(encodeData(raw, v.dtype), v.dtype)];
    return [v.name, { dtype: v.dtype, shape, values }];
  }));
}

/** Typed arrays for infer(): Float32Array, or the float16 bits as Uint16Array. */
export function inferInputs(feeds: Record<string, Feed>): Record<string, InferInput> {
  return Object.fromEntries(
    Object.entries(feeds).map(([k, f]) => {
      const data = f.dtype === "float16" ? new Uint16Array(f.values.length) : new Float32Array(f.values.length);
      new Uint8Array(data.buffer).set(encodeData(f.values, f.dtype));
      return [k, { data, shape: f.shape }];
    }),
  );
}

/** An infer() output as float64 numbers (float16 bits decoded). */
export function outputValues(o: { data: ArrayLike<number | bigint>; dtype: string }): number[] {
  if (o.dtype === "float16") {
    const u = o.data as Uint16Array;
    return [...decodeData(new Uint8Array(u.buffer, u.byteOffset, u.byteLength), "float16")];
  }
  return Array.from(o.data as ArrayLike<number>, Number);
}

/** The float64 evaluation of the model's unfused graph. */
export async function reference(m: FusedModel, feeds: Record<string, Feed>): Promise<Record<string, Value>> {
  const g = await loadOnnx(onnxOf(m), m.profiles ? { profiles: m.profiles } : {});
  const values = Object.fromEntries(
    Object.entries(feeds).map(([k, f]) => [k, {
      dtype: f.dtype,
      shape: f.shape,
      data: Float64Array.from(f.values),
    }]),
  );
  return referenceEval(g, values);
}

/** ‖a − b‖ / ‖b‖. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}
