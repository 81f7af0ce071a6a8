// Shape and dtype inference for every supported op, with symbolic dims.
//
// Besides shapes, inference tracks the *values* of small integer tensors
// (rank <= 1) as Dim[] ("symbolic values"): Shape(x) of a [N,64,7,7] tensor has
// the value [N,64,7,7] even though it is not a constant. That lets the
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape idiom produce [N, 3136]
// instead of an unknown shape, and lets fold_constants fold the parts whose
// values are fully numeric.
//
// Inference also canonicalizes attributes the executors would otherwise need
// ONNX defaults for (Conv/Pool pads, strides, ...; auto_pad -> explicit pads
// when the spatial dims are static). See docs/OPS.md.

import {
  type Attr, attrFloat, attrInt, attrInts, attrString, type Dim, type DType, type Graph, isStaticShape, type Node, type Tensor,
} from "./ir.ts";
import { UnsupportedOpError } from "./errors.ts";
import { isLaidOut, isNhwcLayer, toNchw, toNhwc } from "./layout.ts";
import { decodeData, dtypeFromOnnx } from "./tensor_data.ts";

let unkCounter = 0;
/** A fresh symbolic dim for a size inference cannot express. */
export function freshUnk(): string {
  return `unk_${unkCounter++}`;
}

export interface Inferred {
  /** Values of small rank<=1 tensors (symbolic dims only in integer ones). */
  values: Map<string, Dim[]>;
}

interface Out {
  dtype: DType;
  shape: Dim[];
  value?: Dim[];
}

class Ctx {
  constructor(readonly g: Graph, readonly n: Node, readonly values: Map<string, Dim[]>) {}
  get opset(): number {
    return this.g.opset;
  }
  has(i: number): boolean {
    return !!this.n.inputs[i];
  }
  t(i: number): Tensor {
    const name = this.n.inputs[i];
    if (!name) this.fail(`missing required input ${i}`);
    const t = this.g.tensors.get(name);
    if (!t) throw new Error(`node ${this.n.name} (${this.n.op}): input ${name} has no inferred shape`);
    return t;
  }
  shape(i: number): Dim[] {
    return this.t(i).shape;
  }
  dtype(i: number): DType {
    return this.t(i).dtype;
  }
  /** Symbolic value of input i (constants included), or undefined. */
  value(i: number): Dim[] | undefined {
    if (!this.has(i)) return undefined;
    return this.values.get(this.n.inputs[i]) ?? constValue(this.t(i));
  }
  /** Input i as numbers if it is known (constant, or symbolic value that is fully numeric). */
  ints(i: number): number[] | undefined {
    const v = this.value(i);
    return v && v.every((d) => typeof d === "number") ? (v as number[]) : undefined;
  }
  /** Input i's numbers, or fail with a message saying why it must be known. */
  needInts(i: number, what: string): number[] {
    const v = this.ints(i);
    if (!v) this.fail(`${what} (input ${i}) must be a constant or computable from static shapes`);
    return v;
  }
  fail(detail: string): never {
    throw new UnsupportedOpError(this.n.op, this.n.name, detail);
  }
}

/** Values of a small constant, decoded (rank<=1 only: shape-like tensors). */
function constValue(t: Tensor): number[] | undefined {
  if (!t.data || t.shape.length > 1) return undefined;
  if (t.data.byteLength > 8 * 64) return undefined;
  return [...decodeData(t.data, t.dtype)];
}

function normAxis(axis: number, rank: number, c: Ctx): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) c.fail(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

function broadcastDim(a: Dim, b: Dim, c: Ctx): Dim {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === "number" && typeof b === "number") {
    throw new Error(`node ${c.n.name} (${c.n.op}): cannot broadcast ${a} with ${b}`);
  }
  // A symbolic dim against a number > 1 must equal it (or be 1): the number wins.
  if (typeof a === "number") return a;
  if (typeof b === "number") return b;
  return freshUnk();
}

export function broadcastShapes(shapes: Dim[][], c: Ctx): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = i - (rank - s.length);
      if (k >= 0) d = broadcastDim(d, s[k], c);
    }
    out.push(d);
  }
  return out;
}

function mulDims(dims: Dim[]): Dim {
  if (dims.every((d) => typeof d === "number")) return (dims as number[]).reduce((a, b) => a * b, 1);
  const syms = dims.filter((d) => d !== 1);
  return syms.length === 1 ? syms[0] : freshUnk();
}

