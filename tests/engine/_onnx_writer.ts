// Test helper: writes small ONNX models (ModelProto in protobuf wire format, by hand) so tests can build the exact
// graphs they need without Python. Only what the tests use: float32/float16/int64 tensors, raw_data initializers,
// int/float/ints/floats/string attributes.
import { encodeData } from "../../lib/builder/tensor_data.ts";

export type OnnxDType = "float32" | "float16" | "int64";
const ELEM_TYPE: Record<OnnxDType, number> = { float32: 1, float16: 10, int64: 7 };

export type OnnxAttr = { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, OnnxAttr>;
}
export interface OnnxValue {
  name: string;
  dtype: OnnxDType;
  shape: (number | string)[];
}
export interface OnnxInitializer {
  name: string;
  dtype: OnnxDType;
  shape: number[];
  values: ArrayLike<number>;
}
export interface OnnxGraph {
  opset?: number;
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  initializers?: OnnxInitializer[];
  nodes: OnnxNode[];
}

/** Protobuf wire-format writer (varint, fixed32 and length-delimited fields). */
class Pb {
  private out: number[] = [];
  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.out.push(Number(x));
  }
  int(field: number, v: number | bigint): this {
    this.varint(field * 8);
    this.varint(v);
    return this;
  }
  float(field: number, v: number): this {
    this.varint(field * 8 + 5);
    this.out.push(...new Uint8Array(new Float32Array([v]).buffer));
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.varint(field * 8 + 2);
    this.varint(b.length);
    for (const x of b) this.out.push(x);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Pb): this {
    return this.bytes(field, m.done());
  }
  done(): Uint8Array {
    return new Uint8Array(this.out);
  }
}

function attribute(name: string, a: OnnxAttr): Pb {
  const p = new Pb().str(1, name);
  if ("f" in a) return p.float(2, a.f).int(20, 1);
  if ("i" in a) return p.int(3, a.i).int(20, 2);
  if ("s" in a) return p.str(4, a.s).int(20, 3);
  if ("floats" in a) {
    for (const v of a.floats) p.float(7, v);
    return p.int(20, 6);
  }
  for (const v of a.ints) p.int(8, v);
  return p.int(20, 7);
}

function valueInfo(v: OnnxValue): Pb {
  const shape = new Pb();
  for (const d of v.shape) shape.msg(1, typeof d === "number" ? new Pb().int(1, d) : new Pb().str(2, d));
  const tensorType = new Pb().int(1, ELEM_TYPE[v.dtype]).msg(2, shape);
  return new Pb().str(1, v.name).msg(2, new Pb().msg(1, tensorType));
}

/** The ModelProto bytes of `g` (default domain, opset 17 unless given). */
export function onnxModel(g: OnnxGraph): Uint8Array {
  const graph = new Pb();
  g.nodes.forEach((n, k) => {
    const node = new Pb();
    n.inputs.forEach((i) => node.str(1, i));
    n.outputs.forEach((o) => node.str(2, o));
    node.str(3, `${n.op.toLowerCase()}_${k}`).str(4, n.op);
    for (const [name, a] of Object.entries(n.attrs ?? {})) node.msg(5, attribute(name, a));
    graph.msg(1, node);
  });
  graph.str(2, "test");
  for (const t of g.initializers ?? []) {
    const tensor = new Pb();
    t.shape.forEach((d) => tensor.int(1, d));
    tensor.int(2, ELEM_TYPE[t.dtype]).str(8, t.name).bytes(9, encodeData(t.values, t.dtype));
    graph.msg(5, tensor);
  }
  g.inputs.forEach((v) => graph.msg(11, valueInfo(v)));
  g.outputs.forEach((v) => graph.msg(12, valueInfo(v)));
  return new Pb().int(1, 8).msg(8, new Pb().str(1, "").int(2, g.opset ?? 17)).msg(7, graph).done();
}
