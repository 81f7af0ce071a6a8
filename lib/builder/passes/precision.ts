// The precision pass: rewrites an optimized float32 graph for the precision a plan is built in.
//
// "fp32": nothing changes (the CUDA executor keeps TF32 off).
// "tf32": Conv, MatMul and Gemm layers with float32 outputs get the attribute `precision: "tf32"`, which lets the CUDA
//         executor run them on TF32 tensor cores (cuDNN math type, cuBLASLt compute type). Tensors stay float32.
// "fp16": layers whose op the CUDA executor runs in float16 (FP16_OPS; every such kernel accumulates in float32) get
//         float16 activations and float16 copies of their float32 constants. Numerically sensitive ops (exp-like,
//         reductions, Softmax, comparisons and rounding) keep float32. Where a float16 tensor meets a float32 use, one
//         Cast is inserted per tensor and direction, right after the tensor is produced; graph inputs and outputs stay
//         float32, so the I/O conversion happens once, on the GPU, in the first and last layers. Host shape tensors,
//         integer and bool tensors, and the parameter inputs that executors read on the host (SHAPE_INPUTS) are
//         never touched.
// Run it after mark_host_tensors (it keeps host tensors as they are) and before plan_memory (float16 halves the
// activation sizes the arena is planned with).

import { freshName, type Graph, type Node, nodeNamer, type Tensor } from "../ir.ts";
import { decodeData, encodeData } from "../tensor_data.ts";
import { SHAPE_INPUTS } from "./mark_host_tensors.ts";

export type PlanPrecision = "fp32" | "tf32" | "fp16";
export const PLAN_PRECISIONS: readonly PlanPrecision[] = ["fp32", "tf32", "fp16"];

/** Ops whose float32 data run in float16 in fp16 plans: each has a CUDA kernel (or cuDNN / cuBLASLt path) for it. */
export const FP16_OPS: ReadonlySet<string> = new Set(
  ("Conv ConvTranspose MatMul Gemm Relu LeakyRelu Sigmoid HardSigmoid HardSwish SiLU Tanh Clip Abs Neg Add Sub Mul " +
    "Div Max Min MaxPool AveragePool GlobalAveragePool BatchNormalization Resize Upsample Concat Split Slice " +
    "Transpose Pad Reshape Flatten Squeeze Unsqueeze Expand Gather Where FusedElementwise").split(" "),
);

/** Ops that cuDNN / cuBLASLt run and that therefore may use TF32 tensor cores. */
export const TF32_OPS: ReadonlySet<string> = new Set(["Conv", "MatMul", "Gemm"]);

/** Ops that read only their input's shape or convert any dtype: their input 0 takes whatever dtype it has. */
const ANY_DTYPE_INPUT: ReadonlySet<string> = new Set(["Shape", "Cast"]);

const ONNX_FLOAT = 1, ONNX_FLOAT16 = 10;

/** Input positions whose float values are data in `n`'s compute dtype (not shapes, indices or conditions). */
function isDataInput(n: Node, i: number): boolean {
  if (!n.inputs[i]) return false;
  if (ANY_DTYPE_INPUT.has(n.op)) return false;
  return !(SHAPE_INPUTS[n.op] ?? []).includes(i);
}

/** Applies `precision` to `g` in place; returns the number of layers it converted (fp16) or marked (tf32). */
export function applyPrecision(g: Graph, precision: PlanPrecision): number {
  if (precision === "tf32") return markTf32(g);
  if (precision === "fp16") return convertFp16(g);
  return 0;
}

function markTf32(g: Graph): number {
  let marked = 0;
  for (const n of g.nodes) {
    if (!TF32_OPS.has(n.op) || g.tensors.get(n.outputs[0])?.dtype !== "float32") continue;
    n.attrs.precision = { type: "string", value: "tf32" };
    marked++;
  }
  return marked;
}