/** Symbolic elementwise arithmetic on shape values; unknown results become fresh unks. */
function arithDim(op: string, a: Dim, b: Dim, int: boolean): Dim {
  if (typeof a === "number" && typeof b === "number") {
    switch (op) {
      case "Add": return a + b;
      case "Sub": return a - b;
      case "Mul": return a * b;
      case "Div": return int ? Math.trunc(a / b) : a / b;
      case "Min": return Math.min(a, b);
      case "Max": return Math.max(a, b);
    }
  }
  if ((op === "Mul" && b === 1) || ((op === "Add" || op === "Sub") && b === 0) || (op === "Div" && b === 1)) return a;
  if ((op === "Mul" && a === 1) || (op === "Add" && a === 0)) return b;
  return freshUnk();
}

function broadcastValues(op: string, a: Dim[], b: Dim[], int: boolean): Dim[] | undefined {
  if (a.length !== b.length && a.length !== 1 && b.length !== 1) return undefined;
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) out.push(arithDim(op, a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i], int));
  return out;
}

// ---------------------------------------------------------------- conv/pool

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[] | undefined; // undefined: auto_pad kept (dynamic spatial dims)
  out: Dim[];
}

/** Output spatial dims and explicit pads of a conv/pool window (ONNX formulas). */
function windowOut(c: Ctx, spatial: Dim[], kernel: number[], ceilMode = false): Window {
  const n = c.n;
  const r = spatial.length;
  if (kernel.length !== r) c.fail(`kernel_shape rank ${kernel.length} does not match ${r} spatial dims`);
  const strides = attrInts(n, "strides", new Array(r).fill(1))!;
  const dilations = attrInts(n, "dilations", new Array(r).fill(1))!;
  const autoPad = attrString(n, "auto_pad", "NOTSET");
  let pads = attrInts(n, "pads", new Array(2 * r).fill(0))!;
  const out: Dim[] = [];
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    if (!spatial.every((d) => typeof d === "number")) {
      // Stride-1 SAME keeps the (symbolic) size; otherwise ceil(in/stride) is unknown.
      return {
        kernel, strides, dilations, pads: undefined,
        out: spatial.map((d, i) => (strides[i] === 1 ? d : typeof d === "number" ? Math.ceil(d / strides[i]) : freshUnk())),
      };
    }
    pads = new Array(2 * r).fill(0);
    for (let i = 0; i < r; i++) {
      const inDim = spatial[i] as number;
      const o = Math.ceil(inDim / strides[i]);
      const total = Math.max(0, (o - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inDim);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === "SAME_UPPER" ? small : total - small;
      pads[i + r] = total - pads[i];
    }
  } else if (autoPad === "VALID") {
    pads = new Array(2 * r).fill(0);
  } else if (autoPad !== "NOTSET") {
    c.fail(`auto_pad=${autoPad}`);
  }
  for (let i = 0; i < r; i++) {
    const d = spatial[i];
    if (typeof d !== "number") {
      out.push(freshUnk());
      continue;
    }
    const span = d + pads[i] + pads[i + r] - ((kernel[i] - 1) * dilations[i] + 1);
    let o = (ceilMode ? Math.ceil(span / strides[i]) : Math.floor(span / strides[i])) + 1;
    // ceil_mode: the last window must start inside the input or left padding.
    if (ceilMode && (o - 1) * strides[i] >= d + pads[i]) o--;
    out.push(o);
  }
  return { kernel, strides, dilations, pads, out };
}

/** Write explicit defaults back so executors never need ONNX defaults. */
function canonicalizeWindow(n: Node, w: Window, withDilations: boolean): void {
  n.attrs.kernel_shape = { type: "ints", value: w.kernel };
  n.attrs.strides = { type: "ints", value: w.strides };
  if (withDilations) n.attrs.dilations = { type: "ints", value: w.dilations };
  if (w.pads) {
    n.attrs.pads = { type: "ints", value: w.pads };
    delete n.attrs.auto_pad;
  }
}

function inferConv(c: Ctx): Out {
  const x = c.shape(0), w = c.shape(1);
  if (x.length < 3) c.fail(`input rank ${x.length} (need N,C,spatial...)`);
  if (!isStaticShape(w)) c.fail("weight shape must be static");
  const group = attrInt(c.n, "group", 1);
  const kernel = attrInts(c.n, "kernel_shape") ?? w.slice(2);
  const win = windowOut(c, x.slice(2), kernel);
  canonicalizeWindow(c.n, win, true);
  c.n.attrs.group = { type: "int", value: group };
  if (typeof x[1] === "number" && x[1] !== w[1] * group) {
    throw new Error(`node ${c.n.name} (Conv): input channels ${x[1]} != weight ${w[1]} * group ${group}`);
  }
  return { dtype: c.dtype(0), shape: [x[0], w[0], ...win.out] };
}

