/** Element types, with the codes of denotrt_dtype (c_shim/include/denotrt.h) and their typed-array views. */

export type DType =
  | "float32"
  | "float16"
  | "bfloat16"
  | "int8"
  | "uint8"
  | "int32"
  | "int64"
  | "bool"
  | "fp8_e4m3"
  | "float64";

export const DTYPE_CODES: Record<DType, number> = {
  float32: 0,
  float16: 1,
  bfloat16: 2,
  int8: 3,
  uint8: 4,
  int32: 5,
  int64: 6,
  bool: 7,
  fp8_e4m3: 8,
  float64: 9,
};

const BY_CODE = Object.fromEntries(Object.entries(DTYPE_CODES).map(([k, v]) => [v, k as DType]));

export function dtypeFromCode(code: number): DType {
  const d = BY_CODE[code];
  if (!d) throw new RangeError(`unknown dtype code ${code}`);
  return d;
}

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int8: 1,
  uint8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
  fp8_e4m3: 1,
  float64: 8,
};

// Float16Array is standard since ES2025 and present in Deno 2.x; older runtimes get raw Uint16Array bits.
type Float16Ctor = new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => ArrayLike<number>;
const Float16: Float16Ctor | undefined = (globalThis as unknown as { Float16Array?: Float16Ctor }).Float16Array;

/** The typed array that views each dtype. float16 is a Float16Array where the runtime has one, else Uint16Array. */
export type TypedArrayFor<D extends DType> = D extends "float32" ? Float32Array<ArrayBuffer>
  : D extends "float64" ? Float64Array<ArrayBuffer>
  : D extends "int8" ? Int8Array<ArrayBuffer>
  : D extends "uint8" | "bool" | "fp8_e4m3" ? Uint8Array<ArrayBuffer>
  : D extends "int32" ? Int32Array<ArrayBuffer>
  : D extends "int64" ? BigInt64Array<ArrayBuffer>
  : D extends "float16" ? Float16Array<ArrayBuffer> | Uint16Array<ArrayBuffer>
  : D extends "bfloat16" ? Uint16Array<ArrayBuffer>
  : never;

export type AnyTypedArray =
  | Float32Array<ArrayBuffer>
  | Float64Array<ArrayBuffer>
  | Int8Array<ArrayBuffer>
  | Uint8Array<ArrayBuffer>
  | Int32Array<ArrayBuffer>
  | BigInt64Array<ArrayBuffer>
  | Uint16Array<ArrayBuffer>
  | Float16Array<ArrayBuffer>;

export function hasFloat16Array(): boolean {
  return Float16 !== undefined;
}

/** A typed-array view of `length` elements of `dtype` at `byteOffset` in `buffer` (no copy). */
export function viewOf<D extends DType>(dtype: D, buffer: ArrayBuffer, byteOffset = 0, length?: number): TypedArrayFor<D> {
  const n = length ?? Math.floor((buffer.byteLength - byteOffset) / DTYPE_BYTES[dtype]);
  let view: unknown;
  switch (dtype) {
    case "float32": view = new Float32Array(buffer, byteOffset, n); break;
    case "float64": view = new Float64Array(buffer, byteOffset, n); break;
    case "int8": view = new Int8Array(buffer, byteOffset, n); break;
    case "uint8": case "bool": case "fp8_e4m3": view = new Uint8Array(buffer, byteOffset, n); break;
    case "int32": view = new Int32Array(buffer, byteOffset, n); break;
    case "int64": view = new BigInt64Array(buffer, byteOffset, n); break;
    case "float16": view = Float16 ? new Float16(buffer, byteOffset, n) : new Uint16Array(buffer, byteOffset, n); break;
    case "bfloat16": view = new Uint16Array(buffer, byteOffset, n); break;
    default: throw new RangeError(`unknown dtype ${dtype}`);
  }
  return view as TypedArrayFor<D>;
}

/** The dtype a typed array holds (Uint16Array is taken as float16 bits). */
export function dtypeOfArray(a: ArrayBufferView): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof BigInt64Array) return "int64";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Uint8Array) return "uint8";
  if (a instanceof Uint16Array) return "float16";
  if (Float16 && a instanceof (Float16 as unknown as typeof Uint16Array)) return "float16";
  throw new TypeError(`unsupported typed array ${a.constructor.name}`);
}

export function isDType(x: unknown): x is DType {
  return typeof x === "string" && x in DTYPE_CODES;
}
