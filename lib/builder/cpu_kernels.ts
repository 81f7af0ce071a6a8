// Plain-TS float64 kernels for every supported op (and the fused forms).
// Used by fold_constants (constant subgraphs) and reference_eval (the test
// oracle). Correctness over speed: straightforward index loops, no tricks.
// Integer dtypes are carried in float64 and truncated where ONNX truncates.

import { attrFloat, attrFloats, attrInt, attrInts, attrString, type DType, type Node } from "./ir.ts";
import { UnsupportedOpError } from "./errors.ts";
import { dtypeFromOnnx, roundToDtype } from "./tensor_data.ts";
import { sliceRange } from "./shape_inference.ts";
import { programError, programEvaluator } from "./fused_program.ts";

export interface Value {
  dtype: DType;
  shape: number[];
  data: Float64Array;
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

function stridesOf(shape: number[]): number[] {
  const st = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

function val(dtype: DType, shape: number[], data: Float64Array): Value {
  return { dtype, shape, data };
}

/** Index mapping from an output of shape `out` into a broadcast input of shape `s`. */
function broadcastIndexer(s: number[], out: number[]): (i: number) => number {
  const r = out.length;
  const inSt = stridesOf(s);
  const outSt = stridesOf(out);
  const eff = out.map((_, k) => {
    const j = k - (r - s.length);
    return j >= 0 && s[j] !== 1 ? inSt[j] : 0;
  });
  if (s.length === r && s.every((d, k) => d === out[k])) return (i) => i;
  return (i) => {
    let off = 0;
    for (let k = 0; k < r; k++) {
      off += Math.floor(i / outSt[k]) % out[k] * eff[k];
    }
    return off;
  };
}

function broadcastShape(shapes: number[][]): number[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 0; k < r; k++) {
    let d = 1;
    for (const s of shapes) {
      const j = k - (r - s.length);
      if (j < 0 || s[j] === 1) continue;
      if (d !== 1 && d !== s[j]) throw new Error(`cannot broadcast [${shapes.map((x) => `[${x}]`).join(" ")}]`);
      d = s[j];
    }
    out.push(d);
  }
  return out;
}

function nary(vals: Value[], dtype: DType, f: (xs: number[]) => number): Value {
  const shape = broadcastShape(vals.map((v) => v.shape));
  const n = size(shape);
  const idx = vals.map((v) => broadcastIndexer(v.shape, shape));
  const out = new Float64Array(n);
  const xs = new Array(vals.length).fill(0);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < vals.length; k++) xs[k] = vals[k].data[idx[k](i)];
    out[i] = f(xs);
  }
  return val(dtype, shape, out);
}

const isInt = (d: DType) => d === "int64" || d === "int32" || d === "int8" || d === "uint8";

function binary(op: string, a: Value, b: Value): Value {
  const int = isInt(a.dtype);
  let f: (x: number, y: number) => number;
  switch (op) {
    case "Add": f = (x, y) => x + y; break;
    case "Sub": f = (x, y) => x - y; break;
    case "Mul": f = (x, y) => x * y; break;
    case "Div": f = int ? (x, y) => Math.trunc(x / y) : (x, y) => x / y; break;
    case "Pow": f = (x, y) => Math.pow(x, y); break;
    default: throw new Error(op);
  }
  const r = nary([a, b], a.dtype, (xs) => f(xs[0], xs[1]));
  if (int) r.data.forEach((v, i) => (r.data[i] = roundToDtype(v, a.dtype)));
  return r;
}

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Activation used by standalone ops and by fused Conv (see docs/OPS.md). */
export function activationFn(name: string, alpha: number, beta: number): (x: number) => number {
  switch (name) {
    case "Relu": return (x) => (x > 0 ? x : 0);
    case "LeakyRelu": return (x) => (x >= 0 ? x : alpha * x);
    case "Sigmoid": return sigmoid;
    case "HardSigmoid": return (x) => Math.max(0, Math.min(1, alpha * x + beta));
    case "HardSwish": return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case "SiLU": return (x) => x * sigmoid(x);
    case "Clip": return (x) => Math.min(Math.max(x, alpha), beta);
    case "Tanh": return Math.tanh;
    default: throw new Error(`unknown activation ${name}`);
  }
}