function inferConvTranspose(c: Ctx): Out {
  const x = c.shape(0), w = c.shape(1);
  if (!isStaticShape(w)) c.fail("weight shape must be static");
  const n = c.n;
  const r = x.length - 2;
  const group = attrInt(n, "group", 1);
  const kernel = attrInts(n, "kernel_shape") ?? w.slice(2);
  const strides = attrInts(n, "strides", new Array(r).fill(1))!;
  const dilations = attrInts(n, "dilations", new Array(r).fill(1))!;
  const outPad = attrInts(n, "output_padding", new Array(r).fill(0))!;
  const outputShape = attrInts(n, "output_shape");
  const autoPad = attrString(n, "auto_pad", "NOTSET");
  let pads = attrInts(n, "pads", new Array(2 * r).fill(0))!;
  const spatial = x.slice(2);
  const out: Dim[] = [];
  const full = (i: number) => strides[i] * ((spatial[i] as number) - 1) + outPad[i] + (kernel[i] - 1) * dilations[i] + 1;
  const static_ = spatial.every((d) => typeof d === "number");
  if (outputShape || autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    if (!static_) c.fail("output_shape/auto_pad SAME with dynamic spatial dims");
    pads = new Array(2 * r).fill(0);
    for (let i = 0; i < r; i++) {
      const target = outputShape ? outputShape[outputShape.length - r + i] : (spatial[i] as number) * strides[i];
      const total = Math.max(0, full(i) - target);
      const half = Math.floor(total / 2);
      // ONNX: SAME_UPPER puts the extra pad at the end (pads_begin = total/2).
      pads[i] = autoPad === "SAME_LOWER" ? total - half : half;
      pads[i + r] = total - pads[i];
    }
  } else if (autoPad === "VALID") {
    pads = new Array(2 * r).fill(0);
  } else if (autoPad !== "NOTSET") c.fail(`auto_pad=${autoPad}`);
  for (let i = 0; i < r; i++) {
    out.push(typeof spatial[i] === "number" ? full(i) - pads[i] - pads[i + r] : freshUnk());
  }
  n.attrs.kernel_shape = { type: "ints", value: kernel };
  n.attrs.strides = { type: "ints", value: strides };
  n.attrs.dilations = { type: "ints", value: dilations };
  n.attrs.output_padding = { type: "ints", value: outPad };
  n.attrs.pads = { type: "ints", value: pads };
  n.attrs.group = { type: "int", value: group };
  delete n.attrs.auto_pad;
  delete n.attrs.output_shape;
  return { dtype: c.dtype(0), shape: [x[0], w[1] * group, ...out] };
}

function inferPool(c: Ctx): Out[] {
  const x = c.shape(0);
  const kernel = attrInts(c.n, "kernel_shape");
  if (!kernel) c.fail("kernel_shape is required");
  if (c.n.outputs.length > 1 && c.n.outputs[1]) c.fail("the Indices output is not supported");
  if (c.n.op === "MaxPool" && attrInt(c.n, "storage_order", 0) !== 0) c.fail("storage_order=1");
  const ceil = attrInt(c.n, "ceil_mode", 0) === 1;
  const win = windowOut(c, x.slice(2), kernel, ceil);
  canonicalizeWindow(c.n, win, c.n.op === "MaxPool");
  if (c.n.op === "AveragePool") {
    if (win.dilations.some((d) => d !== 1)) c.fail("dilations");
    c.n.attrs.count_include_pad = { type: "int", value: attrInt(c.n, "count_include_pad", 0) };
  }
  c.n.attrs.ceil_mode = { type: "int", value: ceil ? 1 : 0 };
  return [{ dtype: c.dtype(0), shape: [x[0], x[1], ...win.out] }];
}

// ---------------------------------------------------------------- shape ops

/** Axes from attr (older opsets) or input `inputIdx` (newer), normalized. */
function axesOf(c: Ctx, inputIdx: number, fromInputSince: number, rank: number): number[] | undefined {
  let axes: number[] | undefined;
  if (c.opset >= fromInputSince) {
    axes = c.has(inputIdx) ? c.needInts(inputIdx, "axes") : undefined;
  } else {
    axes = attrInts(c.n, "axes");
  }
  return axes?.map((a) => normAxis(a, rank, c));
}

