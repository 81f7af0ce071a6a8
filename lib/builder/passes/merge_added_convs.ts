// Add(Conv1x1(x_a, W_a, b_a), Conv1x1(x_b, W_b, b_b)) -> Conv1x1(Concat(x_a, x_b, axis 1), [W_a | W_b], b_a + b_b):
// a sum of two pointwise convs is one pointwise conv over the channel concatenation of their inputs, the weights
// concatenated along the input-channel axis (row k of W is W_a's row k, then W_b's row k) and the biases added.
// ResNet's downsample blocks end this way once fold_batchnorm has folded the BNs (the block's last conv plus the
// shortcut's downsample conv, then Relu). The two convs wrote two full-size outputs that the Add read back; the merged
// conv writes one. Executors may run the Concat + 1x1 Conv pair as one GEMM that reads both inputs directly (the
// Concat is then never materialized), which is why the Concat is placed immediately before its Conv. Exact math: valid
// for every executor.
// Only plain 1x1 / stride 1 / pad 0 / group 1 convs with constant weights of equal K and dtype, whose outputs only
// the Add reads, on two distinct inputs of equal batch and spatial dims, with an Add that does not broadcast.

import {
  attrInt,
  attrInts,
  attrString,
  consumers,
  DTYPE_BYTES,
  freshName,
  type Graph,
  type Node,
  nodeNamer,
  producers,
  sameShape,
  type Tensor,
} from "../ir.ts";
import { decodeData, encodeData } from "../tensor_data.ts";

/** The attributes a plain Conv may carry after import (shape inference writes the window attrs explicitly). */
const PLAIN_CONV_ATTRS = new Set(["kernel_shape", "strides", "dilations", "pads", "auto_pad", "group"]);

/** What a mergeable Conv contributes: its input, weight [K, C, 1, 1] and optional bias [K]. */
interface Side {
  conv: Node;
  x: Tensor;
  w: Tensor;
  b?: Tensor;
  k: number;
  c: number;
}

/** Absent (the ONNX default), or `len` values all `x`. */
const allEqual = (v: number[] | undefined, x: number, len: number): boolean =>
  v === undefined || (v.length === len && v.every((d) => d === x));

/** `conv` as a Side, if it is a plain 1x1 conv whose output has one reader (the Add) and is no graph output. */
function plainPointwise(g: Graph, conv: Node | undefined, uses: Map<string, Node[]>): Side | undefined {
  if (!conv || conv.op !== "Conv" || conv.outputs.length !== 1 || conv.inputs.length > 4 || conv.inputs[3]) return;
  if (Object.keys(conv.attrs).some((a) => !PLAIN_CONV_ATTRS.has(a))) return; // activation, layout, ...
  const out = conv.outputs[0];
  if ((uses.get(out) ?? []).length !== 1 || g.outputs.includes(out)) return;
  const x = g.tensors.get(conv.inputs[0]), w = g.tensors.get(conv.inputs[1]);
  if (!x || x.data || x.shape.length !== 4 || typeof x.shape[1] !== "number") return;
  if (!w?.data || (w.dtype !== "float32" && w.dtype !== "float16") || w.shape.length !== 4) return;
  const [k, c, kh, kw] = w.shape;
  if (typeof k !== "number" || typeof c !== "number" || kh !== 1 || kw !== 1 || x.shape[1] !== c) return;
  if (w.data.byteLength !== k * c * DTYPE_BYTES[w.dtype]) return;
  if (attrInt(conv, "group", 1) !== 1) return;
  const window = [["kernel_shape", 1, 2], ["strides", 1, 2], ["dilations", 1, 2], ["pads", 0, 4]] as const;
  if (!window.every(([key, v, len]) => allEqual(attrInts(conv, key), v, len))) return;
  // 1x1, stride 1: SAME_UPPER / SAME_LOWER pad nothing either.
  if (!["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"].includes(attrString(conv, "auto_pad", "NOTSET"))) return;
  let b: Tensor | undefined;
  if (conv.inputs[2]) {
    b = g.tensors.get(conv.inputs[2]);
    if (!b?.data || b.dtype !== w.dtype || b.shape.length !== 1 || b.shape[0] !== k) return;
  }
  return { conv, x, w, b, k, c };
}