function unary(v: Value, f: (x: number) => number): Value {
  return val(v.dtype, [...v.shape], v.data.map(f));
}

// ------------------------------------------------------------ windows

/** Iterate all multi-indices of `shape`, calling f with the index array (reused). */
function forEachIndex(shape: number[], f: (idx: number[]) => void): void {
  const n = size(shape);
  const idx = new Array(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    f(idx);
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
}

function convAttrs(n: Node, r: number) {
  return {
    strides: attrInts(n, "strides", new Array(r).fill(1))!,
    dilations: attrInts(n, "dilations", new Array(r).fill(1))!,
    pads: attrInts(n, "pads", new Array(2 * r).fill(0))!,
    group: attrInt(n, "group", 1),
  };
}

/** The activation a fused Conv / ConvTranspose applies (attrs `activation`, `_alpha`, `_beta`), if any. */
function fusedActivation(n: Node): ((x: number) => number) | undefined {
  return n.attrs.activation
    ? activationFn(attrString(n, "activation", ""), attrFloat(n, "activation_alpha", 0), attrFloat(n, "activation_beta", 0))
    : undefined;
}

function conv(n: Node, x: Value, w: Value, b: Value | undefined, residual: Value | undefined, outShape: number[]): Value {
  const r = x.shape.length - 2;
  const { strides, dilations, pads, group } = convAttrs(n, r);
  const [N, C] = x.shape;
  const M = w.shape[0];
  const cg = C / group, mg = M / group;
  const kShape = w.shape.slice(2);
  const inSp = x.shape.slice(2), outSp = outShape.slice(2);
  const inSt = stridesOf(inSp), kSt = stridesOf(kShape);
  const inSz = size(inSp), kSz = size(kShape), outSz = size(outSp);
  const out = new Float64Array(N * M * outSz);
  const act = fusedActivation(n);
  const kIdx: number[][] = [];
  forEachIndex(kShape, (k) => kIdx.push([...k]));
  let o = 0;
  for (let nn = 0; nn < N; nn++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / mg);
      forEachIndex(outSp, (op) => {
        let acc = b ? b.data[m] : 0;
        for (let kk = 0; kk < kSz; kk++) {
          const k = kIdx[kk];
          let off = 0, ok = true;
          for (let d = 0; d < r; d++) {
            const p = op[d] * strides[d] - pads[d] + k[d] * dilations[d];
            if (p < 0 || p >= inSp[d]) { ok = false; break; }
            off += p * inSt[d];
          }
          if (!ok) continue;
          let koff = 0;
          for (let d = 0; d < r; d++) koff += k[d] * kSt[d];
          for (let c = 0; c < cg; c++) {
            acc += x.data[(nn * C + g * cg + c) * inSz + off] * w.data[(m * cg + c) * kSz + koff];
          }
        }
        out[o++] = acc;
      });
    }
  }
  if (residual) {
    const idx = broadcastIndexer(residual.shape, outShape);
    for (let i = 0; i < out.length; i++) out[i] += residual.data[idx(i)];
  }
  if (act) for (let i = 0; i < out.length; i++) out[i] = act(out[i]);
  return val(x.dtype, outShape, out);
}

function convTranspose(n: Node, x: Value, w: Value, b: Value | undefined, outShape: number[]): Value {
  const r = x.shape.length - 2;
  const { strides, dilations, pads, group } = convAttrs(n, r);
  const [N, C] = x.shape;
  const mg = w.shape[1], cg = C / group, M = mg * group;
  const kShape = w.shape.slice(2), inSp = x.shape.slice(2), outSp = outShape.slice(2);
  const outSt = stridesOf(outSp), kSt = stridesOf(kShape);
  const inSz = size(inSp), kSz = size(kShape), outSz = size(outSp);
  const out = new Float64Array(N * M * outSz);
  for (let nn = 0; nn < N; nn++) {
    for (let m = 0; m < M; m++) for (let i = 0; i < outSz; i++) out[(nn * M + m) * outSz + i] = b ? b.data[m] : 0;
    for (let c = 0; c < C; c++) {
      const g = Math.floor(c / cg);
      let ii = 0;
      forEachIndex(inSp, (ip) => {
        const xv = x.data[(nn * C + c) * inSz + ii++];
        forEachIndex(kShape, (k) => {
          let off = 0, koff = 0;
          for (let d = 0; d < r; d++) {
            const p = ip[d] * strides[d] - pads[d] + k[d] * dilations[d];
            if (p < 0 || p >= outSp[d]) return;
            off += p * outSt[d];
            koff += k[d] * kSt[d];
          }
          for (let ml = 0; ml < mg; ml++) {
            const m = g * mg + ml;
            out[(nn * M + m) * outSz + off] += xv * w.data[(c * mg + ml) * kSz + koff];
          }
        });
      });
    }
  }
  const act = fusedActivation(n);
  if (act) for (let i = 0; i < out.length; i++) out[i] = act(out[i]);
  return val(x.dtype, outShape, out);
}

