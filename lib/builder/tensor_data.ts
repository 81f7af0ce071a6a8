// Conversions between constant tensor bytes (little-endian, any IR dtype) and
// Float64Array, the single numeric representation used by the CPU kernels.
// int64 values beyond 2^53 lose precision; they only occur as "to the end"
// sentinels (Slice ends = INT64_MAX) where clamping makes that harmless.

import { type DType, DTYPE_BYTES } from "./ir.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** float -> IEEE half, round to nearest even (matches numpy/onnxruntime). */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let hm = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (hm & 1))) hm++;
    return sign | hm;
  }
  let hm = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (hm & 1))) {
    hm++;
    if (hm === 0x400) {
      hm = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | hm;
}

function bf16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}

function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if (Number.isNaN(v)) return 0x7fc0;
  return (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

export function decodeData(data: Uint8Array, dtype: DType): Float64Array {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = data.byteLength / DTYPE_BYTES[dtype];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case "float32": out[i] = dv.getFloat32(i * 4, true); break;
      case "float64": out[i] = dv.getFloat64(i * 8, true); break;
      case "float16": out[i] = halfToFloat(dv.getUint16(i * 2, true)); break;
      case "bfloat16": out[i] = bf16ToFloat(dv.getUint16(i * 2, true)); break;
      case "int8": out[i] = dv.getInt8(i); break;
      case "uint8": out[i] = dv.getUint8(i); break;
      case "bool": out[i] = dv.getUint8(i) ? 1 : 0; break;
      case "int32": out[i] = dv.getInt32(i * 4, true); break;
      case "int64": out[i] = Number(dv.getBigInt64(i * 8, true)); break;
    }
  }
  return out;
}

const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

function toBigInt64(v: number): bigint {
  if (!Number.isFinite(v)) return v > 0 ? I64_MAX : I64_MIN;
  const b = BigInt(Math.trunc(v));
  return b > I64_MAX ? I64_MAX : b < I64_MIN ? I64_MIN : b;
}

/** Encode numbers into dtype bytes; integer dtypes truncate toward zero (C cast semantics). */
export function encodeData(values: ArrayLike<number>, dtype: DType): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * DTYPE_BYTES[dtype]);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (dtype) {
      case "float32": dv.setFloat32(i * 4, v, true); break;
      case "float64": dv.setFloat64(i * 8, v, true); break;
      case "float16": dv.setUint16(i * 2, floatToHalf(v), true); break;
      case "bfloat16": dv.setUint16(i * 2, floatToBf16(v), true); break;
      case "int8": dv.setInt8(i, Math.trunc(v)); break;
      case "uint8": dv.setUint8(i, Math.trunc(v)); break;
      case "bool": dv.setUint8(i, v ? 1 : 0); break;
      case "int32": dv.setInt32(i * 4, Math.trunc(v), true); break;
      case "int64": dv.setBigInt64(i * 8, toBigInt64(v), true); break;
    }
  }
  return out;
}

/** Round a float64 value to what storing it in `dtype` would give. */
export function roundToDtype(v: number, dtype: DType): number {
  switch (dtype) {
    case "float64": return v;
    case "float32": return Math.fround(v);
    case "float16": return halfToFloat(floatToHalf(v));
    case "bfloat16": return bf16ToFloat(floatToBf16(v));
    case "bool": return v ? 1 : 0;
    case "int8": return ((Math.trunc(v) << 24) >> 24);
    case "uint8": return Math.trunc(v) & 0xff;
    case "int32": return Math.trunc(v) | 0;
    case "int64": return Number.isFinite(v) ? Math.trunc(v) : v;
  }
}

export function isFloatDtype(d: DType): boolean {
  return d === "float32" || d === "float16" || d === "bfloat16" || d === "float64";
}

/** ONNX TensorProto.DataType enum <-> IR dtype. */
const ONNX_DTYPES: Record<number, DType> = {
  1: "float32", 2: "uint8", 3: "int8", 6: "int32", 7: "int64", 9: "bool",
  10: "float16", 11: "float64", 16: "bfloat16",
};

export function dtypeFromOnnx(code: number): DType | undefined {
  return ONNX_DTYPES[code];
}

export function dtypeToOnnx(d: DType): number {
  for (const [k, v] of Object.entries(ONNX_DTYPES)) if (v === d) return Number(k);
  throw new Error(`no ONNX code for ${d}`);
}