/** The two sides of a mergeable Add, or undefined. */
function match(g: Graph, add: Node, uses: Map<string, Node[]>, producer: Map<string, number>): Side[] | undefined {
  if (add.op !== "Add" || add.inputs.length !== 2 || add.outputs.length !== 1) return;
  const [ia, ib] = add.inputs;
  if (!ia || !ib || ia === ib) return;
  const sides: Side[] = [];
  for (const i of [ia, ib]) {
    const p = producer.get(i);
    const s = plainPointwise(g, p === undefined ? undefined : g.nodes[p], uses);
    if (!s) return;
    sides.push(s);
  }
  const [a, b] = sides;
  const out = g.tensors.get(add.outputs[0]), oa = g.tensors.get(ia), ob = g.tensors.get(ib);
  if (!out || !oa || !ob || !sameShape(out.shape, oa.shape) || !sameShape(out.shape, ob.shape)) return;
  if (a.k !== b.k || a.w.dtype !== b.w.dtype || a.x === b.x || a.x.dtype !== b.x.dtype) return;
  if (![0, 2, 3].every((d) => a.x.shape[d] === b.x.shape[d])) return;
  return [a, b];
}

/** W = [W_a | W_b] along the input-channel axis: row k is W_a's row k, then W_b's (raw bytes, same dtype). */
function concatWeights(a: Side, b: Side): Uint8Array {
  const e = DTYPE_BYTES[a.w.dtype], ra = a.c * e, rb = b.c * e;
  const out = new Uint8Array(a.k * (ra + rb));
  for (let k = 0; k < a.k; k++) {
    out.set(a.w.data!.subarray(k * ra, (k + 1) * ra), k * (ra + rb));
    out.set(b.w.data!.subarray(k * rb, (k + 1) * rb), k * (ra + rb) + ra);
  }
  return out;
}

export function mergeAddedConvs(g: Graph): number {
  const uses = consumers(g), producer = producers(g);
  const name = nodeNamer(g);
  const replaced = new Map<Node, Node[]>();
  const removed = new Set<Node>();
  const dropped = new Set<string>();
  for (const add of g.nodes) {
    const m = match(g, add, uses, producer);
    if (!m) continue;
    const [a, b] = m;
    const x = a.x.shape;
    const catName = freshName(g, `${add.name}_concat`);
    g.tensors.set(catName, { name: catName, dtype: a.x.dtype, shape: [x[0], a.c + b.c, x[2], x[3]] });
    const wName = freshName(g, `${add.name}_merged_w`);
    g.tensors.set(wName, { name: wName, dtype: a.w.dtype, shape: [a.k, a.c + b.c, 1, 1], data: concatWeights(a, b) });
    let bias = a.b?.name ?? b.b?.name;
    if (a.b && b.b) {
      const va = decodeData(a.b.data!, a.b.dtype), vb = decodeData(b.b.data!, b.b.dtype);
      bias = freshName(g, `${add.name}_merged_b`);
      const data = encodeData(va.map((v, i) => v + vb[i]), a.w.dtype);
      g.tensors.set(bias, { name: bias, dtype: a.w.dtype, shape: [a.k], data });
    }
    const concat: Node = {
      name: name(`${add.name}_concat`),
      op: "Concat",
      inputs: [a.x.name, b.x.name],
      outputs: [catName],
      attrs: { axis: { type: "int", value: 1 } },
    };
    const conv: Node = {
      name: name(`${add.name}_conv`),
      op: "Conv",
      inputs: bias ? [catName, wName, bias] : [catName, wName],
      outputs: [add.outputs[0]],
      attrs: {
        kernel_shape: { type: "ints", value: [1, 1] },
        strides: { type: "ints", value: [1, 1] },
        pads: { type: "ints", value: [0, 0, 0, 0] },
        dilations: { type: "ints", value: [1, 1] },
        group: { type: "int", value: 1 },
      },
    };
    replaced.set(add, [concat, conv]);
    for (const s of [a, b]) {
      removed.add(s.conv);
      dropped.add(s.conv.outputs[0]);
      for (const c of s.conv.inputs.slice(1)) if (c) dropped.add(c);
    }
  }
  if (!replaced.size) return 0;
  // The Add's inputs were produced before it, so its position is still after both x_a and x_b.
  g.nodes = g.nodes.flatMap((n) => replaced.get(n) ?? (removed.has(n) ? [] : [n]));
  const stillUsed = consumers(g);
  for (const t of dropped) {
    if (!stillUsed.has(t) && !g.outputs.includes(t) && !g.inputs.includes(t)) g.tensors.delete(t);
  }
  return replaced.size;
}
