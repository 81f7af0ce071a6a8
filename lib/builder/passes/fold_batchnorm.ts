// Fold per-output-channel affine layers that directly follow a Conv or ConvTranspose into its weights and bias:
//   - an inference BatchNormalization:  W' = W * s[oc],  b' = (b - mean) * s + beta,  s = gamma / sqrt(var + eps);
//   - an Add of a constant that is the same for every pixel of a channel ([K,1,1], [1,K,1,1], a scalar, ...):
//     b' = b + c[oc]. Paddle exports its conv biases this way (PP-OCR's ConvTranspose -> Add -> BN -> Relu).
// The output channel oc of a weight element: Conv's weight is [K, C/group, k...], so oc is the leading index;
// ConvTranspose's is [C, K/group, k...], so oc = (c / (C/group)) * (K/group) + the index along axis 1.
// A BN or Add not fed by a foldable layer stays.

import { attrFloat, attrInt, consumers, freshName, type Graph, type Node, type Tensor } from "../ir.ts";
import { decodeData, encodeData } from "../tensor_data.ts";

function constValues(g: Graph, name: string): Float64Array | undefined {
  const t = name ? g.tensors.get(name) : undefined;
  return t?.data ? decodeData(t.data, t.dtype) : undefined;
}

/** The output channel of each element of a Conv / ConvTranspose weight of `shape`. */
function outputChannelOf(layer: Node, shape: readonly number[]): (i: number) => number {
  const per = shape.slice(2).reduce((a, b) => a * b, 1);
  if (layer.op === "Conv") return (i) => Math.floor(i / (shape[1] * per));
  const group = attrInt(layer, "group", 1);
  const cg = shape[0] / group, kg = shape[1];
  return (i) => {
    const c = Math.floor(i / (kg * per));
    return Math.floor(c / cg) * kg + (Math.floor(i / per) % kg);
  };
}

/** The per-channel values of a constant Add operand for a [N, K, ...] output of rank `rank`, or undefined. */
function channelConstant(g: Graph, name: string, rank: number, k: number): Float64Array | undefined {
  const t = g.tensors.get(name);
  if (!t?.data || t.shape.length > rank || !t.shape.every((d) => typeof d === "number")) return undefined;
  const shape = [...new Array(rank - t.shape.length).fill(1), ...(t.shape as number[])];
  // Broadcasting must leave the output's shape as it is: 1 everywhere but the channel axis (K or 1).
  if (shape.some((d, i) => d !== 1 && !(i === 1 && d === k))) return undefined;
  const v = decodeData(t.data, t.dtype);
  return shape[1] === k ? v : new Float64Array(k).fill(v[0]);
}

export function foldBatchNorm(g: Graph): number {
  const uses = consumers(g);
  const producer = new Map<string, Node>();
  for (const n of g.nodes) n.outputs.forEach((o) => producer.set(o, n));
  const removed = new Set<Node>();
  // Nodes are in topological order: an Add folded into a layer makes the layer the producer of the Add's output
  // before the BN after it is visited.
  for (const node of g.nodes) {
    if (node.op !== "BatchNormalization" && node.op !== "Add") continue;
    const src = node.op === "Add" ? node.inputs.find((i) => producer.get(i)?.op.startsWith("Conv")) : node.inputs[0];
    const layer = src === undefined ? undefined : producer.get(src);
    if (!layer || (layer.op !== "Conv" && layer.op !== "ConvTranspose") || layer.attrs.activation || layer.inputs[3]) {
      continue;
    }
    const out = layer.outputs[0];
    if (src !== out || (uses.get(out) ?? []).length !== 1 || g.outputs.includes(out)) continue;
    const wT = g.tensors.get(layer.inputs[1])!;
    const outT = g.tensors.get(out);
    const wShape = wT.shape as number[];
    const M = layer.op === "Conv" ? wShape[0] : wShape[1] * attrInt(layer, "group", 1);
    const w = constValues(g, layer.inputs[1]);
    const bias = layer.inputs[2] ? constValues(g, layer.inputs[2]) : new Float64Array(M);
    if (!w || !bias || !outT) continue;
    let w2 = w, b2: Float64Array;
    if (node.op === "Add") {
      if (node.inputs.length !== 2 || node.inputs[0] === node.inputs[1]) continue;
      const add = channelConstant(g, node.inputs[0] === out ? node.inputs[1] : node.inputs[0], outT.shape.length, M);
      if (!add) continue;
      b2 = bias.map((v, c) => v + add[c]);
    } else {
      const [gamma, beta, mean, variance] = node.inputs.slice(1, 5).map((i) => constValues(g, i));
      if (!gamma || !beta || !mean || !variance || gamma.length !== M) continue;
      const eps = attrFloat(node, "epsilon", 1e-5);
      const scale = gamma.map((v, c) => v / Math.sqrt(variance[c] + eps));
      const oc = outputChannelOf(layer, wShape);
      w2 = w.map((v, i) => v * scale[oc(i)]);
      b2 = bias.map((v, c) => (v - mean[c]) * scale[c] + beta[c]);
      // New weights (the originals may be shared with other nodes).
      const wName = freshName(g, `${layer.inputs[1]}_bnfold`);
      g.tensors.set(wName, { name: wName, dtype: wT.dtype, shape: [...wT.shape], data: encodeData(w2, wT.dtype) });
      layer.inputs[1] = wName;
    }
    const bName = freshName(g, `${layer.name}_bias_${node.op === "Add" ? "addfold" : "bnfold"}`);
    const bNew: Tensor = { name: bName, dtype: wT.dtype, shape: [M], data: encodeData(b2, wT.dtype) };
    g.tensors.set(bName, bNew);
    layer.inputs[2] = bName;
    // The layer now produces the folded node's output directly.
    layer.outputs[0] = node.outputs[0];
    producer.set(node.outputs[0], layer);
    g.tensors.delete(out);
    removed.add(node);
  }
  g.nodes = g.nodes.filter((n) => !removed.has(n));
  return removed.size;
}