function convertFp16(g: Graph): number {
  const tensor = (name: string): Tensor => g.tensors.get(name)!;
  const isHostActivation = (t: Tensor) => !t.data && t.placement === "host";
  // 1. Which layers run in float16: a listed op with a float32 output, no host output, and float data inputs that
  //    are all float32 or float16 and none of them a host tensor.
  const half = new Set<Node>();
  for (const n of g.nodes) {
    if (!FP16_OPS.has(n.op)) continue;
    const outs = n.outputs.filter(Boolean).map(tensor);
    if (!outs.some((t) => t.dtype === "float32") || outs.some((t) => t.placement === "host")) continue;
    if (outs.some((t) => t.dtype === "float64" || t.dtype === "bfloat16")) continue;
    const data = n.inputs.flatMap((name, i) => (isDataInput(n, i) ? [tensor(name)] : []));
    if (data.some((t) => t.dtype === "float64" || t.dtype === "bfloat16")) continue;
    if (data.some((t) => t.dtype === "float32" && isHostActivation(t))) continue;
    half.add(n);
  }
  if (half.size === 0) return 0;

  // 2. Their float32 outputs become float16. A graph output keeps its name and float32: the layer writes a float16
  //    twin, and a Cast back to the output is the model's last step.
  const original = new Map<string, Tensor["dtype"]>();
  for (const [name, t] of g.tensors) original.set(name, t.dtype);
  const outputs = new Set(g.outputs);
  const after = new Map<string, Node[]>(); // tensor name -> Casts to emit right after its producer
  const castOf = new Map<string, string>(); // `${tensor}>${dtype}` -> the tensor holding it in that dtype
  const uniqueNode = nodeNamer(g);
  const addCast = (src: string, dst: string, to: "float16" | "float32") => {
    const cast: Node = {
      name: uniqueNode(`${src}/cast_${to === "float16" ? "fp16" : "fp32"}`),
      op: "Cast",
      inputs: [src],
      outputs: [dst],
      attrs: { to: { type: "int", value: to === "float16" ? ONNX_FLOAT16 : ONNX_FLOAT } },
    };
    const list = after.get(src);
    if (list) list.push(cast);
    else after.set(src, [cast]);
    castOf.set(`${src}>${to}`, dst);
  };
  for (const n of half) {
    n.outputs.forEach((o, k) => {
      if (!o || tensor(o).dtype !== "float32") return;
      if (!outputs.has(o)) {
        tensor(o).dtype = "float16";
        return;
      }
      const twin = freshName(g, `${o}_fp16`);
      g.tensors.set(twin, { ...tensor(o), name: twin, dtype: "float16", placement: "device" });
      original.set(twin, "float32");
      n.outputs[k] = twin;
      for (const m of g.nodes) m.inputs = m.inputs.map((x) => (x === o ? twin : x));
      addCast(twin, o, "float32");
    });
  }

  // 3. Every data input in the dtype its layer computes in: float16 copies of constants, Casts of activations.
  const replaced = new Set<string>(); // constants given a float16 copy
  const converted = (name: string, to: "float16" | "float32"): string => {
    const known = castOf.get(`${name}>${to}`);
    if (known) return known;
    const t = tensor(name);
    const dst = freshName(g, `${name}_${to === "float16" ? "fp16" : "fp32"}`);
    if (t.data) {
      replaced.add(name);
      g.tensors.set(dst, {
        name: dst,
        dtype: to,
        shape: [...t.shape],
        data: encodeData(decodeData(t.data, t.dtype), to),
      });
      castOf.set(`${name}>${to}`, dst);
    } else {
      g.tensors.set(dst, { name: dst, dtype: to, shape: [...t.shape], placement: "device" });
      addCast(name, dst, to);
    }
    return dst;
  };
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((name, i) => {
      if (!isDataInput(n, i)) return name;
      const have = tensor(name).dtype;
      if (have !== "float32" && have !== "float16") return name;
      const want = half.has(n) ? "float16" : original.get(name)!;
      return want === have || (want !== "float16" && want !== "float32") ? name : converted(name, want);
    });
  }

  // 4. Emit: Casts of graph inputs first, every other Cast right after the layer producing its source.
  const nodes: Node[] = [];
  for (const name of g.inputs) nodes.push(...(after.get(name) ?? []));
  for (const n of g.nodes) {
    nodes.push(n);
    for (const o of n.outputs) if (o) nodes.push(...(after.get(o) ?? []));
  }
  g.nodes = nodes;
  // Float32 constants that only float16 layers read are now unused: drop them so the plan carries one copy.
  const used = new Set([...g.nodes.flatMap((n) => n.inputs), ...g.outputs]);
  for (const [name, t] of [...g.tensors]) if (t.data && replaced.has(name) && !used.has(name)) g.tensors.delete(name);
  return half.size;
}