function pool(n: Node, x: Value, outShape: number[]): Value {
  const r = x.shape.length - 2;
  const kernel = attrInts(n, "kernel_shape")!;
  const { strides, dilations, pads } = convAttrs(n, r);
  const isMax = n.op === "MaxPool";
  const includePad = attrInt(n, "count_include_pad", 0) === 1;
  const inSp = x.shape.slice(2), outSp = outShape.slice(2);
  const inSt = stridesOf(inSp), inSz = size(inSp);
  const NC = x.shape[0] * x.shape[1];
  const out = new Float64Array(NC * size(outSp));
  let o = 0;
  for (let nc = 0; nc < NC; nc++) {
    forEachIndex(outSp, (op) => {
      let acc = isMax ? -Infinity : 0, cnt = 0, padCnt = 0;
      forEachIndex(kernel, (k) => {
        let off = 0, inside = true, inPadded = true;
        for (let d = 0; d < r; d++) {
          const p = op[d] * strides[d] - pads[d] + k[d] * dilations[d];
          if (p < 0 || p >= inSp[d]) inside = false;
          // count_include_pad counts positions within the padded input, not past it (ceil_mode).
          if (p >= inSp[d] + pads[d + r]) inPadded = false;
          off += p * inSt[d];
        }
        if (inPadded) padCnt++;
        if (!inside) return;
        const v = x.data[nc * inSz + off];
        if (isMax) acc = Math.max(acc, v);
        else acc += v;
        cnt++;
      });
      out[o++] = isMax ? acc : acc / (includePad ? padCnt : cnt);
    });
  }
  return val(x.dtype, outShape, out);
}

// ------------------------------------------------------------ shape-ish ops

function transpose(x: Value, perm: number[]): Value {
  const shape = perm.map((p) => x.shape[p]);
  const inSt = stridesOf(x.shape);
  const out = new Float64Array(x.data.length);
  let o = 0;
  forEachIndex(shape, (idx) => {
    let off = 0;
    for (let k = 0; k < perm.length; k++) off += idx[k] * inSt[perm[k]];
    out[o++] = x.data[off];
  });
  return val(x.dtype, shape, out);
}

function concat(vals: Value[], axis: number): Value {
  const shape = [...vals[0].shape];
  shape[axis] = vals.reduce((a, v) => a + v.shape[axis], 0);
  const outer = size(shape.slice(0, axis)), inner = size(shape.slice(axis + 1));
  const out = new Float64Array(size(shape));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const v of vals) {
      const chunk = v.shape[axis] * inner;
      out.set(v.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  }
  return val(vals[0].dtype, shape, out);
}

function sliceAxes(x: Value, ranges: [number, number, number][], steps: number[]): Value {
  // ranges[d] = [start, _, length] per dim (full dims: [0, n, n] step 1).
  const shape = ranges.map((rg) => rg[2]);
  const inSt = stridesOf(x.shape);
  const out = new Float64Array(size(shape));
  let o = 0;
  forEachIndex(shape, (idx) => {
    let off = 0;
    for (let d = 0; d < idx.length; d++) off += (ranges[d][0] + idx[d] * steps[d]) * inSt[d];
    out[o++] = x.data[off];
  });
  return val(x.dtype, shape, out);
}