function inferReduce(c: Ctx): Out {
  const x = c.shape(0);
  const since = c.n.op === "ReduceSum" ? 13 : 18;
  const axes = axesOf(c, 1, since, x.length);
  const keep = attrInt(c.n, "keepdims", 1) === 1;
  const noop = attrInt(c.n, "noop_with_empty_axes", 0) === 1;
  if ((!axes || axes.length === 0) && noop) return { dtype: c.dtype(0), shape: [...x] };
  const all = !axes || axes.length === 0;
  const out: Dim[] = [];
  x.forEach((d, i) => {
    const reduced = all || axes!.includes(i);
    if (!reduced) out.push(d);
    else if (keep) out.push(1);
  });
  return { dtype: c.dtype(0), shape: out };
}

/** Reshape target with 0 (copy) and -1 (infer); symbolic dims cancel where possible. */
function reshapeTarget(x: Dim[], target: Dim[], allowZero: boolean): Dim[] {
  const out = target.map((d, i) => (d === 0 && !allowZero ? x[i] : d));
  const neg = out.findIndex((d) => d === -1);
  if (neg < 0) return out;
  // Remaining = prod(x) / prod(other target dims), cancelling equal symbols.
  let num = 1;
  const syms: string[] = [];
  for (const d of x) typeof d === "number" ? (num *= d) : syms.push(d);
  let den = 1;
  for (let i = 0; i < out.length; i++) {
    if (i === neg) continue;
    const d = out[i];
    if (typeof d === "number") den *= d;
    else {
      const k = syms.indexOf(d);
      if (k < 0) return out.map((e, j) => (j === neg ? freshUnk() : e));
      syms.splice(k, 1);
    }
  }
  if (syms.length === 0) out[neg] = num / den;
  else if (syms.length === 1 && num === den) out[neg] = syms[0];
  else out[neg] = freshUnk();
  return out;
}

function sliceParams(c: Ctx, rank: number) {
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (c.opset < 10) {
    starts = attrInts(c.n, "starts")!;
    ends = attrInts(c.n, "ends")!;
    axes = attrInts(c.n, "axes");
  } else {
    starts = c.needInts(1, "starts");
    ends = c.needInts(2, "ends");
    axes = c.has(3) ? c.needInts(3, "axes") : undefined;
    steps = c.has(4) ? c.needInts(4, "steps") : undefined;
  }
  axes = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, rank, c));
  steps = steps ?? starts.map(() => 1);
  if (steps.some((s) => s === 0)) c.fail("a step of 0");
  return { starts, ends, axes, steps };
}

/** Resolved [start, end, step] and length of a slice of a dim of size n (ONNX clamping). */
export function sliceRange(start: number, end: number, step: number, n: number): [number, number, number] {
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), n);
    end = Math.min(Math.max(end, 0), n);
    return [start, end, Math.max(0, Math.ceil((end - start) / step))];
  }
  start = Math.min(Math.max(start, 0), n - 1);
  end = Math.min(Math.max(end, -1), n - 1);
  return [start, end, Math.max(0, Math.ceil((end - start) / step))];
}

function inferSlice(c: Ctx): Out {
  const x = c.shape(0);
  const { starts, ends, axes, steps } = sliceParams(c, x.length);
  const out = [...x];
  axes.forEach((a, i) => {
    const d = x[a];
    if (typeof d === "number") out[a] = sliceRange(starts[i], ends[i], steps[i], d)[2];
    else if (starts[i] === 0 && ends[i] >= 2 ** 31 - 1 && steps[i] === 1) out[a] = d;
    else out[a] = freshUnk();
  });
  let value: Dim[] | undefined;
  const xv = c.value(0);
  if (xv && x.length === 1 && typeof x[0] === "number") {
    const [s, , len] = sliceRange(starts[0], ends[0], steps[0], x[0]);
    value = Array.from({ length: len }, (_, k) => xv[s + k * steps[0]]);
  }
  return { dtype: c.dtype(0), shape: out, value };
}

