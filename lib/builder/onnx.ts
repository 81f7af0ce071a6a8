// ONNX ModelProto bytes -> IR Graph (unoptimized, shapes inferred).
// Decoding uses protobufjs with the embedded onnx.proto text, so no generated
// code or protoc is needed. Everything not representable fails here with an
// UnsupportedOpError rather than later in an executor.

// The one place the protobufjs version is pinned (no import map is assumed).
// deno-lint-ignore no-import-prefix
import protobuf from "npm:protobufjs@7.4.0";
import { ONNX_PROTO } from "./onnx_proto.ts";
import { type Attr, type Dim, type DType, DTYPE_BYTES, type Graph, type Node, type ShapeRange, type Tensor } from "./ir.ts";
import { ModelError, SUPPORTED_OPS, UnsupportedOpError } from "./errors.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import { decodeData, dtypeFromOnnx, encodeData } from "./tensor_data.ts";
import { freshUnk, inferShapes } from "./shape_inference.ts";

export const MIN_OPSET = 9;
export const MAX_OPSET = 21;

export interface LoadOptions {
  /** Directory that external-data locations are relative to (usually the model's directory). */
  baseDir?: string;
  /**
   * Optimization profiles, per input name. Inputs left out get min=opt=max:
   * their static dims, with symbolic dims set to 1 (see docs/IR.md).
   */
  profiles?: Record<string, ShapeRange>[];
}

// ---- The subset of the decoded (toObject'ed) protobuf structure we read. ----
// int64 fields are decoded as decimal strings (longs: String) to keep them exact.
type I64 = string | number;
interface PbStringKV { key?: string; value?: string }
interface PbTensor {
  name?: string;
  dims?: I64[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: I64[];
  double_data?: number[];
  uint64_data?: I64[];
  data_location?: number;
  external_data?: PbStringKV[];
  segment?: unknown;
}
interface PbDim { dim_value?: I64; dim_param?: string }
interface PbValueInfo {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: PbDim[] } } };
}
interface PbAttr {
  name?: string;
  type?: number;
  f?: number;
  i?: I64;
  s?: Uint8Array;
  t?: PbTensor;
  floats?: number[];
  ints?: I64[];
  strings?: Uint8Array[];
  ref_attr_name?: string;
}
interface PbNode {
  name?: string;
  op_type?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: PbAttr[];
}
interface PbGraph {
  name?: string;
  node?: PbNode[];
  initializer?: PbTensor[];
  input?: PbValueInfo[];
  output?: PbValueInfo[];
  value_info?: PbValueInfo[];
  sparse_initializer?: unknown[];
}
interface PbModel {
  ir_version?: I64;
  opset_import?: { domain?: string; version?: I64 }[];
  graph?: PbGraph;
  functions?: unknown[];
}

let modelType: protobuf.Type | undefined;
function getModelType(): protobuf.Type {
  if (!modelType) {
    const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
    modelType = root.lookupType("onnx.ModelProto");
  }
  return modelType;
}

/** Decode ModelProto bytes into plain objects (int64 as strings). */
export function decodeModelProto(bytes: Uint8Array): PbModel {
  const t = getModelType();
  let msg;
  try {
    msg = t.decode(bytes);
  } catch (e) {
    throw new ModelError(`not an ONNX model: protobuf decoding failed (${e instanceof Error ? e.message : e})`);
  }
  return t.toObject(msg, { longs: String, defaults: false, arrays: false }) as PbModel;
}

const utf8 = new TextDecoder();

/** Reads external data files once each, relative to baseDir. */
class ExternalData {
  private files = new Map<string, Uint8Array>();
  constructor(private baseDir: string | undefined) {}
  async read(tensorName: string, kv: PbStringKV[]): Promise<Uint8Array> {
    const m = new Map(kv.map((e) => [e.key ?? "", e.value ?? ""]));
    const location = m.get("location");
    if (!location) throw new ModelError(`tensor ${tensorName}: external data without a location`);
    if (location.startsWith("/") || location.split(/[\\/]/).includes("..")) {
      // The ONNX spec requires locations relative to the model directory;
      // refusing escapes keeps a model from reading arbitrary files.
      throw new ModelError(`tensor ${tensorName}: external data location "${location}" must be relative and inside the model directory`);
    }
    if (this.baseDir === undefined) {
      throw new ModelError(`tensor ${tensorName}: model uses external data but no baseDir was given`);
    }
    const path = `${this.baseDir.replace(/\/+$/, "")}/${location}`;
    let file = this.files.get(path);
    if (!file) {
      file = await Deno.readFile(path);
      this.files.set(path, file);
    }
    const offset = Number(m.get("offset") ?? 0);
    const length = m.has("length") ? Number(m.get("length")) : file.byteLength - offset;
    if (offset + length > file.byteLength) {
      throw new ModelError(`tensor ${tensorName}: external data ${location} [${offset}, +${length}) is past the end of the file (${file.byteLength} bytes)`);
    }
    return file.slice(offset, offset + length);
  }
}