function reduce(x: Value, axes: number[] | undefined, keep: boolean, mean: boolean): Value {
  const r = x.shape.length;
  const all = !axes || axes.length === 0;
  const red = x.shape.map((_, i) => all || axes!.includes(i));
  const outFull = x.shape.map((d, i) => (red[i] ? 1 : d));
  const out = new Float64Array(size(outFull));
  const outSt = stridesOf(outFull);
  let i = 0;
  forEachIndex(x.shape, (idx) => {
    let off = 0;
    for (let k = 0; k < r; k++) if (!red[k]) off += idx[k] * outSt[k];
    out[off] += x.data[i++];
  });
  const cnt = x.data.length / out.length;
  if (mean) for (let k = 0; k < out.length; k++) out[k] /= cnt;
  const shape = keep ? outFull : x.shape.filter((_, k) => !red[k]);
  return val(x.dtype, shape, out);
}

function resize(n: Node, x: Value, outShape: number[], scalesIn: number[] | undefined): Value {
  const mode = attrString(n, "mode", "nearest");
  const ctm = attrString(n, "coordinate_transformation_mode", "half_pixel");
  const nm = attrString(n, "nearest_mode", "round_prefer_floor");
  const r = x.shape.length;
  const scales = x.shape.map((d, i) => (scalesIn ? scalesIn[i] : outShape[i] / d));
  const coord = (o: number, d: number): number => {
    const s = scales[d], lin = x.shape[d], lout = outShape[d];
    switch (ctm) {
      case "half_pixel": return (o + 0.5) / s - 0.5;
      case "pytorch_half_pixel": return lout > 1 ? (o + 0.5) / s - 0.5 : 0;
      case "align_corners": return lout === 1 ? 0 : (o * (lin - 1)) / (lout - 1);
      default: return o / s;
    }
  };
  const round = (v: number): number => {
    switch (nm) {
      case "floor": return Math.floor(v);
      case "ceil": return Math.ceil(v);
      case "round_prefer_ceil": return Math.round(v);
      default: return v === Math.floor(v) + 0.5 ? Math.floor(v) : Math.round(v);
    }
  };
  // Per dim, per output index: source taps [(index, weight)].
  const taps: [number, number][][][] = x.shape.map((lin, d) =>
    Array.from({ length: outShape[d] }, (_, o) => {
      if (lin === outShape[d] && scales[d] === 1) return [[o, 1]];
      const c = coord(o, d);
      if (mode === "nearest") return [[Math.min(Math.max(round(c), 0), lin - 1), 1]];
      const cc = Math.min(Math.max(c, 0), lin - 1);
      const i0 = Math.floor(cc), i1 = Math.min(i0 + 1, lin - 1), w = cc - i0;
      return w === 0 ? [[i0, 1]] : [[i0, 1 - w], [i1, w]];
    })
  );
  const inSt = stridesOf(x.shape);
  const out = new Float64Array(size(outShape));
  let o = 0;
  forEachIndex(outShape, (idx) => {
    let acc = 0;
    const rec = (d: number, off: number, w: number): void => {
      if (d === r) { acc += w * x.data[off]; return; }
      for (const [i, tw] of taps[d][idx[d]]) rec(d + 1, off + i * inSt[d], w * tw);
    };
    rec(0, 0, 1);
    out[o++] = acc;
  });
  return val(x.dtype, outShape, out);
}

function pad(x: Value, pads: number[], mode: string, cval: number): Value {
  const r = x.shape.length;
  const shape = x.shape.map((d, i) => d + pads[i] + pads[i + r]);
  const inSt = stridesOf(x.shape);
  const out = new Float64Array(size(shape));
  let o = 0;
  forEachIndex(shape, (idx) => {
    let off = 0, inside = true;
    for (let d = 0; d < r; d++) {
      let p = idx[d] - pads[d];
      const n = x.shape[d];
      if (p < 0 || p >= n) {
        if (mode === "constant") { inside = false; break; }
        if (mode === "edge") p = Math.min(Math.max(p, 0), n - 1);
        else { // reflect
          while (p < 0 || p >= n) p = p < 0 ? -p : 2 * (n - 1) - p;
        }
      }
      off += p * inSt[d];
    }
    out[o++] = inside ? x.data[off] : cval;
  });
  return val(x.dtype, shape, out);
}

