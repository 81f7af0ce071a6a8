// Fold an inference BatchNormalization that directly follows a Conv into the
// Conv's weights and bias:  W' = W * s[oc],  b' = (b - mean) * s + beta,
// s = gamma / sqrt(var + eps).  A BN not fed by a foldable Conv stays.

import { attrFloat, consumers, freshName, type Graph, type Node, type Tensor } from "../ir.ts";
import { decodeData, encodeData } from "../tensor_data.ts";

function constValues(g: Graph, name: string): Float64Array | undefined {
  const t = name ? g.tensors.get(name) : undefined;
  return t?.data ? decodeData(t.data, t.dtype) : undefined;
}

export function foldBatchNorm(g: Graph): number {
  const uses = consumers(g);
  const producer = new Map<string, Node>();
  for (const n of g.nodes) n.outputs.forEach((o) => producer.set(o, n));
  const removed = new Set<Node>();
  for (const bn of g.nodes) {
    if (bn.op !== "BatchNormalization") continue;
    const conv = producer.get(bn.inputs[0]);
    if (!conv || conv.op !== "Conv" || conv.attrs.activation || conv.inputs[3]) continue;
    if ((uses.get(conv.outputs[0]) ?? []).length !== 1 || g.outputs.includes(conv.outputs[0])) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((i) => constValues(g, i));
    const wT = g.tensors.get(conv.inputs[1])!;
    const w = constValues(g, conv.inputs[1]);
    if (!gamma || !beta || !mean || !variance || !w) continue;
    const bias = conv.inputs[2] ? constValues(g, conv.inputs[2]) : new Float64Array(gamma.length);
    if (!bias) continue;
    const eps = attrFloat(bn, "epsilon", 1e-5);
    const M = gamma.length, per = w.length / M;
    const scale = gamma.map((v, c) => v / Math.sqrt(variance[c] + eps));
    const w2 = w.map((v, i) => v * scale[Math.floor(i / per)]);
    const b2 = bias.map((v, c) => (v - mean[c]) * scale[c] + beta[c]);
    // New constants (the originals may be shared with other nodes).
    const wName = freshName(g, `${conv.inputs[1]}_bnfold`);
    const bName = freshName(g, `${conv.name}_bias_bnfold`);
    const wNew: Tensor = { name: wName, dtype: wT.dtype, shape: [...wT.shape], data: encodeData(w2, wT.dtype) };
    g.tensors.set(wName, wNew);
    g.tensors.set(bName, { name: bName, dtype: wT.dtype, shape: [M], data: encodeData(b2, wT.dtype) });
    conv.inputs[1] = wName;
    conv.inputs[2] = bName;
    // The Conv now produces the BN's output directly.
    const convOut = conv.outputs[0];
    conv.outputs[0] = bn.outputs[0];
    g.tensors.delete(convOut);
    removed.add(bn);
  }
  g.nodes = g.nodes.filter((n) => !removed.has(n));
  return removed.size;
}