function tensorDtype(code: number | undefined, where: string, op = "<initializer>"): DType {
  const d = dtypeFromOnnx(code ?? 0);
  if (!d) throw new UnsupportedOpError(op, where, `tensor data type ${code} (ONNX TensorProto.DataType) is not supported`);
  return d;
}

/** TensorProto -> constant Tensor with raw little-endian bytes. */
async function convertTensor(t: PbTensor, name: string, ext: ExternalData, op?: string): Promise<Tensor> {
  const dtype = tensorDtype(t.data_type, name, op);
  const shape = (t.dims ?? []).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (t.segment) throw new UnsupportedOpError(op ?? "<initializer>", name, "segmented tensors");
  let data: Uint8Array;
  if (t.data_location === 1) {
    data = await ext.read(name, t.external_data ?? []);
  } else if (t.raw_data && t.raw_data.byteLength > 0) {
    data = new Uint8Array(t.raw_data); // copy: the decoder's view may alias the model buffer
  } else {
    data = typedFieldBytes(t, dtype, name);
  }
  const want = count * DTYPE_BYTES[dtype];
  if (data.byteLength !== want) {
    throw new ModelError(`tensor ${name}: has ${data.byteLength} bytes, expected ${want} for ${dtype}[${shape.join(",")}]`);
  }
  return { name, dtype, shape, data };
}

/** The typed repeated fields (float_data, int32_data, ...) -> raw bytes. */
function typedFieldBytes(t: PbTensor, dtype: DType, name: string): Uint8Array {
  switch (dtype) {
    case "float32":
      return encodeData(t.float_data ?? [], dtype);
    case "float64":
      return encodeData(t.double_data ?? [], dtype);
    case "int64": {
      const v = t.int64_data ?? [];
      const out = new Uint8Array(v.length * 8);
      const dv = new DataView(out.buffer);
      v.forEach((x, i) => dv.setBigInt64(i * 8, BigInt(x), true));
      return out;
    }
    case "float16":
    case "bfloat16": {
      // Stored as the 16-bit patterns in int32_data.
      const v = t.int32_data ?? [];
      const out = new Uint8Array(v.length * 2);
      const dv = new DataView(out.buffer);
      v.forEach((x, i) => dv.setUint16(i * 2, x & 0xffff, true));
      return out;
    }
    case "int32":
    case "int8":
    case "uint8":
    case "bool":
      return encodeData(t.int32_data ?? [], dtype);
  }
  throw new ModelError(`tensor ${name}: no data`);
}


function valueInfoTensor(v: PbValueInfo): Tensor | undefined {
  const tt = v.type?.tensor_type;
  if (!v.name || !tt || tt.elem_type === undefined) return undefined;
  const dtype = tensorDtype(tt.elem_type, v.name, "<value_info>");
  const shape: Dim[] = (tt.shape?.dim ?? []).map((d) =>
    d.dim_value !== undefined ? Number(d.dim_value) : d.dim_param ? d.dim_param : freshUnk()
  );
  // A value_info without a shape field means "rank unknown": no usable hint.
  if (!tt.shape) return undefined;
  return { name: v.name, dtype, shape };
}

function convertAttr(a: PbAttr, op: string, node: string): Attr | undefined {
  if (a.ref_attr_name) throw new UnsupportedOpError(op, node, `attribute ${a.name} refers to a function attribute`);
  switch (a.type) {
    case 1: return { type: "float", value: a.f ?? 0 };
    case 2: return { type: "int", value: Number(a.i ?? 0) };
    case 3: return { type: "string", value: utf8.decode(a.s ?? new Uint8Array()) };
    case 6: return { type: "floats", value: [...(a.floats ?? [])] };
    case 7: return { type: "ints", value: (a.ints ?? []).map(Number) };
    case 8: return { type: "strings", value: (a.strings ?? []).map((s) => utf8.decode(s)) };
    case 4: return undefined; // tensor attrs handled by the caller (Constant, ConstantOfShape)
    default:
      throw new UnsupportedOpError(op, node, `attribute ${a.name} has type ${a.type} (graphs/sparse tensors/type protos are not supported)`);
  }
}