function matmul(a: Value, b: Value): Value {
  let as = a.shape, bs = b.shape;
  if (as.length === 1) as = [1, as[0]];
  if (bs.length === 1) bs = [bs[0], 1];
  const M = as[as.length - 2], K = as[as.length - 1], N = bs[bs.length - 1];
  const batch = broadcastShape([as.slice(0, -2), bs.slice(0, -2)]);
  const nb = size(batch);
  const ai = broadcastIndexer(as.slice(0, -2), batch), bi = broadcastIndexer(bs.slice(0, -2), batch);
  const out = new Float64Array(nb * M * N);
  for (let t = 0; t < nb; t++) {
    const ao = ai(t) * M * K, bo = bi(t) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += a.data[ao + i * K + k] * b.data[bo + k * N + j];
        out[(t * M + i) * N + j] = acc;
      }
    }
  }
  const shape = [...batch, M, N];
  if (a.shape.length === 1) shape.splice(shape.length - 2, 1);
  if (b.shape.length === 1) shape.splice(shape.length - 1, 1);
  return val(a.dtype, shape, out);
}

function gather(x: Value, idx: Value, axis: number): Value {
  const outer = size(x.shape.slice(0, axis)), inner = size(x.shape.slice(axis + 1));
  const n = x.shape[axis];
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  const out = new Float64Array(size(shape));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const raw of idx.data) {
      const j = raw < 0 ? raw + n : raw;
      if (j < 0 || j >= n) throw new Error(`Gather index ${raw} out of range for dim ${n}`);
      out.set(x.data.subarray((i * n + j) * inner, (i * n + j + 1) * inner), o);
      o += inner;
    }
  }
  return val(x.dtype, shape, out);
}

function softmax(x: Value, axis: number): Value {
  const outer = size(x.shape.slice(0, axis)), n = x.shape[axis], inner = size(x.shape.slice(axis + 1));
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < outer; i++) {
    for (let j = 0; j < inner; j++) {
      let mx = -Infinity;
      for (let k = 0; k < n; k++) mx = Math.max(mx, x.data[(i * n + k) * inner + j]);
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(x.data[(i * n + k) * inner + j] - mx);
      for (let k = 0; k < n; k++) out[(i * n + k) * inner + j] = Math.exp(x.data[(i * n + k) * inner + j] - mx) / s;
    }
  }
  return val(x.dtype, [...x.shape], out);
}

const ints = (v: Value | undefined): number[] | undefined => (v ? [...v.data] : undefined);
const normAxis = (a: number, r: number) => (a < 0 ? a + r : a);

/**
 * Evaluate one node. `inputs[i]` is undefined for omitted optional inputs.
 * `outShapes` are the inferred output shapes (resolved to numbers by the caller),
 * used where ONNX computes them from attributes (Conv, Pool, Resize).
 */