function inferResize(c: Ctx): Out {
  const x = c.shape(0);
  const n = c.n;
  const mode = attrString(n, "mode", "nearest");
  if (mode !== "nearest" && mode !== "linear") c.fail(`mode=${mode} (supported: nearest, linear)`);
  let scales: number[] | undefined, sizes: number[] | undefined;
  if (n.op === "Upsample") {
    scales = c.opset >= 9 ? c.needInts(1, "scales") : attrFloatsOrFail(c, "scales");
    // Upsample has asymmetric coordinates and floor rounding; make it explicit.
    n.attrs.coordinate_transformation_mode = { type: "string", value: "asymmetric" };
    n.attrs.nearest_mode = { type: "string", value: "floor" };
  } else {
    if (c.opset < 11) {
      scales = c.needInts(1, "scales");
      n.attrs.coordinate_transformation_mode = { type: "string", value: "asymmetric" };
      n.attrs.nearest_mode = { type: "string", value: "floor" };
    } else {
      const s = c.has(2) ? c.ints(2) : undefined;
      if (s && s.length > 0) scales = s;
      else if (c.has(3)) sizes = c.ints(3) ?? undefined;
      if (!scales && !sizes && !(c.has(3) && c.value(3))) c.fail("scales or sizes must be constant or shape-computable");
    }
    const ctm = attrString(n, "coordinate_transformation_mode", "half_pixel");
    const okCtm = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"];
    if (!okCtm.includes(ctm)) c.fail(`coordinate_transformation_mode=${ctm}`);
    const nm = attrString(n, "nearest_mode", "round_prefer_floor");
    if (!["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].includes(nm)) c.fail(`nearest_mode=${nm}`);
    if (attrInt(n, "antialias", 0) !== 0) c.fail("antialias=1");
    if (attrInts(n, "axes")) c.fail("the axes attribute");
    if (attrString(n, "keep_aspect_ratio_policy", "stretch") !== "stretch") c.fail("keep_aspect_ratio_policy");
    n.attrs.coordinate_transformation_mode = { type: "string", value: ctm };
    n.attrs.nearest_mode = { type: "string", value: nm };
  }
  n.attrs.mode = { type: "string", value: mode };
  if (sizes) return { dtype: c.dtype(0), shape: sizes };
  if (scales) {
    return {
      dtype: c.dtype(0),
      shape: x.map((d, i) => (typeof d === "number" ? Math.floor(d * scales![i]) : scales![i] === 1 ? d : freshUnk())),
    };
  }
  return { dtype: c.dtype(0), shape: c.value(3)! };
}

function attrFloatsOrFail(c: Ctx, key: string): number[] {
  const a = c.n.attrs[key];
  if (!a || a.type !== "floats") c.fail(`${key} attribute`);
  return a.value;
}

function inferPad(c: Ctx): Out {
  const x = c.shape(0);
  const mode = attrString(c.n, "mode", "constant");
  if (!["constant", "reflect", "edge"].includes(mode)) c.fail(`mode=${mode}`);
  let pads: number[];
  if (c.opset < 11) {
    pads = attrInts(c.n, "pads") ?? c.fail("pads attribute");
    c.n.attrs.value = { type: "float", value: attrFloat(c.n, "value", 0) };
  } else {
    pads = c.needInts(1, "pads");
    if (c.has(3)) {
      // Expand the axes form into full-rank pads so executors see one form.
      const axes = c.needInts(3, "axes").map((a) => normAxis(a, x.length, c));
      const full = new Array(2 * x.length).fill(0);
      axes.forEach((a, i) => {
        full[a] = pads[i];
        full[a + x.length] = pads[i + axes.length];
      });
      pads = full;
    }
  }
  if (pads.length !== 2 * x.length) c.fail(`pads length ${pads.length} for rank ${x.length}`);
  const r = x.length;
  return {
    dtype: c.dtype(0),
    shape: x.map((d, i) => (typeof d === "number" ? d + pads[i] + pads[i + r] : pads[i] + pads[i + r] === 0 ? d : freshUnk())),
  };
}

function inferMatMul(c: Ctx): Out {
  let a = c.shape(0), b = c.shape(1);
  const aVec = a.length === 1, bVec = b.length === 1;
  if (aVec) a = [1, a[0]];
  if (bVec) b = [b[0], 1];
  const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)], c);
  const out = [...batch, a[a.length - 2], b[b.length - 1]];
  if (aVec) out.splice(out.length - 2, 1);
  if (bVec) out.splice(out.length - 1, 1);
  return { dtype: c.dtype(0), shape: out };
}

function castTo(c: Ctx): DType {
  const to = attrInt(c.n, "to");
  const d = dtypeFromOnnx(to);
  if (!d) c.fail(`cast to ONNX data type ${to}`);
  return d;
}

const UNARY = new Set([
  "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Exp", "Sqrt", "Floor", "Neg", "Abs",
  "SiLU", "Clip", "BatchNormalization", "Softmax",
]);