/** Constant node -> constant tensor. */
async function constantNodeTensor(n: PbNode, name: string, ext: ExternalData): Promise<Tensor> {
  const out = n.output?.[0] ?? "";
  const a = n.attribute?.[0];
  if (!a || (n.attribute?.length ?? 0) !== 1) throw new UnsupportedOpError("Constant", name, "expected exactly one value attribute");
  switch (a.name) {
    case "value":
      return { ...(await convertTensor(a.t ?? {}, out, ext, "Constant")), name: out };
    case "value_float":
      return { name: out, dtype: "float32", shape: [], data: encodeData([a.f ?? 0], "float32") };
    case "value_floats":
      return { name: out, dtype: "float32", shape: [a.floats?.length ?? 0], data: encodeData(a.floats ?? [], "float32") };
    case "value_int":
      return { name: out, dtype: "int64", shape: [], data: encodeData([Number(a.i ?? 0)], "int64") };
    case "value_ints":
      return { name: out, dtype: "int64", shape: [a.ints?.length ?? 0], data: encodeData((a.ints ?? []).map(Number), "int64") };
    default:
      throw new UnsupportedOpError("Constant", name, `value attribute ${a.name} (sparse/string constants are not supported)`);
  }
}

function opsetOf(model: PbModel): number {
  let opset: number | undefined;
  for (const o of model.opset_import ?? []) {
    if (!o.domain || o.domain === "ai.onnx") opset = Number(o.version ?? 0);
  }
  // IR version 2 models have no opset_import and mean opset 1: still unsupported.
  if (opset === undefined || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new UnsupportedOpError("<model>", "<model>", `default-domain opset ${opset} (supported: ${MIN_OPSET}..${MAX_OPSET})`);
  }
  return opset;
}

/** Build the IR graph from ModelProto bytes. Shapes and dtypes are inferred. */
export async function loadOnnx(bytes: Uint8Array, opts: LoadOptions = {}): Promise<Graph> {
  const model = decodeModelProto(bytes);
  const opset = opsetOf(model);
  const g = model.graph;
  if (!g) throw new ModelError("not an ONNX model: it has no graph");
  if (g.sparse_initializer?.length) throw new UnsupportedOpError("<model>", g.name ?? "", "sparse initializers");
  const ext = new ExternalData(opts.baseDir);
  const tensors = new Map<string, Tensor>();

  for (const init of g.initializer ?? []) {
    const name = init.name ?? "";
    tensors.set(name, await convertTensor(init, name, ext));
  }
  // Old exporters list initializers as inputs too; those are constants, not inputs.
  const inputs: string[] = [];
  for (const v of g.input ?? []) {
    if (!v.name || tensors.has(v.name)) continue;
    const t = valueInfoTensor(v);
    if (!t) throw new UnsupportedOpError("<model>", v.name, "graph input is not a tensor with a known element type and rank");
    tensors.set(v.name, t);
    inputs.push(v.name);
  }
  const outputs = (g.output ?? []).map((v) => v.name ?? "");
  // value_info / output shapes are hints; inference below recomputes them
  // but keeps their symbolic names when it can only produce "unk" dims.
  const hints = new Map<string, Tensor>();
  for (const v of [...(g.value_info ?? []), ...(g.output ?? [])]) {
    const t = valueInfoTensor(v);
    if (t) hints.set(t.name, t);
  }

  const nodes: Node[] = [];
  const usedNames = new Set<string>();
  for (const [idx, n] of (g.node ?? []).entries()) {
    const op = n.op_type ?? "";
    let name = n.name || `${op}_${idx}`;
    if (usedNames.has(name)) name = `${name}_${idx}`;
    usedNames.add(name);
    if (n.domain && n.domain !== "ai.onnx") {
      throw new UnsupportedOpError(op, name, `domain "${n.domain}" (only the default ONNX domain is supported)`);
    }
    if (!SUPPORTED_OPS.includes(op)) throw new UnsupportedOpError(op, name, "op type not supported");
    if (op === "Constant") {
      const t = await constantNodeTensor(n, name, ext);
      tensors.set(t.name, t);
      continue;
    }
    const attrs: Record<string, Attr> = {};
    for (const a of n.attribute ?? []) {
      const conv = convertAttr(a, op, name);
      if (conv) {
        attrs[a.name ?? ""] = conv;
      } else if (op === "ConstantOfShape" && a.name === "value") {
        // IR attrs have no tensor type: carry the 1-element value as a float
        // plus its dtype name (documented in docs/OPS.md).
        const t = await convertTensor(a.t ?? {}, `${name}.value`, ext, op);
        attrs.value = { type: "floats", value: [...decodeData(t.data!, t.dtype)] };
        attrs.dtype = { type: "string", value: t.dtype };
      } else {
        throw new UnsupportedOpError(op, name, `tensor-valued attribute ${a.name}`);
      }
    }
    nodes.push({ name, op, inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs });
  }

  const graph: Graph = {
    name: g.name ?? "graph",
    opset,
    inputs,
    outputs,
    tensors,
    nodes,
    profiles: [],
  };
  inferShapes(graph, hints);
  graph.profiles = opts.profiles ? completeProfiles(graph, opts.profiles) : completeProfiles(graph, [{}]);
  return graph;
}