export function evalNode(n: Node, inputs: (Value | undefined)[], opset: number, outShapes: number[][]): Value[] {
  const x = inputs[0]!;
  const f = (v: Value) => [v];
  switch (n.op) {
    case "Identity": case "Dropout": {
      const outs = [val(x.dtype, [...x.shape], x.data.slice())];
      if (n.outputs[1]) outs.push(val("bool", [...x.shape], new Float64Array(x.data.length).fill(1)));
      return outs;
    }
    case "Relu": case "Sigmoid": case "Tanh": case "HardSwish": case "SiLU":
      return f(unary(x, activationFn(n.op, 0, 0)));
    case "LeakyRelu": return f(unary(x, activationFn(n.op, attrFloat(n, "alpha", 0.01), 0)));
    case "HardSigmoid": return f(unary(x, activationFn(n.op, attrFloat(n, "alpha", 0.2), attrFloat(n, "beta", 0.5))));
    case "Clip": {
      let lo = -Infinity, hi = Infinity;
      if (opset < 11) {
        lo = attrFloat(n, "min", -Infinity);
        hi = attrFloat(n, "max", Infinity);
      } else {
        if (inputs[1]) lo = inputs[1].data[0];
        if (inputs[2]) hi = inputs[2].data[0];
      }
      return f(unary(x, (v) => Math.min(Math.max(v, lo), hi)));
    }
    case "Exp": return f(unary(x, Math.exp));
    case "Sqrt": return f(unary(x, Math.sqrt));
    case "Floor": return f(unary(x, Math.floor));
    case "Neg": return f(unary(x, (v) => -v));
    case "Abs": return f(unary(x, Math.abs));
    case "Add": case "Sub": case "Mul": case "Div": case "Pow":
      return f(binary(n.op, x, inputs[1]!));
    case "Min": case "Max": {
      const m = n.op === "Min" ? Math.min : Math.max;
      return f(nary(inputs.filter((v): v is Value => !!v), x.dtype, (xs) => m(...xs)));
    }
    case "Equal": return f(nary([x, inputs[1]!], "bool", (xs) => (xs[0] === xs[1] ? 1 : 0)));
    case "FusedElementwise": {
      const program = attrInts(n, "program") ?? [], constants = attrFloats(n, "constants") ?? [];
      const bad = programError(program, constants.length, inputs.length);
      if (bad) throw new UnsupportedOpError(n.op, n.name, bad);
      return f(nary(inputs as Value[], x.dtype, programEvaluator(program, constants)));
    }
    case "Where": return f(nary([x, inputs[1]!, inputs[2]!], inputs[1]!.dtype, (xs) => (xs[0] ? xs[1] : xs[2])));
    case "Conv": return f(conv(n, x, inputs[1]!, inputs[2], inputs[3], outShapes[0]));
    case "ConvTranspose": return f(convTranspose(n, x, inputs[1]!, inputs[2], outShapes[0]));
    case "MaxPool": case "AveragePool": return f(pool(n, x, outShapes[0]));
    case "GlobalAveragePool": return f(reduce(x, x.shape.map((_, i) => i).slice(2), true, true));
    case "BatchNormalization": {
      const [, s, b, m, v] = inputs as Value[];
      const eps = attrFloat(n, "epsilon", 1e-5);
      const C = x.shape[1], inner = size(x.shape.slice(2));
      const out = x.data.map((xv, i) => {
        const c = Math.floor(i / inner) % C;
        return (xv - m.data[c]) / Math.sqrt(v.data[c] + eps) * s.data[c] + b.data[c];
      });
      return f(val(x.dtype, [...x.shape], out));
    }
    case "ReduceMean": case "ReduceSum": {
      const since = n.op === "ReduceSum" ? 13 : 18;
      const axes = (opset >= since ? ints(inputs[1]) : attrInts(n, "axes"))?.map((a) => normAxis(a, x.shape.length));
      if ((!axes || axes.length === 0) && attrInt(n, "noop_with_empty_axes", 0) === 1) return f(x);
      return f(reduce(x, axes, attrInt(n, "keepdims", 1) === 1, n.op === "ReduceMean"));
    }
    case "Concat": return f(concat(inputs as Value[], normAxis(attrInt(n, "axis"), x.shape.length)));
    case "Split": {
      const axis = normAxis(attrInt(n, "axis", 0), x.shape.length);
      const split = attrInts(n, "split") ?? outShapes.map((s) => s[axis]);
      let start = 0;
      return split.map((len) => {
        const ranges = x.shape.map((d, i): [number, number, number] => (i === axis ? [start, start + len, len] : [0, d, d]));
        start += len;
        return sliceAxes(x, ranges, x.shape.map(() => 1));
      });
    }
    case "Slice": {
      let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
      if (opset < 10) {
        starts = attrInts(n, "starts")!; ends = attrInts(n, "ends")!; axes = attrInts(n, "axes");
      } else {
        starts = ints(inputs[1])!; ends = ints(inputs[2])!; axes = ints(inputs[3]); steps = ints(inputs[4]);
      }
      const r = x.shape.length;
      const ranges = x.shape.map((d): [number, number, number] => [0, d, d]);
      const st = x.shape.map(() => 1);
      (axes ?? starts.map((_, i) => i)).forEach((a, i) => {
        const ax = normAxis(a, r);
        st[ax] = steps?.[i] ?? 1;
        ranges[ax] = sliceRange(starts[i], ends[i], st[ax], x.shape[ax]);
      });
      return f(sliceAxes(x, ranges, st));
    }
    case "Resize": case "Upsample": {
      let scales: number[] | undefined;
      if (n.op === "Upsample" || opset < 11) scales = ints(inputs[1]);
      else if (inputs[2] && inputs[2].data.length > 0) scales = ints(inputs[2]);
      return f(resize(n, x, outShapes[0], scales));
    }
    case "Pad": {
      const pads = opset < 11 ? attrInts(n, "pads")! : ints(inputs[1])!;
      const r = x.shape.length;
      let full = pads;
      if (opset >= 11 && inputs[3]) {
        const axes = ints(inputs[3])!.map((a) => normAxis(a, r));
        full = new Array(2 * r).fill(0);
        axes.forEach((a, i) => { full[a] = pads[i]; full[a + r] = pads[i + axes.length]; });
      }
      const cval = opset < 11 ? attrFloat(n, "value", 0) : inputs[2]?.data[0] ?? 0;
      return f(pad(x, full, attrString(n, "mode", "constant"), cval));
    }
    case "Reshape": case "Flatten": case "Squeeze": case "Unsqueeze": case "Expand": {
      if (n.op === "Expand") {
        const shape = broadcastShape([x.shape, ints(inputs[1])!]);
        const idx = broadcastIndexer(x.shape, shape);
        const out = new Float64Array(size(shape));
        for (let i = 0; i < out.length; i++) out[i] = x.data[idx(i)];
        return f(val(x.dtype, shape, out));
      }
      return f(val(x.dtype, [...outShapes[0]], x.data.slice()));
    }
    case "Transpose": return f(transpose(x, attrInts(n, "perm") ?? x.shape.map((_, i) => x.shape.length - 1 - i)));
    case "Gemm": {
      let a = x, b = inputs[1]!;
      if (attrInt(n, "transA", 0)) a = transpose(a, [1, 0]);
      if (attrInt(n, "transB", 0)) b = transpose(b, [1, 0]);
      const y = matmul(a, b);
      const alpha = attrFloat(n, "alpha", 1), beta = attrFloat(n, "beta", 1);
      y.data.forEach((v, i) => (y.data[i] = alpha * v));
      if (inputs[2]) {
        const c = inputs[2];
        const idx = broadcastIndexer(c.shape, y.shape);
        y.data.forEach((v, i) => (y.data[i] = v + beta * c.data[idx(i)]));
      }
      return f(y);
    }
    case "MatMul": return f(matmul(x, inputs[1]!));
    case "Softmax": return f(softmax(x, normAxis(attrInt(n, "axis", opset >= 13 ? -1 : 1), x.shape.length)));
    case "Cast": {
      const to = dtypeFromOnnx(attrInt(n, "to"));
      if (!to) throw new UnsupportedOpError("Cast", n.name, `to=${attrInt(n, "to")}`);
      return f(val(to, [...x.shape], x.data.map((v) => roundToDtype(v, to))));
    }
    case "Shape": {
      const r = x.shape.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const dims = x.shape.slice(clamp(attrInt(n, "start", 0)), clamp(attrInt(n, "end", r)));
      return f(val("int64", [dims.length], Float64Array.from(dims)));
    }
    case "Gather": return f(gather(x, inputs[1]!, normAxis(attrInt(n, "axis", 0), x.shape.length)));
    case "Range": {
      const s = x.data[0], l = inputs[1]!.data[0], d = inputs[2]!.data[0];
      const len = Math.max(Math.ceil((l - s) / d), 0);
      return f(val(x.dtype, [len], Float64Array.from({ length: len }, (_, i) => s + i * d)));
    }
    case "ConstantOfShape": {
      const shape = ints(x)!;
      const a = n.attrs.value;
      const v = a?.type === "floats" ? a.value[0] : 0;
      const dt = (n.attrs.dtype?.type === "string" ? n.attrs.dtype.value : "float32") as DType;
      return f(val(dt, shape, new Float64Array(size(shape)).fill(v)));
    }
  }
  throw new UnsupportedOpError(n.op, n.name, "no CPU kernel");
}