/** Infer one node's outputs. Throws UnsupportedOpError for unsupported attribute values. */
function inferNode(c: Ctx): Out[] {
  const n = c.n;
  const op = n.op;
  if (UNARY.has(op)) {
    if (op === "BatchNormalization") {
      if (attrInt(n, "training_mode", 0) !== 0 || n.outputs.slice(1).some((o) => o)) c.fail("training mode / extra outputs");
      n.attrs.epsilon = { type: "float", value: attrFloat(n, "epsilon", 1e-5) };
    }
    if (op === "Softmax") {
      const r = c.shape(0).length;
      const axis = normAxis(attrInt(n, "axis", c.opset >= 13 ? -1 : 1), r, c);
      // Before opset 13 Softmax flattens to 2-D at `axis`; only the last axis
      // means the same thing in both versions.
      if (c.opset < 13 && axis !== r - 1) c.fail(`opset<13 Softmax with axis ${axis} != last axis`);
      n.attrs.axis = { type: "int", value: axis };
    }
    if (op === "Clip" && c.opset < 11) {
      // Opset<11 Clip carries min/max as attrs; make the defaults explicit.
      n.attrs.min = { type: "float", value: attrFloat(n, "min", -3.4028234663852886e38) };
      n.attrs.max = { type: "float", value: attrFloat(n, "max", 3.4028234663852886e38) };
    }
    if (op === "LeakyRelu") n.attrs.alpha = { type: "float", value: attrFloat(n, "alpha", 0.01) };
    if (op === "HardSigmoid") {
      n.attrs.alpha = { type: "float", value: attrFloat(n, "alpha", 0.2) };
      n.attrs.beta = { type: "float", value: attrFloat(n, "beta", 0.5) };
    }
    return [{ dtype: c.dtype(0), shape: [...c.shape(0)] }];
  }
  switch (op) {
    case "Identity":
      return [{ dtype: c.dtype(0), shape: [...c.shape(0)], value: c.value(0) }];
    case "Dropout": {
      if (c.has(2)) {
        const tm = c.ints(2);
        if (!tm || tm[0] !== 0) c.fail("training_mode must be a constant false");
      }
      const outs: Out[] = [{ dtype: c.dtype(0), shape: [...c.shape(0)], value: c.value(0) }];
      if (n.outputs[1]) outs.push({ dtype: "bool", shape: [...c.shape(0)] });
      return outs;
    }
    case "Add": case "Sub": case "Mul": case "Div": case "Pow": case "Min": case "Max": case "Equal": {
      const shapes = n.inputs.filter((i) => i).map((_, i) => c.shape(i));
      const dtype: DType = op === "Equal" ? "bool" : c.dtype(0);
      let value: Dim[] | undefined;
      if (op !== "Pow" && op !== "Equal" && n.inputs.length === 2) {
        const a = c.value(0), b = c.value(1);
        if (a && b) value = broadcastValues(op, a, b, INT_DTYPES.has(dtype));
      }
      return [{ dtype, shape: broadcastShapes(shapes, c), value }];
    }
    case "Where":
      return [{ dtype: c.dtype(1), shape: broadcastShapes([c.shape(0), c.shape(1), c.shape(2)], c) }];
    case "FusedElementwise": // docs/OPS.md: every input broadcast to the output, the inputs' one dtype
      return [{ dtype: c.dtype(0), shape: broadcastShapes(n.inputs.map((_, i) => c.shape(i)), c) }];
    case "Conv":
      return [inferConv(c)];
    case "ConvTranspose":
      return [inferConvTranspose(c)];
    case "MaxPool": case "AveragePool":
      return inferPool(c);
    case "GlobalAveragePool": {
      const x = c.shape(0);
      return [{ dtype: c.dtype(0), shape: [x[0], x[1], ...x.slice(2).map(() => 1)] }];
    }
    case "ReduceMean": case "ReduceSum":
      return [inferReduce(c)];
    case "Concat": {
      const shapes = n.inputs.map((_, i) => c.shape(i));
      const r = shapes[0].length;
      const axis = normAxis(attrInt(n, "axis"), r, c);
      n.attrs.axis = { type: "int", value: axis };
      const out = [...shapes[0]];
      const parts = shapes.map((s) => s[axis]);
      out[axis] = parts.every((d) => typeof d === "number")
        ? (parts as number[]).reduce((a, b) => a + b, 0)
        : parts.filter((d) => d !== 0).length === 1 ? parts.find((d) => d !== 0)! : freshUnk();
      // Symbolic dims on other axes: prefer a numeric one from any input.
      for (let i = 0; i < r; i++) {
        if (i !== axis && typeof out[i] !== "number") out[i] = shapes.map((s) => s[i]).find((d) => typeof d === "number") ?? out[i];
      }
      let value: Dim[] | undefined;
      const vals = n.inputs.map((_, i) => c.value(i));
      if (r === 1 && vals.every((v) => v)) value = vals.flatMap((v) => v!);
      return [{ dtype: c.dtype(0), shape: out, value }];
    }
    case "Split": {
      const x = c.shape(0);
      const axis = normAxis(attrInt(n, "axis", 0), x.length, c);
      n.attrs.axis = { type: "int", value: axis };
      // The attr wins: inference moves an opset-13 split input into it (below).
      let split = attrInts(n, "split") ?? (c.opset >= 13 && c.has(1) ? c.needInts(1, "split") : undefined);
      const k = n.outputs.length;
      const d = x[axis];
      if (!split) {
        if (typeof d !== "number") return n.outputs.map(() => ({ dtype: c.dtype(0), shape: x.map((e, i) => (i === axis ? freshUnk() : e)) }));
        const num = attrInt(n, "num_outputs", k);
        const chunk = Math.ceil(d / num);
        split = Array.from({ length: num }, (_, i) => Math.min(chunk, d - chunk * i));
      }
      // Executors read the explicit split sizes from the attribute.
      n.attrs.split = { type: "ints", value: split };
      delete n.attrs.num_outputs;
      if (c.opset >= 13 && c.has(1)) n.inputs = [n.inputs[0]];
      return split.map((s) => ({ dtype: c.dtype(0), shape: x.map((e, i) => (i === axis ? s : e)) }));
    }
    case "Slice":
      return [inferSlice(c)];
    case "Resize": case "Upsample":
      return [inferResize(c)];
    case "Pad":
      return [inferPad(c)];
    case "Reshape": {
      const x = c.shape(0);
      const target = c.value(1);
      if (!target) {
        const ts = c.shape(1);
        if (typeof ts[0] !== "number") c.fail("shape input of unknown length");
        return [{ dtype: c.dtype(0), shape: Array.from({ length: ts[0] }, () => freshUnk()) }];
      }
      const out = reshapeTarget(x, target, attrInt(n, "allowzero", 0) === 1);
      return [{ dtype: c.dtype(0), shape: out, value: x.length <= 1 && out.length <= 1 ? c.value(0) : undefined }];
    }
    case "Flatten": {
      const x = c.shape(0);
      let axis = attrInt(n, "axis", 1);
      if (axis < 0) axis += x.length;
      n.attrs.axis = { type: "int", value: axis };
      return [{ dtype: c.dtype(0), shape: [mulDims(x.slice(0, axis)), mulDims(x.slice(axis))] }];
    }
    case "Squeeze": {
      const x = c.shape(0);
      let axes = axesOf(c, 1, 13, x.length);
      if (!axes) {
        if (!x.every((d) => typeof d === "number")) c.fail("Squeeze without axes on a dynamic shape");
        axes = x.flatMap((d, i) => (d === 1 ? [i] : []));
      }
      const out = x.filter((_, i) => !axes!.includes(i));
      return [{ dtype: c.dtype(0), shape: out, value: c.value(0) }];
    }
    case "Unsqueeze": {
      const x = c.shape(0);
      const rawAxes = c.opset >= 13 ? c.needInts(1, "axes") : attrInts(n, "axes") ?? c.fail("axes");
      const r = x.length + rawAxes.length;
      const axes = rawAxes.map((a) => normAxis(a, r, c));
      const out: Dim[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) out.push(axes.includes(i) ? 1 : x[k++]);
      return [{ dtype: c.dtype(0), shape: out, value: c.value(0) }];
    }
    case "Transpose": {
      const x = c.shape(0);
      const perm = attrInts(n, "perm") ?? x.map((_, i) => x.length - 1 - i);
      n.attrs.perm = { type: "ints", value: perm };
      return [{ dtype: c.dtype(0), shape: perm.map((p) => x[p]) }];
    }
    case "Gemm": {
      const a = c.shape(0), b = c.shape(1);
      const ta = attrInt(n, "transA", 0), tb = attrInt(n, "transB", 0);
      n.attrs.transA = { type: "int", value: ta };
      n.attrs.transB = { type: "int", value: tb };
      n.attrs.alpha = { type: "float", value: attrFloat(n, "alpha", 1) };
      n.attrs.beta = { type: "float", value: attrFloat(n, "beta", 1) };
      return [{ dtype: c.dtype(0), shape: [ta ? a[1] : a[0], tb ? b[0] : b[1]] }];
    }
    case "MatMul":
      return [inferMatMul(c)];
    case "Cast": {
      const to = castTo(c);
      const v = c.value(0);
      const conv = (d: Dim) => (typeof d === "string" ? d : INT_DTYPES.has(to) ? Math.trunc(d) : d);
      return [{ dtype: to, shape: [...c.shape(0)], value: v && to !== "bool" ? v.map(conv) : undefined }];
    }
    case "Shape": {
      const x = c.shape(0);
      const r = x.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const start = clamp(attrInt(n, "start", 0));
      const end = clamp(attrInt(n, "end", r));
      const value = x.slice(start, end);
      return [{ dtype: "int64", shape: [value.length], value }];
    }
    case "Gather": {
      const x = c.shape(0), idx = c.shape(1);
      const axis = normAxis(attrInt(n, "axis", 0), x.length, c);
      n.attrs.axis = { type: "int", value: axis };
      let value: Dim[] | undefined;
      const xv = c.value(0), iv = c.ints(1);
      if (xv && iv && x.length === 1 && idx.length <= 1) {
        value = iv.map((i) => xv[i < 0 ? i + xv.length : i]);
      }
      return [{ dtype: c.dtype(0), shape: [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)], value }];
    }
    case "Expand": {
      const target = c.value(1);
      if (!target) c.fail("shape input of unknown value");
      return [{ dtype: c.dtype(0), shape: broadcastShapes([c.shape(0), target], c) }];
    }
    case "Range": {
      const s = c.ints(0), l = c.ints(1), d = c.ints(2);
      const len = s && l && d ? Math.max(Math.ceil((l[0] - s[0]) / d[0]), 0) : freshUnk();
      return [{ dtype: c.dtype(0), shape: [len] }];
    }
    case "ConstantOfShape": {
      const target = c.value(0);
      const shape = target ?? (typeof c.shape(0)[0] === "number"
        ? Array.from({ length: c.shape(0)[0] as number }, () => freshUnk())
        : c.fail("shape input of unknown length"));
      const dt = n.attrs.dtype?.type === "string" ? (n.attrs.dtype.value as DType) : "float32";
      n.attrs.dtype = { type: "string", value: dt };
      n.attrs.value = { type: "floats", value: n.attrs.value?.type === "floats" ? n.attrs.value.value : [0] };
      const value = shape.length === 1 && typeof shape[0] === "number" && shape[0] <= 64
        ? new Array(shape[0]).fill((n.attrs.value as { value: number[] }).value[0])
        : undefined;
      return [{ dtype: dt, shape, value }];
    }
  }
  throw new UnsupportedOpError(op, n.name, "op type not supported");
}