/** Fill in profile entries for inputs the caller did not describe and validate the rest. */
function completeProfiles(g: Graph, profiles: Record<string, ShapeRange>[]): Record<string, ShapeRange>[] {
  return profiles.map((p, index) => {
    for (const name of Object.keys(p)) {
      if (!g.inputs.includes(name)) {
        throw new InvalidArgumentError(`optimization profile ${index} names '${name}', which is not an input of the model (inputs: ${g.inputs.join(", ")})`);
      }
    }
    const out: Record<string, ShapeRange> = {};
    for (const name of g.inputs) {
      const shape = g.tensors.get(name)!.shape;
      const given = p[name];
      if (given) {
        for (const k of ["min", "opt", "max"] as const) {
          const s = given[k];
          if (s.length !== shape.length || s.some((d, i) => typeof shape[i] === "number" && shape[i] !== d)) {
            throw new InvalidArgumentError(`profile for input ${name}: ${k} shape [${s}] does not match the model's [${shape}]`);
          }
        }
        if (given.min.some((d, i) => !(d <= given.opt[i] && given.opt[i] <= given.max[i]))) {
          throw new InvalidArgumentError(`profile for input ${name}: needs min ≤ opt ≤ max in every dimension, got [${given.min}] / [${given.opt}] / [${given.max}]`);
        }
        out[name] = structuredClone(given);
      } else {
        const s = shape.map((d) => (typeof d === "number" ? d : 1));
        out[name] = { min: [...s], opt: [...s], max: [...s] };
      }
    }
    return out;
  });
}

/** Convenience: read a .onnx file; external data resolves relative to its directory. */
export async function loadOnnxFile(path: string, opts: Omit<LoadOptions, "baseDir"> = {}): Promise<Graph> {
  const bytes = await Deno.readFile(path);
  const slash = path.lastIndexOf("/");
  const baseDir = slash >= 0 ? path.slice(0, slash) || "/" : ".";
  return loadOnnx(bytes, { ...opts, baseDir });
}

/** A graph input as the model declares it: symbolic or unknown dimensions are -1. */
export interface OnnxInput {
  name: string;
  dtype: DType;
  shape: number[];
}

/** The model's inputs (initializers listed as inputs by old exporters excluded), without building anything. */
export function onnxInputs(bytes: Uint8Array): OnnxInput[] {
  const g = decodeModelProto(bytes).graph;
  if (!g) throw new ModelError("not an ONNX model: it has no graph");
  const constants = new Set((g.initializer ?? []).map((t) => t.name ?? ""));
  const out: OnnxInput[] = [];
  for (const v of g.input ?? []) {
    if (!v.name || constants.has(v.name)) continue;
    const t = valueInfoTensor(v);
    if (!t) throw new UnsupportedOpError("<model>", v.name, "graph input is not a tensor with a known element type and rank");
    out.push({ name: v.name, dtype: t.dtype, shape: t.shape.map((d) => (typeof d === "number" ? d : -1)) });
  }
  return out;
}