const INT_DTYPES = new Set<DType>(["int64", "int32"]);

/**
 * Infer dtype/shape of every non-constant tensor in place (nodes must be
 * topologically sorted). `hints` (ONNX value_info) name dims inference could
 * only call "unk_N". Returns the symbolic values of shape-like tensors.
 */
export function inferShapes(g: Graph, hints?: Map<string, Tensor>): Inferred {
  const values = new Map<string, Dim[]>();
  for (const n of g.nodes) inferNodeInPlace(g, n, values, hints);
  return { values };
}

/** Infer one node's outputs and store them in g.tensors (and `values`). */
export function inferNodeInPlace(g: Graph, n: Node, values: Map<string, Dim[]>, hints?: Map<string, Tensor>): Tensor[] {
  const outs = isNhwcLayer(n) ? inferNhwc(new Ctx(g, n, values)) : inferNode(new Ctx(g, n, values));
  return n.outputs.map((name, i) => {
    const o = outs[i];
    if (!o) throw new Error(`node ${n.name} (${n.op}): no inferred output ${i}`);
    const hint = name ? hints?.get(name) : undefined;
    const shape = hint && hint.shape.length === o.shape.length
      ? o.shape.map((d, k) => (typeof d === "string" && d.startsWith("unk_") ? hint.shape[k] : d))
      : o.shape;
    const prev = name ? g.tensors.get(name) : undefined;
    const t: Tensor = { ...(prev ?? {}), name, dtype: o.dtype, shape };
    delete t.data;
    if (!name) return t;
    g.tensors.set(name, t);
    if (o.value && shape.length <= 1 && o.value.length <= 64) values.set(name, o.value);
    else values.delete(name);
    return t;
  });
}

/** An NHWC layer (layout.ts): infer on the logical NCHW shapes of its laid-out inputs, store rank-4 outputs NHWC. */
function inferNhwc(c: Ctx): Out[] {
  const saved = new Map<Tensor, Dim[]>();
  for (const name of c.n.inputs) {
    const t = name ? c.g.tensors.get(name) : undefined;
    if (!t || saved.has(t) || !isLaidOut(t)) continue;
    saved.set(t, t.shape);
    t.shape = toNchw(t.shape);
  }
  try {
    return inferNode(c).map((o) => (o.shape.length === 4 ? { ...o, shape: toNhwc(o.shape) } : o));
  } finally {
    for (const [t, shape] of saved) t.shape = shape;
  }
}

/** Attr helper used by passes that build nodes: ints attr literal. */
export function intsAttr(v: number[]): Attr {
  return { type: "ints", value: v };
}
